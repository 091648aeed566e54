/*
 * Finding the real libpq.  dlsym(RTLD_NEXT) finds the next definition after
 * the object holding this code; that works even when the program loaded
 * libpq with RTLD_LOCAL because libpgverify itself carries NEEDED libpq.so.5.
 * If that ever fails, libpq may still be loaded privately: ask it by name
 * with RTLD_NOLOAD, which never loads a second copy.
 */
#include "real.h"
#include "log.h"

#include <dlfcn.h>
#include <pthread.h>
#include <stdlib.h>

struct pgv_libpq pgv_libpq;

static pthread_once_t once = PTHREAD_ONCE_INIT;
static int resolved;

int pgv_real_is_own(void *fn)
{
	Dl_info mine, theirs;

	if (!dladdr((void *)pgv_real_is_own, &mine) || !dladdr(fn, &theirs))
		return 0;
	return mine.dli_fbase == theirs.dli_fbase;
}

static void *lookup(const char *name)
{
	void *fn = dlsym(RTLD_NEXT, name);

	if (!fn) {
		void *h = dlopen("libpq.so.5", RTLD_LAZY | RTLD_NOLOAD);
		if (h) {
			fn = dlsym(h, name);
			dlclose(h);
		}
	}
	if (fn && pgv_real_is_own(fn)) {
		pgv_log(PGV_LOG_ERROR,
			"resolving libpq's %s found pgverify's own function; "
			"refusing to recurse (is libpgverify loaded twice?)",
			name);
		abort();
	}
	if (!fn)
		pgv_log(PGV_LOG_ERROR,
			"libpq's %s was not found: every "
			"connection will be refused",
			name);
	return fn;
}

static int resolve(void **member, const char *name)
{
	return (*member = lookup(name)) != NULL;
}

static void resolve_all(void)
{
	struct pgv_libpq *l = &pgv_libpq;

	resolved =
	    resolve((void **)&l->connectdb, "PQconnectdb") &&
	    resolve((void **)&l->connectdb_params, "PQconnectdbParams") &&
	    resolve((void **)&l->connect_start, "PQconnectStart") &&
	    resolve((void **)&l->connect_start_params,
		    "PQconnectStartParams") &&
	    resolve((void **)&l->setdb_login, "PQsetdbLogin") &&
	    resolve((void **)&l->ping, "PQping") &&
	    resolve((void **)&l->ping_params, "PQpingParams") &&
	    resolve((void **)&l->connect_poll, "PQconnectPoll");
}

int pgv_real_init(void)
{
	pthread_once(&once, resolve_all);
	return resolved ? 0 : -1;
}
