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
 * reads once what pgverify planned with; its loading of root certificates
 * to store.c, so that a bundle is parsed once per process.
 */
#include "bind.h"
#include "dl.h"
#include "dyntab.h"
#include "replay.h"
#include "ssl.h"
#include "store.h"

#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* What libpq calls to read its environment and its service files. */
static const struct pgv_rebind libpq_inputs[] = {
    {"getenv", NULL, (void *)pgv_replay_getenv},
    {"fopen", NULL, (void *)pgv_replay_fopen},
    {"fopen64", NULL, (void *)pgv_replay_fopen},
};
#define NINPUTS (sizeof(libpq_inputs) / sizeof(*libpq_inputs))

/* The names of the loaded objects `wanted` accepts (all, for NULL),
 * copied under the loader's lock. */
struct names {
	char **name;
	size_t n, cap;
	int failed;
	int (*wanted)(const struct pgv_elf *obj);
};

static int collect(struct dl_phdr_info *info, size_t size, void *arg)
{
	struct names *ns = arg;
	struct pgv_elf obj;
	char **grown;

	(void)size;
	if (ns->wanted &&
	    (pgv_elf_open_info(info, &obj) < 0 || !ns->wanted(&obj)))
		return 0;
	if (ns->n == ns->cap) {
		ns->cap = ns->cap ? 2 * ns->cap : 64;
		if (!(grown = realloc(ns->name, ns->cap * sizeof(*grown)))) {
			ns->failed = 1;
			return 1;
		}
		ns->name = grown;
	}
	if (!(ns->name[ns->n] = strdup(info->dlpi_name ? info->dlpi_name : "")))
		ns->failed = 1;
	else
		ns->n++;
	return ns->failed;
}

/* The object named `name` in namespace `ns`, pinned (NULL if it is not
 * there, or was unloaded since). */
static void *pin(Lmid_t ns, const char *name)
{
	if (!*name)
		return ns == LM_ID_BASE ? pgv_dl_open(NULL, RTLD_LAZY) : NULL;
	return pgv_dl_mopen(ns, name, RTLD_LAZY | RTLD_NOLOAD);
}

