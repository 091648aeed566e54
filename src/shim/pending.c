/*
 * The life of audit records: made when a call is planned (only if anyone
 * reads records), kept while a PQconnectStart*() attempt is in progress,
 * and written when the attempt ends, the process exits, or the table must
 * make room.  The records themselves are audit.c's.
 */
#include "pending.h"
#include "audit.h"
#include "forklock.h"
#include "log.h"

#include <stdlib.h>
#include <string.h>

/* Set once, by the first record that could not be written: a problem with
 * the audit destination is said once per process, not per connection. */
static int audit_failed;

/* The record of this call, if anyone reads records: NULL otherwise, so
 * that enforcement without an audit trail costs nothing. */
struct pgv_audit *pgv_pending_new(const pgverify_plan *p)
{
	struct pgv_audit *a =
	    pgv_audit_enabled() || (p && p->would) ? malloc(sizeof(*a)) : NULL;

	if (a && p)
		pgv_audit_from_plan(a, p, p->verdict);
	return a;
}

/* Report mode says, at level info (it changes nothing, output included),
 * what enforcement would have broken. */
static void log_report(const struct pgv_audit *a)
{
	if (!a->would)
		return;
	if (a->would == PGVERIFY_WOULD_REFUSE)
		pgv_log(PGV_LOG_INFO, "report: would refuse: %s", a->reason);
	else if (a->would_verify == 0)
		pgv_log(PGV_LOG_INFO,
			"report: %s: would not verify under %s: %s", a->hosts,
			a->sslmode_after ? a->sslmode_after : "enforcement",
			a->would_verify_error);
}

/* The attempt of record `a` ended (conn, of copy `pq`, NULL: its end was
 * not seen). */
void pgv_pending_finish(struct pgv_audit *a, const struct pgv_libpq *pq,
			PGconn *conn)
{
	char err[1200];

	if (conn)
		pgv_audit_end(a, pq, conn);
	log_report(a);
	if (pgv_audit_emit(a, err, sizeof(err)) < 0 &&
	    !__atomic_exchange_n(&audit_failed, 1, __ATOMIC_RELAXED))
		pgv_log(PGV_LOG_WARNING,
			"%s; connections go ahead, without audit records (said "
			"once)",
			err);
	free(a);
}

/*
 * Records of connections started with PQconnectStart*(), until the
 * program's PQconnectPoll() says the attempt ended.  Written and read under
 * pending_lock; `npending` is also read without it, as a hint that spares
 * every poll the lock when nothing waits.
 */
#define PENDING_MAX 64
static struct {
	PGconn *conn;
	const struct pgv_libpq *pq;
	struct pgv_audit *audit;
} pending[PENDING_MAX];
static size_t npending;
static struct pgv_fork_lock pending_lock = PGV_FORK_LOCK_INITIALIZER;

/* The slot of `conn` (NULL: the oldest) in the table, or -1; called
 * under pending_lock. */
static int pending_find(PGconn *conn)
{
	for (size_t i = 0; i < npending; i++)
		if (!conn || pending[i].conn == conn)
			return (int)i;
	return -1;
}

/* Take the record of `conn` (NULL: the oldest) out of the table. */
static struct pgv_audit *pending_take(PGconn *conn)
{
	int i = pending_find(conn);
	struct pgv_audit *a;

	if (i < 0)
		return NULL;
	a = pending[i].audit;
	memmove(&pending[i], &pending[i + 1],
		(npending - (size_t)i - 1) * sizeof(*pending));
	__atomic_store_n(&npending, npending - 1, __ATOMIC_RELAXED);
	return a;
}

/* A record displaced (its PGconn's address reused, or the table full) is
 * written with no outcome. */
void pgv_pending_add(const struct pgv_libpq *pq, PGconn *conn,
		     struct pgv_audit *a)
{
	struct pgv_audit *old;

	pgv_fork_lock(&pending_lock);
	old = pending_take(conn);
	if (!old && npending == PENDING_MAX)
		old = pending_take(NULL);
	pending[npending].conn = conn;
	pending[npending].pq = pq;
	pending[npending].audit = a;
	__atomic_store_n(&npending, npending + 1, __ATOMIC_RELAXED);
	pgv_fork_unlock(&pending_lock);
	if (old)
		pgv_pending_finish(old, NULL, NULL);
}

int pgv_pending_known(PGconn *conn)
{
	int known;

	pgv_fork_lock(&pending_lock);
	known = pending_find(conn) >= 0;
	pgv_fork_unlock(&pending_lock);
	return known;
}

struct pgv_audit *pgv_pending_ended(PGconn *conn)
{
	struct pgv_audit *a;

	if (!__atomic_load_n(&npending, __ATOMIC_RELAXED))
		return NULL;
	pgv_fork_lock(&pending_lock);
	a = pending_take(conn);
	pgv_fork_unlock(&pending_lock);
	return a;
}

/* At exit, what never ended is still recorded. */
__attribute__((destructor)) static void flush_pending(void)
{
	struct pgv_audit *a;

	for (;;) {
		pgv_fork_lock(&pending_lock);
		a = pending_take(NULL);
		pgv_fork_unlock(&pending_lock);
		if (!a)
			break;
		pgv_pending_finish(a, NULL, NULL);
	}
}
