/* CA bundle checks, cached per process by path, inode, size and mtime. */
#ifndef PGV_BUNDLE_H
#define PGV_BUNDLE_H

#include <stddef.h>

/*
 * pgverify_bundle_check() with a cache: a bundle is parsed once per process
 * until its file changes.  The first parse of a file warns (once) about CAs
 * that expire within `warn_days`.  Returns 0, or -1 with `err` set.
 */
int pgv_bundle_check_cached(const char *path, int warn_days, char *err,
			    size_t errlen);

#endif
