/*
 * The libpq copies of this namespace: each libpq file loaded (the
 * system's, a wheel's renamed copy, one found through an RPATH, in any
 * way and at any time) gets a slot, its real functions (real.h) and its
 * own set of hooks (stubs.c), before the program can reach it; see
 * doc/interception.md.
 */
#ifndef PGV_COPIES_H
#define PGV_COPIES_H

#include "hooks.h"
#include "real.h"

#include <stddef.h>

/*
 * Find and bind every libpq file of this namespace not bound yet.  Costs
 * one look at the loader's counters when nothing was loaded or unloaded
 * since the last call.  Thread-safe; called at start, after every
 * dlopen()/dlmopen(), and at every hook's entry.
 */
void pgv_copies_refresh(void);

/* The copy of `slot`, or NULL (the refusing set, or a slot not yet
 * published). */
const struct pgv_libpq *pgv_copy_at(int slot);

/*
 * The copy whose function `entry` the code at `ret` would have reached
 * without pgverify, for a call that found pgverify's exported name in the
 * global scope.  NULL, with why in `err`, when there is none pgverify has
 * bound: the caller refuses the call.
 */
const struct pgv_libpq *pgv_copy_for_caller(const void *ret,
					    enum pgv_entry entry, char *err,
					    size_t errlen);

/* Why every connection on `pq` must be refused (its binding, or the
 * process's, failed), or NULL. */
const char *pgv_copy_refusal(const struct pgv_libpq *pq);

#endif
