/*
 * Every way a program reaches libpq's connection functions leads through
 * pgverify's, whatever the program, binding or libpq build:
 *
 *  - the global scope (a program linked with libpq, or libpq loaded
 *    without RTLD_DEEPBIND): libpgverify is preloaded or linked ahead of
 *    libpq, so the dynamic linker binds libpq's names to its functions;
 *  - a lookup in libpq itself (dlsym() on a libpq handle, as ctypes and
 *    cffi do; an object loaded with RTLD_DEEPBIND; a program linked with
 *    libpq ahead of libpgverify and bound lazily): libpq's own dynamic
 *    symbol table names pgverify's functions, rewritten here once;
 *  - an object bound to libpq's functions before that rewrite (BIND_NOW
 *    with the wrong link order; a dlmopen() namespace): its GOT slots are
 *    rebound here;
 *  - another namespace (dlmopen()): pgverify is loaded into it and does
 *    all of the above there (pgv_bind_namespace()).
 *
 * libpq's internal calls from one entry point to another need nothing:
 * pgverify has already rewritten the options of the outer call, whether
 * libpq's inner call comes back here (through its PLT) or not
 * (-Bsymbolic-functions, as Ubuntu builds it).
 */
#include "bind.h"
#include "dyntab.h"
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

/* At most this many interposed functions. */
#define MAX_HOOKS 16

static const struct link_map *object_of(const void *addr)
{
	Dl_info info;
	struct link_map *lm = NULL;

	if (!dladdr1(addr, &info, (void **)&lm, RTLD_DL_LINKMAP))
		return NULL;
	return lm;
}

static int redirect_symbols(const struct pgv_elf *pq,
			    const struct pgv_hook *hooks, size_t n, char *err,
			    size_t errlen)
{
	for (size_t i = 0; i < n; i++) {
		const ElfW(Sym) *sym = pgv_elf_lookup(pq, hooks[i].name);
		if (!sym || (void *)(pq->base + sym->st_value) != hooks[i].real) {
			snprintf(err, errlen,
				 "libpq's symbol table (%s) does not define "
				 "%s where dlsym() found it",
				 pq->name, hooks[i].name);
			return -1;
		}
		if (pgv_elf_redirect_symbol(pq, sym, hooks[i].hook) < 0) {
			snprintf(err, errlen,
				 "cannot change libpq's symbol table (%s): %m",
				 pq->name);
			return -1;
		}
	}
	return 0;
}

/* libpq's getenv() and fopen() calls go to replay.c.  Every libpq reads
 * its environment through getenv(); not finding it means not seeing. */
static int route_inputs(const struct pgv_elf *pq, char *err, size_t errlen)
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

/* Objects of this namespace that bound libpq's functions directly. */
static int rebind_namespace(const struct link_map *self,
			    const struct pgv_hook *hooks, size_t n, char *err,
			    size_t errlen)
{
	struct pgv_rebind rb[MAX_HOOKS];

	for (size_t i = 0; i < n; i++)
		rb[i] = (struct pgv_rebind){hooks[i].name, hooks[i].real,
					    hooks[i].hook};
	for (const struct link_map *lm = pgv_elf_namespace_head(self); lm;
	     lm = lm->l_next) {
		struct pgv_elf obj;
		if (lm == self || pgv_elf_open(lm, &obj) < 0)
			continue;
		if (pgv_elf_rebind(&obj, rb, n) < 0) {
			snprintf(err, errlen, "cannot rebind libpq's functions "
					      "in %s: %m",
				 *lm->l_name ? lm->l_name : "the program");
			return -1;
		}
	}
	return 0;
}

/* Lookups in libpq, and (in the first namespace) in the global scope,
 * must now find pgverify's functions. */
static int check_lookups(const struct link_map *self, const char *libpq_path,
			 const struct pgv_hook *hooks, size_t n, char *err,
			 size_t errlen)
{
	void *pq = dlopen(libpq_path, RTLD_LAZY | RTLD_NOLOAD);
	Lmid_t ns = LM_ID_BASE;
	int rc = 0;

	if (pq)
		dlinfo(pq, RTLD_DI_LMID, &ns);
	for (size_t i = 0; pq && rc == 0 && i < n; i++) {
		void *in_libpq = dlsym(pq, hooks[i].name);
		void *global =
		    ns == LM_ID_BASE ? dlsym(RTLD_DEFAULT, hooks[i].name) : NULL;
		if (object_of(in_libpq) != self ||
		    (ns == LM_ID_BASE && object_of(global) != self))
			rc = -1;
		if (rc < 0)
			snprintf(err, errlen,
				 "after binding, %s still resolves to libpq's "
				 "own function",
				 hooks[i].name);
	}
	if (!pq) {
		snprintf(err, errlen, "libpq (%s) cannot be opened again: %s",
			 libpq_path, dlerror());
		rc = -1;
	}
	if (pq)
		dlclose(pq);
	return rc;
}

int pgv_bind(const struct pgv_hook *hooks, size_t n, char *err, size_t errlen)
{
	const struct link_map *self = object_of((void *)pgv_bind);
	const struct link_map *lpq = n ? object_of(hooks[0].real) : NULL;
	struct pgv_elf pq;

	if (n > MAX_HOOKS || !self || !lpq || lpq == self ||
	    pgv_elf_open(lpq, &pq) < 0) {
		snprintf(err, errlen, "cannot find libpq's dynamic section");
		return -1;
	}
	if (redirect_symbols(&pq, hooks, n, err, errlen) < 0 ||
	    route_inputs(&pq, err, errlen) < 0 ||
	    rebind_namespace(self, hooks, n, err, errlen) < 0)
		return -1;
	return check_lookups(self, lpq->l_name, hooks, n, err, errlen);
}

/* Whether the object defines `name` (and so is libpq, or pgverify). */
static int defines(const struct link_map *lm, const char *name)
{
	struct pgv_elf obj;

	return pgv_elf_open(lm, &obj) == 0 && pgv_elf_lookup(&obj, name);
}

int pgv_bind_namespace(void *handle, char *err, size_t errlen)
{
	struct link_map *lm = NULL;
	Lmid_t ns = LM_ID_BASE;
	int libpq = 0, pgverify = 0;
	Dl_info self;
	/* Not the dlmopen() of hooks.c, which would come back here. */
	void *(*real_dlmopen)(Lmid_t, const char *, int) =
	    (void *(*)(Lmid_t, const char *, int))dlsym(RTLD_NEXT, "dlmopen");

	if (dlinfo(handle, RTLD_DI_LMID, &ns) < 0 || ns == LM_ID_BASE ||
	    dlinfo(handle, RTLD_DI_LINKMAP, &lm) < 0)
		return 0;
	for (const struct link_map *o = pgv_elf_namespace_head(lm); o;
	     o = o->l_next) {
		int ours = defines(o, "pgverify_config_load");
		pgverify |= ours;
		libpq |= !ours && defines(o, "PQconnectdb");
	}
	if (!libpq || pgverify)
		return 0;
	if (!real_dlmopen || !dladdr((void *)pgv_bind_namespace, &self) ||
	    !real_dlmopen(ns, self.dli_fname, RTLD_NOW | RTLD_LOCAL)) {
		snprintf(err, errlen,
			 "a libpq was loaded with dlmopen() into a new "
			 "namespace, and pgverify could not be loaded there "
			 "(%s): the handle is refused",
			 dlerror());
		return -1;
	}
	return 0;
}
