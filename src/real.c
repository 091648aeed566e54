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

struct pgv_real pgv_real;

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

#define RESOLVE(fn) (pgv_real.fn = (__typeof__(pgv_real.fn))lookup(#fn))

static void resolve_all(void)
{
	resolved = RESOLVE(PQconnectdb) && RESOLVE(PQconnectdbParams) &&
		   RESOLVE(PQconnectStart) && RESOLVE(PQconnectStartParams) &&
		   RESOLVE(PQsetdbLogin) && RESOLVE(PQping) &&
		   RESOLVE(PQpingParams) && RESOLVE(PQconnectPoll);
}

int pgv_real_init(void)
{
	pthread_once(&once, resolve_all);
	return resolved ? 0 : -1;
}
