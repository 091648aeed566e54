/*
 * Process state of the preloaded or linked library: the configuration,
 * read once when the process first uses libpq (pthread_once), and the
 * route each connection takes, decided by pgv_plan().  The libpq copies
 * are bound at start and as they are loaded (copies.c); a process that
 * never uses libpq reads no file and writes nothing.
 */
#include "shim.h"
#include "audit.h"
#include "config.h"
#include "engine.h"
#include "failure.h"
#include "forklock.h"
#include "log.h"
#include "merge.h"
#include "pending.h"
#include "plan.h"
#include "real.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Written once by init() under `once`; read without a lock after
 * pthread_once() has returned, which orders the reads after the writes. */
static pthread_once_t once = PTHREAD_ONCE_INIT;
static pgverify_config *config; /* NULL: config_error says why */
static char config_error[1024];

/* The library's table: written once by pgv_shim_open(), before the
 * library calls anything else here (its pthread_once orders it). */
static const struct pgv_front *front;

/* The calls being forwarded on this thread, innermost first; this thread
 * alone reads and writes it. */
static __thread struct pgv_shim_call *innermost;

/* PGVERIFY_LOG overrides the file; a bad value is reported, not fatal:
 * the log level does not weaken anything. */
static void configure_logging(void)
{
	const char *env = secure_getenv("PGVERIFY_LOG");
	int level = config ? config->log_level : PGV_LOG_WARNING;
	int target = config ? config->log_target : PGV_LOG_STDERR;

	if (env && *env) {
		int l = pgv_log_level_parse(env);
		if (l < 0)
			pgv_log(PGV_LOG_WARNING,
				"PGVERIFY_LOG=\"%s\" is not error, "
				"warning, info or debug; ignored",
				env);
		else
			level = l;
	}
	pgv_log_configure(level, target);
}

static void open_audit(void)
{
	if (config && pgv_audit_open(config->audit) < 0)
		pgv_log(PGV_LOG_WARNING, "out of memory: connections go ahead, "
					 "without audit records");
}

static void init(void)
{
	config =
	    pgverify_config_load_default(config_error, sizeof(config_error));
	configure_logging();
	if (config && config->ignored_env)
		pgv_log(PGV_LOG_WARNING,
			"PGVERIFY_CONFIG=\"%s\" is ignored: %s locks the "
			"policy (lock = true)",
			config->ignored_env, config->path);
	open_audit();
	pgv_debug("initialised: config %s",
		  config ? (config->path ? config->path : "built-in defaults")
			 : "FAILED");
}

static void log_change(const pgverify_plan *p)
{
	const pgverify_decision *d = &p->decision;

	pgv_log(PGV_LOG_INFO, "%s: sslmode %s -> %s, sslrootcert %s (%s%s)%s%s",
		p->hosts, d->sslmode_before, d->sslmode_after, d->sslrootcert,
		d->rule ? "rule " : d->bundle_source, d->rule ? d->rule : "",
		d->gssencmode ? ", gssencmode disable" : "",
		d->sslnegotiation ? ", sslnegotiation direct" : "");
}

/* The route of one request; its plan (the forwarded arrays) stays in
 * sc->plan until pgv_shim_end(). */
static enum pgv_route decide(struct pgv_shim_call *sc,
			     const struct pgv_request *req)
{
	pgverify_plan *plan = &sc->plan;
	enum pgv_route route = PGV_ROUTE_REFUSED;
	const char *refusal = front->copy_refusal(req->pq);

	if (refusal) {
		snprintf(plan->reason, sizeof(plan->reason), "%s", refusal);
		if ((sc->audit = pgv_pending_new(NULL)))
			pgv_audit_refused(sc->audit, plan->reason);
		return route;
	}
	if (!config) {
		snprintf(plan->reason, sizeof(plan->reason),
			 "bad configuration: %s", config_error);
		return route;
	}
	pgv_plan(config, req, plan);
	switch (pgv_plan_resolve(config, plan)) {
	case PGVERIFY_LEAVE:
		pgv_debug("%s: left as asked: %s", plan->hosts, plan->reason);
		route = PGV_ROUTE_ORIGINAL;
		break;
	case PGVERIFY_ENFORCE:
		if (plan->changed)
			log_change(plan);
		if (plan->decision.keylog)
			pgv_log(PGV_LOG_WARNING,
				"%s: sslkeylogfile=%s: this connection's TLS "
				"keys are written to that file (lock = true "
				"would refuse it)",
				plan->hosts, plan->decision.keylog);
		route = PGV_ROUTE_REWRITTEN;
		break;
	case PGVERIFY_REFUSE:
		break;
	}
	sc->audit = pgv_pending_new(plan);
	return route;
}