int pgv_bind_each_object(Lmid_t ns, int (*wanted)(const struct pgv_elf *obj),
			 int (*fn)(const struct link_map *lm, void *arg),
			 void *arg)
{
	struct names names = {NULL, 0, 0, 0, wanted};
	int rc = 0;

	/* The loader's list is read under its lock, never walked: another
	 * thread may be loading or unloading. */
	dl_iterate_phdr(collect, &names);
	rc = names.failed ? -1 : 0;
	for (size_t i = 0; i < names.n; i++) {
		struct link_map *lm = NULL;
		void *h = rc == 0 ? pin(ns, names.name[i]) : NULL;
		if (h && dlinfo(h, RTLD_DI_LINKMAP, &lm) == 0 && lm)
			rc = fn(lm, arg);
		if (h)
			dlclose(h);
		free(names.name[i]);
	}
	free(names.name);
	return rc;
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

int pgv_bind_store(const struct pgv_elf *pq, int slot, char *why, size_t whylen)
{
	const struct pgv_ssl *ssl = pgv_ssl_of(pq, why, whylen);

	if (!ssl)
		return 0;
	pgv_store_attach(slot, ssl);
	/* The two calls that change a store first, the one that hands out
	 * shared stores last: a thread inside libpq meanwhile, or a routing
	 * that fails half-way, never has a shared store changed by a call
	 * that did not come here. */
	for (int i = PGV_NSTORE_HOOKS - 1; i >= 0; i--) {
		struct pgv_rebind rb = {pgv_store_hook_names[i], NULL,
					pgv_store_stubs[slot][i]};
		if (pgv_elf_rebind(pq, &rb, 1) < 0) {
			snprintf(why, whylen,
				 "cannot route libpq's %s (%s): %m", rb.name,
				 pq->name);
			return 0;
		}
	}
	return 1;
}

void pgv_bind_reals(const struct pgv_elf *pq, const void *reals[PGV_NHOOKS])
{
	for (size_t i = 0; i < PGV_NHOOKS; i++) {
		const ElfW(Sym) *sym = pgv_elf_lookup(pq, pgv_hook_names[i]);
		reals[i] =
		    sym ? (const void *)(pq->base + sym->st_value) : NULL;
	}
}

int pgv_bind_symbols(const struct pgv_elf *pq, const void *const *stubs,
		     char *err, size_t errlen)
{
	for (size_t i = 0; i < PGV_NHOOKS; i++) {
		const ElfW(Sym) *sym = pgv_elf_lookup(pq, pgv_hook_names[i]);
		if (sym &&
		    pgv_elf_redirect_symbol(pq, sym, (void *)stubs[i]) < 0) {
			snprintf(err, errlen,
				 "cannot change libpq's symbol table (%s): %m",
				 pq->name);
			return -1;
		}
	}
	return 0;
}

struct rebinding {
	const struct link_map *self;
	struct pgv_rebind rb[PGV_NHOOKS];
	size_t n;
	char *err;
	size_t errlen;
};

static int rebind_object(const struct link_map *lm, void *arg)
{
	struct rebinding *r = arg;
	struct pgv_elf obj;

	if (lm == r->self || pgv_elf_open(lm, &obj) < 0 ||
	    pgv_elf_rebind(&obj, r->rb, r->n) >= 0)
		return 0;
	snprintf(r->err, r->errlen, "cannot rebind libpq's functions in %s: %m",
		 *lm->l_name ? lm->l_name : "the program");
	return -1;
}

int pgv_bind_rebind(const void *const *reals, const void *const *stubs,
		    char *err, size_t errlen)
{
	struct rebinding r = {
	    pgv_dl_object_of((void *)pgv_bind_rebind), {{0}}, 0, err, errlen};

	/* A slot is rebound only from the copy's own address: never
	 * "anything", which would take other copies' callers. */
	for (size_t i = 0; i < PGV_NHOOKS; i++)
		if (reals[i])
			r.rb[r.n++] = (struct pgv_rebind){pgv_hook_names[i],
							  reals[i], stubs[i]};
	if (pgv_bind_each_object(pgv_dl_own_namespace(), NULL, rebind_object,
				 &r) < 0) {
		if (!err[0])
			snprintf(err, errlen,
				 "out of memory listing the "
				 "loaded objects");
		return -1;
	}
	return 0;
}

int pgv_bind_check(const char *path, const void *const *stubs, char *err,
		   size_t errlen)
{
	void *pq = pgv_dl_open(path, RTLD_LAZY | RTLD_NOLOAD);
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

/*
 * What the namespace of `lm` holds: 1 a libpq, 2 pgverify.  Walked from
 * the handle dlmopen() just returned to this thread: dl_iterate_phdr()
 * lists the caller's namespace only, and this one is new.
 */
static int survey(const struct link_map *lm)
{
	int found = 0;

	while (lm->l_prev)
		lm = lm->l_prev;
	for (; lm; lm = lm->l_next) {
		struct pgv_elf obj;
		if (pgv_elf_open(lm, &obj) == 0)
			found |= (pgv_bind_is_libpq(&obj) ? 1 : 0) |
				 (is_pgverify(&obj) ? 2 : 0);
	}
	return found;
}

int pgv_bind_namespace(void *handle, char *err, size_t errlen)
{
	struct link_map *lm = NULL;
	Lmid_t ns = LM_ID_BASE;
	Dl_info self;

	if (dlinfo(handle, RTLD_DI_LMID, &ns) < 0 || ns == LM_ID_BASE ||
	    dlinfo(handle, RTLD_DI_LINKMAP, &lm) < 0 || survey(lm) != 1)
		return 0;
	if (!dladdr((void *)pgv_bind_namespace, &self) ||
	    !pgv_dl_mopen(ns, self.dli_fname, RTLD_NOW | RTLD_LOCAL)) {
		snprintf(err, errlen,
			 "a libpq was loaded with dlmopen() into a new "
			 "namespace, and pgverify could not be loaded there "
			 "(%s): the handle is refused",
			 dlerror());
		return -1;
	}
	return 0;
}
