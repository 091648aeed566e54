/* The C library's loader for pgverify's own use; see dl.h. */
#include "dl.h"

#include <pthread.h>

/* Written once under `once`; read after pthread_once() returned. */
static pthread_once_t once = PTHREAD_ONCE_INIT;
static void *(*real_dlopen)(const char *, int);
static void *(*real_dlmopen)(Lmid_t, const char *, int);

static void resolve(void)
{
	real_dlopen = (void *(*)(const char *, int))dlsym(RTLD_NEXT, "dlopen");
	real_dlmopen =
	    (void *(*)(Lmid_t, const char *, int))dlsym(RTLD_NEXT, "dlmopen");
}

void *pgv_dl_open(const char *file, int mode)
{
	pthread_once(&once, resolve);
	return real_dlopen ? real_dlopen(file, mode) : NULL;
}

void *pgv_dl_mopen(Lmid_t lmid, const char *file, int mode)
{
	pthread_once(&once, resolve);
	return real_dlmopen ? real_dlmopen(lmid, file, mode) : NULL;
}

const struct link_map *pgv_dl_object_of(const void *addr)
{
	Dl_info info;
	struct link_map *lm = NULL;

	if (!dladdr1(addr, &info, (void **)&lm, RTLD_DL_LINKMAP))
		return NULL;
	return lm;
}

Lmid_t pgv_dl_own_namespace(void)
{
	const struct link_map *self =
	    pgv_dl_object_of((void *)pgv_dl_own_namespace);
	void *h =
	    self ? pgv_dl_open(self->l_name, RTLD_LAZY | RTLD_NOLOAD) : NULL;
	Lmid_t ns = LM_ID_BASE;

	if (h) {
		dlinfo(h, RTLD_DI_LMID, &ns);
		dlclose(h);
	}
	return ns;
}
