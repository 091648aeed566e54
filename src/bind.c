/*
 * Binding one libpq copy: every way a program can reach that copy's
 * connection functions leads to the copy's own hooks (stubs.c).
 *
 *  - a lookup in the copy itself (dlsym() on its handle, as ctypes and
 *    cffi do; an object loaded with RTLD_DEEPBIND; lazy binding that
 *    finds the copy): the copy's dynamic symbol table names the hooks;
 *  - an object bound to the copy's functions before that (BIND_NOW, an
 *    object loaded in the same dlopen() as the copy, the copy's own GOT
 *    under RTLD_DEEPBIND): its GOT slots are rebound to the hooks;
 *  - the global scope (libpq's names found in pgverify): copies.c tells
 *    which copy the caller would have reached;
 *  - another namespace (dlmopen()): pgverify is loaded into it and binds
 *    the copies there (pgv_bind_namespace()).
 *
 * The copy's getenv() and fopen() are routed to replay.c, so that libpq
 * reads once what pgverify planned with.
 */
#include "bind.h"
#include "copies.h"
#include "dyntab.h"
#include "loader.h"
#include "replay.h"

#include <dlfcn.h>
#include <stdio.h>
#include <string.h>

/* What libpq calls to read its environment and its service files. */
static const struct pgv_rebind libpq_inputs[] = {
    {"getenv", NULL, (void *)pgv_replay_getenv},
    {"fopen", NULL, (void *)pgv_replay_fopen},
    {"fopen64", NULL, (void *)pgv_replay_fopen},
};
#define NINPUTS (sizeof(libpq_inputs) / sizeof(*libpq_inputs))

const struct link_map *pgv_bind_object_of(const void *addr)
{
	Dl_info info;
	struct link_map *lm = NULL;

	if (!dladdr1(addr, &info, (void **)&lm, RTLD_DL_LINKMAP))
		return NULL;
	return lm;
}

/* libpq's getenv() and fopen() calls go to replay.c.  Every libpq reads
 * its environment through getenv(); not finding it means not seeing. */
int pgv_bind_inputs(const struct pgv_elf *pq, char *err, size_t errlen)
{
	int found[NINPUTS];

	for (size_t i = 0; i < NINPUTS; i++) {
		found[i] = pgv_elf_rebind(pq, &libpq_inputs[i], 1);
		if (found[i] < 0) {
			snprintf(err, errlen,
				 "cannot route libpq's %s() (%s): %m",
				 libpq_inputs[i].name, pq->name);
			return -1;
		}
	}
	if (found[0] == 0 || found[1] + found[2] == 0) {
		snprintf(err, errlen,
			 "libpq (%s) reads its environment or files without "
			 "getenv()/fopen() relocations; pgverify cannot see "
			 "what it reads",
			 pq->name);
		return -1;
	}
	return 0;
}

void pgv_bind_reals(const struct pgv_elf *pq, const void *reals[PGV_NHOOKS])
{
	for (size_t i = 0; i < PGV_NHOOKS; i++) {
		const ElfW(Sym) *sym = pgv_elf_lookup(pq, pgv_hook_names[i]);
		reals[i] = sym ? (const void *)(pq->base + sym->st_value) : NULL;
	}
}

int pgv_bind_symbols(const struct pgv_elf *pq, const void *const *stubs,
		     char *err, size_t errlen)
{
	for (size_t i = 0; i < PGV_NHOOKS; i++) {
		const ElfW(Sym) *sym = pgv_elf_lookup(pq, pgv_hook_names[i]);
		if (sym && pgv_elf_redirect_symbol(pq, sym, (void *)stubs[i]) <
			       0) {
			snprintf(err, errlen,
				 "cannot change libpq's symbol table (%s): %m",
				 pq->name);
			return -1;
		}
	}
	return 0;
}

int pgv_bind_rebind(const void *const *reals, const void *const *stubs,
		    char *err, size_t errlen)
{
	const struct link_map *self = pgv_bind_object_of((void *)pgv_bind_rebind);
	struct pgv_rebind rb[PGV_NHOOKS];
	size_t n = 0;

	/* A slot is rebound only from the copy's own address: never
	 * "anything", which would take other copies' callers. */
	for (size_t i = 0; i < PGV_NHOOKS; i++)
		if (reals[i])
			rb[n++] = (struct pgv_rebind){pgv_hook_names[i],
						      reals[i], stubs[i]};
	for (const struct link_map *lm = pgv_elf_namespace_head(self); lm;
	     lm = lm->l_next) {
		struct pgv_elf obj;
		if (lm == self || pgv_elf_open(lm, &obj) < 0)
			continue;
		if (pgv_elf_rebind(&obj, rb, n) < 0) {
			snprintf(err, errlen,
				 "cannot rebind libpq's functions in %s: %m",
				 *lm->l_name ? lm->l_name : "the program");
			return -1;
		}
	}
	return 0;
}

int pgv_bind_check(const char *path, const void *const *stubs, char *err,
		   size_t errlen)
{
	void *pq = pgv_loader_dlopen(path, RTLD_LAZY | RTLD_NOLOAD);
	int rc = 0;

	if (!pq) {
		snprintf(err, errlen, "libpq (%s) cannot be opened again: %s",
			 path, dlerror());
		return -1;
	}
	for (size_t i = 0; rc == 0 && i < PGV_NHOOKS; i++) {
		if (dlsym(pq, pgv_hook_names[i]) == stubs[i])
			continue;
		snprintf(err, errlen,
			 "after binding, %s in %s still resolves to libpq's "
			 "own function",
			 pgv_hook_names[i], path);
		rc = -1;
	}
	dlclose(pq);
	return rc;
}

int pgv_bind_is_libpq(const struct pgv_elf *obj)
{
	return pgv_elf_lookup(obj, "PQconnectdb") &&
	       pgv_elf_lookup(obj, "PQconnectPoll") &&
	       pgv_elf_lookup(obj, "PQconninfo");
}

/* pgverify defines libpq's entry points and dlmopen(), but is no libpq. */
static int is_pgverify(const struct pgv_elf *obj)
{
	return pgv_elf_lookup(obj, "PQconnectdb") &&
	       pgv_elf_lookup(obj, "dlmopen") &&
	       !pgv_elf_lookup(obj, "PQconninfo");
}

int pgv_bind_namespace(void *handle, char *err, size_t errlen)
{
	struct link_map *lm = NULL;
	Lmid_t ns = LM_ID_BASE;
	int libpq = 0, pgverify = 0;
	Dl_info self;

	if (dlinfo(handle, RTLD_DI_LMID, &ns) < 0 || ns == LM_ID_BASE ||
	    dlinfo(handle, RTLD_DI_LINKMAP, &lm) < 0)
		return 0;
	for (const struct link_map *o = pgv_elf_namespace_head(lm); o;
	     o = o->l_next) {
		struct pgv_elf obj;
		if (pgv_elf_open(o, &obj) < 0)
			continue;
		pgverify |= is_pgverify(&obj);
		libpq |= pgv_bind_is_libpq(&obj);
	}
	if (!libpq || pgverify)
		return 0;
	if (!dladdr((void *)pgv_bind_namespace, &self) ||
	    !pgv_loader_dlmopen(ns, self.dli_fname, RTLD_NOW | RTLD_LOCAL)) {
		snprintf(err, errlen,
			 "a libpq was loaded with dlmopen() into a new "
			 "namespace, and pgverify could not be loaded there "
			 "(%s): the handle is refused",
			 dlerror());
		return -1;
	}
	return 0;
}
