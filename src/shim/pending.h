/*
 * The audit records of calls in progress (pending.c): made from a plan,
 * kept until a started attempt ends, then written.
 */
#ifndef PGV_PENDING_H
#define PGV_PENDING_H

#include "core.h"
#include "real.h"

#include <libpq-fe.h>

struct pgv_audit;

/* A record of the call planned as `p` (NULL: refused before planning), or
 * NULL when nobody reads records, so enforcement without an audit trail
 * costs nothing. */
struct pgv_audit *pgv_pending_new(const pgverify_plan *p);
/* The attempt of `a` ended (`conn` of copy `pq`; NULL: its end was not
 * seen): write the record, said once if it cannot be, and free it. */
void pgv_pending_finish(struct pgv_audit *a, const struct pgv_libpq *pq,
			PGconn *conn);
/* Keep `a` until the attempt of `conn` ends (pgv_pending_ended()). */
void pgv_pending_add(const struct pgv_libpq *pq, PGconn *conn,
		     struct pgv_audit *a);
/* Whether a record waits for `conn`. */
int pgv_pending_known(PGconn *conn);
/* The record that waited for `conn`, taken out of the table, or NULL. */
struct pgv_audit *pgv_pending_ended(PGconn *conn);

#endif
