/*
 * The C library's loader as pgverify itself uses it: the real dlopen()
 * and dlmopen() (loader.c interposes the program's), and where an address
 * or pgverify lives.  Calls nothing else of pgverify's.
 */
#ifndef PGV_DL_H
#define PGV_DL_H

#include <dlfcn.h>
#include <link.h>

void *pgv_dl_open(const char *file, int mode);
void *pgv_dl_mopen(Lmid_t lmid, const char *file, int mode);

/* The object holding `addr`, or NULL. */
const struct link_map *pgv_dl_object_of(const void *addr);

/* pgverify's own namespace. */
Lmid_t pgv_dl_own_namespace(void);

#endif
