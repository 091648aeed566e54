/*
 * Binding one libpq copy so that every way into its connection functions
 * leads to its own hooks; see doc/interception.md.  copies.c decides what
 * is bound and in which order; each step here is one change to the
 * process's dynamic linking tables.
 */
#ifndef PGV_BIND_H
#define PGV_BIND_H

#include "dyntab.h"
#include "hooks.h"

#include <dlfcn.h>
#include <stddef.h>

/*
 * `fn` for each object loaded in pgverify's own namespace `ns` that
 * `wanted` accepts (all for NULL; asked under the loader's lock, from the
 * object's tables alone), each pinned with dlopen(RTLD_NOLOAD) while `fn`
 * runs, until `fn` returns non-zero, which is returned; -1 when out of
 * memory.  Pinning is what costs: a filter keeps it to the few objects
 * that matter.
 */
int pgv_bind_each_object(Lmid_t ns, int (*wanted)(const struct pgv_elf *obj),
			 int (*fn)(const struct link_map *lm, void *arg),
			 void *arg);

/* Whether the object is a libpq (it defines libpq's connection functions
 * and PQconninfo(), which pgverify does not). */
int pgv_bind_is_libpq(const struct pgv_elf *obj);

/* The copy's own functions for each hook (NULL where it has none), read
 * from its symbol table before anything is redirected. */
void pgv_bind_reals(const struct pgv_elf *pq, const void *reals[PGV_NHOOKS]);

/* Route the copy's getenv() and fopen() to replay.c.  0, or -1 with err. */
int pgv_bind_inputs(const struct pgv_elf *pq, char *err, size_t errlen);

/*
 * Route the copy's loading of root certificates to store.c's hooks for
 * `slot`, where its OpenSSL can be told for certain (ssl.c).  1 routed;
 * 0 not, why in `why`: the copy loads its own, as without pgverify.
 */
int pgv_bind_store(const struct pgv_elf *pq, int slot, char *why,
		   size_t whylen);

/* Point the copy's dynamic symbols for the hooks at `stubs` (every later
 * lookup in the copy).  0, or -1 with err: the copy stays reachable. */
int pgv_bind_symbols(const struct pgv_elf *pq, const void *const *stubs,
		     char *err, size_t errlen);

/* Every object of pgverify's namespace whose GOT holds one of `reals`
 * holds the matching stub instead.  0, or -1 with err. */
int pgv_bind_rebind(const void *const *reals, const void *const *stubs,
		    char *err, size_t errlen);

/* dlsym() on the copy at `path` now finds `stubs`.  0, or -1 with err. */
int pgv_bind_check(const char *path, const void *const *stubs, char *err,
		   size_t errlen);

/*
 * After dlmopen() returned `handle`: if its namespace holds a libpq and
 * no pgverify, load pgverify there too (its constructor then binds the
 * copies there).  0, or -1 with `err`: the caller must not hand out
 * `handle`.
 */
int pgv_bind_namespace(void *handle, char *err, size_t errlen);

#endif
