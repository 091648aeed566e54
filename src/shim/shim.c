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
#include "forklock.h"
#include "log.h"
#include "mask.h"
#include "merge.h"
#include "plan.h"
#include "rds.h"
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

/* Set once, by the first record that could not be written: a problem with
 * the audit destination is said once per process, not per connection. */
static int audit_failed;

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

/* The record of this call, if anyone reads records: NULL otherwise, so
 * that enforcement without an audit trail costs nothing. */
static struct pgv_audit *new_record(const pgverify_plan *p)
{
	struct pgv_audit *a =
	    pgv_audit_enabled() || (p && p->report) ? malloc(sizeof(*a)) : NULL;

	if (a && p)
		pgv_audit_from_plan(a, p, p->verdict);
	return a;
}

/* The route of one request; its plan (the forwarded arrays) stays in
 * sc->plan until pgv_shim_end(). */
static enum pgv_route decide(struct pgv_shim_call *sc,
			     const struct pgv_request *req)
{
	pgverify_plan *plan = &sc->plan;
	enum pgv_route route = PGV_ROUTE_REFUSED;
	const char *refusal = pgv_front->copy_refusal(req->pq);

	if (refusal) {
		snprintf(sc->reason, sizeof(sc->reason), "%s", refusal);
		if ((sc->audit = new_record(NULL)))
			pgv_audit_refused(sc->audit, sc->reason);
		return route;
	}
	if (!config) {
		snprintf(sc->reason, sizeof(sc->reason),
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
		snprintf(sc->reason, sizeof(sc->reason), "%s", plan->reason);
		break;
	}
	sc->audit = new_record(plan);
	return route;
}

/* Report mode says, at level info (it changes nothing, output included),
 * what enforcement would have broken. */
static void log_report(const struct pgv_audit *a)
{
	if (!a->would)
		return;
	if (strcmp(a->would, "refuse") == 0)
		pgv_log(PGV_LOG_INFO, "report: would refuse: %s", a->reason);
	else if (a->would_verify == 0)
		pgv_log(PGV_LOG_INFO,
			"report: %s: would not verify under %s: %s", a->hosts,
			a->sslmode_after ? a->sslmode_after : "enforcement",
			a->would_verify_error);
}

/* The attempt of record `a` ended (conn, of copy `pq`, NULL: its end was
 * not seen). */
static void finish(struct pgv_audit *a, const struct pgv_libpq *pq,
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
static void pending_add(const struct pgv_libpq *pq, PGconn *conn,
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
		finish(old, NULL, NULL);
}

/* Whether libpq's message is a failed check of the server's certificate
 * (OpenSSL's verification, or libpq's host name check). */
static int certificate_failed(const char *msg)
{
	return msg && !strstr(msg, "pgverify probe") &&
	       (strstr(msg, "certificate verify failed") ||
		strstr(msg, "does not match host name"));
}

/* Where the bundle of a verified connection came from: the rule or the
 * configuration that names it, else the connection itself. */
static void bundle_origin(const struct pgv_libpq *pq,
			  const pgverify_settings *s, char *out, size_t len)
{
	pgverify_settings bare = *s;
	pgverify_context ctx = pgv_plan_context(pq->version, NULL);
	pgverify_decision d;

	bare.sslrootcert = NULL;
	pgverify_decide(config, &bare, &ctx, &d);
	if (d.verdict != PGVERIFY_ENFORCE || !d.sslrootcert ||
	    strcmp(d.sslrootcert, s->sslrootcert) != 0)
		snprintf(out, len, "the connection's own");
	else if (d.rule)
		snprintf(out, len, "the rule \"%s\" of %s", d.rule,
			 config->path ? config->path : "the configuration");
	else
		snprintf(out, len, "the sslrootcert of %s",
			 config->path ? config->path : "the built-in defaults");
}

/*
 * A connection pgverify verified failed its certificate check: say, in its
 * PQerrorMessage() and once in the log, which bundle (from which rule) it
 * was verified with, and the probe command that shows what the server
 * presents.
 */
/* ", and it presented ... " when the library saw the handshake fail. */
static void presented(PGconn *conn, char *out, size_t len)
{
	char issuer[256], root[256];
	const char *id;

	*out = '\0';
	if (!pgv_front->tls_failure(conn, issuer, sizeof(issuer), root,
				    sizeof(root)))
		return;
	id = pgv_rds_ca_id(root);
	snprintf(out, len,
		 "; the server presented a certificate issued by %s, whose "
		 "chain names the root %s%s%s%s",
		 issuer, root, id ? " (RDS CA id " : "", id ? id : "",
		 id ? ")" : "");
}

static void explain_failure(const struct pgv_libpq *pq, PGconn *conn)
{
	pgverify_settings s;
	char origin[1200], note[3600], shown[700];

	if (!conn || !config || pq->status(conn) != CONNECTION_BAD ||
	    !certificate_failed(pq->error_message(conn)))
		return;
	memset(&s, 0, sizeof(s));
	if (pgv_settings_from_conn(pq, conn, NULL, &s) == 0 && s.sslmode &&
	    strncmp(s.sslmode, "verify-", 7) == 0 && s.sslrootcert) {
		bundle_origin(pq, &s, origin, sizeof(origin));
		presented(conn, shown, sizeof(shown));
		snprintf(
		    note, sizeof(note),
		    "pgverify: %s was verified with sslmode=%s against "
		    "%s (%s), and the server's certificate did not pass%s; "
		    "pgverify probe \"host=%s%s%s%s%s\" shows the chain "
		    "the server presents and its RDS CA id",
		    s.host ? s.host : "", s.sslmode, s.sslrootcert, origin,
		    shown, s.host ? s.host : "", s.hostaddr ? " hostaddr=" : "",
		    s.hostaddr ? s.hostaddr : "", s.port ? " port=" : "",
		    s.port ? s.port : "");
		pgv_escape_controls(note, sizeof(note) - 1);
		pgv_log(PGV_LOG_WARNING, "%s", note + strlen("pgverify: "));
		strcat(note, "\n");
		pgv_libpq_append_error(pq, conn, note);
	}
	pgverify_settings_clear(&s);
}

void pgv_shim_poll_ended(const struct pgv_libpq *pq, PGconn *conn)
{
	struct pgv_audit *a;

	explain_failure(pq, conn);
	if (!__atomic_load_n(&npending, __ATOMIC_RELAXED))
		return;
	pgv_fork_lock(&pending_lock);
	a = pending_take(conn);
	pgv_fork_unlock(&pending_lock);
	if (a)
		finish(a, pq, conn);
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
		finish(a, NULL, NULL);
	}
}

void pgv_shim_connected(struct pgv_shim_call *sc, PGconn *conn, int started)
{
	struct pgv_audit *a = sc->audit;

	sc->audit = NULL;
	if (!started)
		explain_failure(sc->pq, conn);
	if (!a)
		return;
	if (started && conn && sc->pq->status(conn) != CONNECTION_BAD)
		pending_add(sc->pq, conn, a);
	else
		finish(a, sc->pq, conn);
}

void pgv_shim_pinged(struct pgv_shim_call *sc, PGPing ping)
{
	if (!sc->audit)
		return;
	pgv_audit_end_ping(sc->audit, ping);
	finish(sc->audit, NULL, NULL);
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
	sc->reason[0] = '\0';
	sc->outer = innermost;
	innermost = sc;
	pgv_front->replay_begin(&sc->replay);
	route = decide(sc, req);
	if (route != PGV_ROUTE_REFUSED && sc->replay.failed) {
		snprintf(
		    sc->reason, sizeof(sc->reason),
		    "the connection's environment or service file could "
		    "not be read once for pgverify and libpq alike (out of "
		    "memory, or a service file over 1 MiB)");
		route = PGV_ROUTE_REFUSED;
		if (sc->audit)
			pgv_audit_refused(sc->audit, sc->reason);
	}
	if (route == PGV_ROUTE_REFUSED) {
		pgv_log(PGV_LOG_WARNING, "refused: %s", sc->reason);
		if (sc->audit)
			finish(sc->audit, NULL, NULL);
		sc->audit = NULL;
	} else {
		pgv_front->replay_switch(&sc->replay);
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
	pgv_front->replay_end(&sc->replay);
	innermost = sc->outer;
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
	int known;

	if (innermost)
		return;
	pgv_fork_lock(&pending_lock);
	known = pending_find(conn) >= 0;
	pgv_fork_unlock(&pending_lock);
	if (known || !(a = new_record(plan)))
		return;
	if (plan->verdict == PGVERIFY_REFUSE)
		finish(a, NULL, NULL);
	else
		pending_add(pq, conn, a);
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
	if ((refusal = pgv_front->copy_refusal(pq)))
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
