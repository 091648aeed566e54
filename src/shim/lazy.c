/*
 * The engine, loaded with the first libpq copy (copies.c): from the
 * library's own directory (PGV_ENGINE_FILE), never from a search path or
 * a variable, so that nothing in the environment can choose it.  If it
 * cannot be loaded, every connection is refused with the file named.
 */
#include "copies.h"
#include "dl.h"
#include "engine.h"
#include "tlsfail.h"

#include <dlfcn.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>

static const struct pgv_front front = {pgv_copy_refusal, pgv_replay_begin,
				       pgv_replay_switch, pgv_replay_end,
				       pgv_tls_failure};

/* Written once under `once`; read after pthread_once() returned. */
static pthread_once_t once = PTHREAD_ONCE_INIT;
static const struct pgv_engine *engine;
static char engine_error[PATH_MAX + 200];

static void load(void)
{
	Dl_info self;
	char path[PATH_MAX];
	const char *slash;
	void *h = NULL;
	pgv_engine_open_fn *open_engine = NULL;

	if (!dladdr((void *)load, &self) || !self.dli_fname ||
	    !(slash = strrchr(self.dli_fname, '/')) ||
	    (size_t)snprintf(path, sizeof(path), "%.*s/%s",
			     (int)(slash - self.dli_fname), self.dli_fname,
			     PGV_ENGINE_FILE) >= sizeof(path)) {
		snprintf(engine_error, sizeof(engine_error),
			 "cannot tell where libpgverify was loaded from, so "
			 "its engine (%s) cannot be found",
			 PGV_ENGINE_FILE);
		return;
	}
	if ((h = pgv_dl_open(path, RTLD_NOW | RTLD_LOCAL)))
		*(void **)&open_engine = dlsym(h, PGV_ENGINE_OPEN);
	if (!open_engine || !(engine = open_engine(&front)))
		snprintf(engine_error, sizeof(engine_error),
			 "cannot load pgverify's engine %s (%s); reinstall "
			 "pgverify",
			 path,
			 h ? "it does not define " PGV_ENGINE_OPEN : dlerror());
}

const struct pgv_engine *pgv_engine(char *err, size_t errlen)
{
	pthread_once(&once, load);
	if (!engine && err)
		snprintf(err, errlen, "%s", engine_error);
	return engine;
}

void pgv_engine_refresh(void)
{
	pgv_copies_refresh();
	/* The engine comes with the first libpq (at start, for a program
	 * linked with it): never in a process without one, and loaded
	 * before its threads race for it where it can be. */
	if (pgv_copy_at(0))
		pgv_engine(NULL, 0);
}

/* The copies already loaded are bound before the program's code runs;
 * the rest as they arrive (loader.c). */
__attribute__((constructor)) static void bind_at_start(void)
{
	pgv_engine_refresh();
}
