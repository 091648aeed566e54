/*
 * Making every way into libpq's connection functions lead through
 * pgverify, however the caller found them; see doc/interception.md.
 */
#ifndef PGV_BIND_H
#define PGV_BIND_H

#include <stddef.h>

/* One interposed function: its name, pgverify's function, libpq's. */
struct pgv_hook {
	const char *name;
	void *hook;
	void *real;
};

/*
 * In this process's namespace of libpgverify: point libpq's own dynamic
 * symbols for `hooks` at pgverify's functions (so dlsym() on libpq,
 * RTLD_DEEPBIND and late binding find them), rebind every object already
 * bound to libpq's functions, and route libpq's getenv() and fopen() to
 * replay.c.  Then check that lookups find pgverify.  0, or -1 with `err`:
 * the caller must refuse every connection.
 */
int pgv_bind(const struct pgv_hook *hooks, size_t n, char *err,
	     size_t errlen);

/*
 * After dlmopen() returned `handle`: if its namespace holds a libpq and
 * no pgverify, load pgverify there too (its constructor then binds that
 * libpq).  0, or -1 with `err`: the caller must not hand out `handle`.
 */
int pgv_bind_namespace(void *handle, char *err, size_t errlen);

#endif
