/*
 * The dynamic loader's dlopen() and dlmopen(), which pgverify interposes
 * so that it sees every library as it arrives (copies.c binds the libpq
 * copies among them before dlopen() returns).
 */
#ifndef PGV_LOADER_H
#define PGV_LOADER_H

#include <dlfcn.h>

/* The C library's own functions, for pgverify's internal use. */
void *pgv_loader_dlopen(const char *file, int mode);
void *pgv_loader_dlmopen(Lmid_t lmid, const char *file, int mode);

#endif
