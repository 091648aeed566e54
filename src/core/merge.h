/*
 * Merging a request's options the way libpq does (its options, the service
 * file, the PG* variables, its defaults), without connecting; see merge.c.
 */
#ifndef PGV_MERGE_H
#define PGV_MERGE_H

#include "core.h"
#include "request.h"

#include <libpq-fe.h>

/* The merged settings of request `r`, with where each came from.  0, or -1
 * with libpq's own complaint (passwords masked) in `err`. */
int pgv_request_merge(const struct pgv_request *r, pgverify_settings *out,
		      char *err, size_t errlen);

/* The options the policy reads, as `conn` holds them after libpq's merge
 * of request `r`, with where each came from (unknown if `r` is NULL).
 * 0, or -1 (out of memory); release with pgverify_settings_clear(). */
int pgv_settings_from_conn(const struct pgv_libpq *pq, PGconn *conn,
			   const struct pgv_request *r, pgverify_settings *out);

#endif
