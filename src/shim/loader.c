/*
 * dlopen() and dlmopen() as the program calls them: the C library loads,
 * then, before the handle is returned, every libpq copy that arrived is
 * bound (copies.c), and a new namespace holding a libpq gets pgverify too
 * (bind.c).
 *
 * The loader searches a bare file name as the *calling* object's RPATH,
 * RUNPATH and $ORIGIN say; called from here it would search as pgverify's.
 * So the caller's own search path is asked of the loader (dlinfo()
 * RTLD_DI_SERINFO on the caller's handle, $ORIGIN already expanded), and
 * the first of those directories holding the file is what is opened;
 * LD_LIBRARY_PATH, the cache and the default directories, which are the
 * same for every caller, are left to the C library.
 */
#include "bind.h"
#include "dl.h"
#include "engine.h"
#include "log.h"

#include <limits.h>
#include <link.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* A handle on the object holding `addr`, or NULL. */
static void *handle_of(const void *addr)
{
	const struct link_map *lm = pgv_dl_object_of(addr);

	if (!lm)
		return NULL;
	return pgv_dl_open(*lm->l_name ? lm->l_name : NULL,
			   RTLD_LAZY | RTLD_NOLOAD);
}

/*
 * Into `out`: where the loader would find the bare name `file` through
 * the RPATH/RUNPATH (and LD_LIBRARY_PATH, which comes between them) of the
 * code at `caller`.  0 when found, -1 when the C library's own search
 * (cache, default directories) is to be used.
 */
static int search_as(const void *caller, const char *file, char *out,
		     size_t outlen)
{
	void *h = handle_of(caller);
	Dl_serinfo size, *info = NULL;
	int rc = -1;

	if (h && dlinfo(h, RTLD_DI_SERINFOSIZE, &size) == 0 &&
	    (info = malloc(size.dls_size))) {
		*info = size;
		if (dlinfo(h, RTLD_DI_SERINFO, info) < 0)
			info->dls_cnt = 0;
	}
	for (unsigned i = 0; info && rc < 0 && i < info->dls_cnt; i++) {
		const Dl_serpath *p = &info->dls_serpath[i];
		if (p->dls_flags & (LA_SER_CONFIG | LA_SER_DEFAULT))
			break;
		if ((size_t)snprintf(out, outlen, "%s/%s", p->dls_name, file) <
			outlen &&
		    access(out, F_OK) == 0)
			rc = 0;
	}
	free(info);
	if (h)
		dlclose(h);
	return rc;
}

static void *open_as(const void *caller, Lmid_t lmid, const char *file,
		     int mode)
{
	char path[PATH_MAX];
	void *h;

	if (file && !strchr(file, '/')) {
		/* Already loaded under that name: the loader's first answer. */
		if (lmid == LM_ID_BASE &&
		    (h = pgv_dl_open(file, mode | RTLD_NOLOAD)))
			return h;
		if (search_as(caller, file, path, sizeof(path)) == 0)
			file = path;
	}
	return lmid == LM_ID_BASE ? pgv_dl_open(file, mode)
				  : pgv_dl_mopen(lmid, file, mode);
}

static void *open_library(const char *file, int mode)
{
	void *h = open_as(__builtin_return_address(0), LM_ID_BASE, file, mode);

	if (h)
		pgv_engine_refresh();
	return h;
}

/*
 * A libpq loaded into another namespace has none of this namespace's
 * bindings: pgverify is loaded there too before the handle is handed out,
 * or the handle is refused.
 */
static void *open_in_namespace(Lmid_t lmid, const char *file, int mode)
{
	void *h = open_as(__builtin_return_address(0), lmid, file, mode);
	char err[1024];

	if (!h)
		return NULL;
	if (pgv_bind_namespace(h, err, sizeof(err)) < 0) {
		pgv_log(PGV_LOG_ERROR, "dlmopen(%s): %s", file ? file : "NULL",
			err);
		dlclose(h);
		return NULL;
	}
	pgv_engine_refresh();
	return h;
}

void *dlopen(const char *file, int mode) __attribute__((alias("open_library")));
void *dlmopen(Lmid_t lmid, const char *file, int mode)
    __attribute__((alias("open_in_namespace")));