void pgv_shim_poll_ended(const struct pgv_libpq *pq, PGconn *conn)
{
	struct pgv_audit *a;

	pgv_explain_failure(config, front, pq, conn);
	if ((a = pgv_pending_ended(conn)))
		pgv_pending_finish(a, pq, conn);
}

void pgv_shim_connected(struct pgv_shim_call *sc, PGconn *conn, int started)
{
	struct pgv_audit *a = sc->audit;

	sc->audit = NULL;
	if (!started)
		pgv_explain_failure(config, front, sc->pq, conn);
	if (!a)
		return;
	if (started && conn && sc->pq->status(conn) != CONNECTION_BAD)
		pgv_pending_add(sc->pq, conn, a);
	else
		pgv_pending_finish(a, sc->pq, conn);
}

void pgv_shim_pinged(struct pgv_shim_call *sc, PGPing ping)
{
	if (!sc->audit)
		return;
	pgv_audit_end_ping(sc->audit, ping);
	pgv_pending_finish(sc->audit, NULL, NULL);
	sc->audit = NULL;
}

enum pgv_route pgv_shim_begin(struct pgv_shim_call *sc,
			      const struct pgv_request *req)
{
	enum pgv_route route;

	pthread_once(&once, init);
	memset(&sc->plan, 0, sizeof(sc->plan));
	sc->pq = req->pq;
	sc->forwarded = NULL;
	sc->audit = NULL;
	sc->outer = innermost;
	innermost = sc;
	front->replay_begin(&sc->replay);
	route = decide(sc, req);
	if (route != PGV_ROUTE_REFUSED && sc->replay.failed) {
		snprintf(
		    sc->plan.reason, sizeof(sc->plan.reason),
		    "the connection's environment or service file could "
		    "not be read once for pgverify and libpq alike (out of "
		    "memory, or a service file over 1 MiB)");
		route = PGV_ROUTE_REFUSED;
		if (sc->audit)
			pgv_audit_refused(sc->audit, sc->plan.reason);
	}
	if (route == PGV_ROUTE_REFUSED) {
		pgv_log(PGV_LOG_WARNING, "refused: %s", sc->plan.reason);
		if (sc->audit)
			pgv_pending_finish(sc->audit, NULL, NULL);
		sc->audit = NULL;
	} else {
		front->replay_switch(&sc->replay);
	}
	return route;
}

void pgv_shim_forwarding(struct pgv_shim_call *sc, const void *args)
{
	sc->forwarded = args;
}

void pgv_shim_end(struct pgv_shim_call *sc)
{
	free(sc->audit);
	pgverify_plan_clear(&sc->plan);
	front->replay_end(&sc->replay);
	innermost = sc->outer;
}

void pgv_shim_open(const struct pgv_front *f)
{
	front = f;
}

int pgv_shim_is_forwarded(const void *args)
{
	return args && innermost && innermost->forwarded == args;
}

/*
 * The record of an attempt the backstop saw start: one libpq began without
 * the hooks (a caller past every symbol table, PQreset()).  An attempt of
 * a call the hooks are forwarding, or one already waiting in the table, has
 * its record.  A refusal is written at once; the rest when the poll ends.
 */
static void record_started(const struct pgv_libpq *pq, PGconn *conn,
			   const pgverify_plan *plan)
{
	struct pgv_audit *a;

	if (innermost)
		return;
	if (pgv_pending_known(conn) || !(a = pgv_pending_new(plan)))
		return;
	if (plan->verdict == PGVERIFY_REFUSE)
		pgv_pending_finish(a, NULL, NULL);
	else
		pgv_pending_add(pq, conn, a);
}

int pgv_shim_check_started(const struct pgv_libpq *pq, PGconn *conn)
{
	pgverify_plan plan;
	pgverify_verdict verdict = PGVERIFY_REFUSE;
	const char *refusal;

	pthread_once(&once, init);
	if (!conn || pq->status(conn) != CONNECTION_NEEDED)
		return 0;
	memset(&plan, 0, sizeof(plan));
	if ((refusal = front->copy_refusal(pq)))
		snprintf(plan.reason, sizeof(plan.reason), "%s", refusal);
	else if (!config)
		snprintf(plan.reason, sizeof(plan.reason),
			 "bad configuration: %s", config_error);
	else if (pgv_settings_from_conn(pq, conn, NULL, &plan.settings) < 0)
		snprintf(plan.reason, sizeof(plan.reason), "out of memory");
	else
		verdict = pgv_plan_started(config, pq->version, &plan);
	if (verdict == PGVERIFY_REFUSE) {
		pgv_log(PGV_LOG_WARNING, "refused: %s", plan.reason);
		pgv_libpq_set_error(pq, conn, plan.reason, 0);
	}
	plan.verdict = verdict;
	if (config)
		record_started(pq, conn, &plan);
	pgverify_plan_clear(&plan);
	return verdict == PGVERIFY_REFUSE ? -1 : 0;
}
