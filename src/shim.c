/*
 * Process state of the preloaded or linked library: the configuration and
 * the bindings (bind.c), set up once (pthread_once, from a constructor and
 * from every entry), and the route each connection takes, decided by
 * pgv_plan().
 */
#include "shim.h"
#include "config.h"
#include "log.h"
#include "plan.h"
#include "real.h"

#include <malloc.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Written once by init() under `once`; read without a lock after
 * pthread_once() has returned, which orders the reads after the writes. */
static pthread_once_t once = PTHREAD_ONCE_INIT;
static pgverify_config *config; /* NULL: config_error says why */
static char config_error[1024];
static char bind_error[1024]; /* non-empty: refuse every connection */
static size_t error_offset;   /* of PGconn's error buffer; 0: unknown */
static void (*append_error)(void *buf, const char *str);
static void (*reset_error)(void *buf);

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

/* libpq's PQExpBufferData, which PQerrorMessage() returns the data of. */
struct expbuf {
	char *data;
	size_t len, maxlen;
};

/*
 * Where a PGconn keeps its error message, found once from a PGconn libpq
 * failed without connecting: the word that holds PQerrorMessage()'s
 * pointer, followed by its length.  Used only to say why the backstop
 * failed an attempt; unknown means no message, never a different answer.
 */
static void find_error_buffer(void)
{
	const char *kw[] = {"pgverify-no-such-option", NULL};
	const char *val[] = {"x", NULL}; /* empty values are skipped */
	PGconn *c = pgv_real.PQconnectStartParams(kw, val, 0);
	const char *msg = c ? PQerrorMessage(c) : NULL;
	size_t size = c ? malloc_usable_size(c) : 0;

	append_error = (void (*)(void *, const char *))dlsym(
	    RTLD_NEXT, "appendPQExpBufferStr");
	reset_error = (void (*)(void *))dlsym(RTLD_NEXT, "resetPQExpBuffer");
	for (size_t off = 0; msg && *msg && off + sizeof(struct expbuf) <= size;
	     off += sizeof(void *)) {
		const struct expbuf *b = (const void *)((const char *)c + off);
		if (b->data == msg && b->len == strlen(msg)) {
			error_offset = off;
			break;
		}
	}
	PQfinish(c);
}

static void bind_hooks(void)
{
	size_t n;
	const struct pgv_hook *hooks;

	if (pgv_real_init() < 0) {
		snprintf(bind_error, sizeof(bind_error),
			 "libpq's connection functions were not found");
		return;
	}
	hooks = pgv_hooks(&n);
	if (pgv_bind(hooks, n, bind_error, sizeof(bind_error)) < 0 &&
	    !bind_error[0])
		snprintf(bind_error, sizeof(bind_error), "binding failed");
	find_error_buffer();
}

static void init(void)
{
	bind_hooks();
	config =
	    pgverify_config_load_default(config_error, sizeof(config_error));
	configure_logging();
	if (bind_error[0])
		pgv_log(PGV_LOG_ERROR,
			"%s: every connection of this program will be refused",
			bind_error);
	pgv_debug("initialised: config %s, libpq %d",
		  config ? (config->path ? config->path : "built-in defaults")
			 : "FAILED",
		  PQlibVersion());
}

__attribute__((constructor)) static void shim_constructor(void)
{
	pthread_once(&once, init);
}

static void log_change(const pgverify_plan *p)
{
	const pgverify_decision *d = &p->decision;

	pgv_log(PGV_LOG_INFO, "%s: sslmode %s -> %s, sslrootcert %s (%s%s%s)%s",
		p->hosts, d->sslmode_before, d->sslmode_after, d->sslrootcert,
		d->bundle_source, d->rule ? " rule " : "",
		d->rule ? d->rule : "",
		d->gssencmode ? ", gssencmode disable" : "");
}

static enum pgv_route decide(struct pgv_request *req, char *reason, size_t len)
{
	pgverify_plan plan;
	enum pgv_route route = PGV_ROUTE_REFUSED;

	if (bind_error[0]) {
		snprintf(reason, len, "%s", bind_error);
		return route;
	}
	if (!config) {
		snprintf(reason, len, "bad configuration: %s", config_error);
		return route;
	}
	switch (pgv_plan(config, req, &plan)) {
	case PGVERIFY_LEAVE:
		pgv_debug("%s: left as asked: %s", plan.hosts, plan.reason);
		route = PGV_ROUTE_ORIGINAL;
		break;
	case PGVERIFY_ENFORCE:
		if (plan.changed)
			log_change(&plan);
		route = PGV_ROUTE_REWRITTEN;
		break;
	case PGVERIFY_REFUSE:
		snprintf(reason, len, "%s", plan.reason);
		break;
	}
	pgverify_plan_clear(&plan);
	return route;
}

enum pgv_route pgv_shim_begin(struct pgv_shim_call *sc,
			      struct pgv_request *req)
{
	enum pgv_route route;

	pthread_once(&once, init);
	sc->forwarded = NULL;
	sc->reason[0] = '\0';
	sc->outer = innermost;
	innermost = sc;
	pgv_replay_begin(&sc->replay);
	route = decide(req, sc->reason, sizeof(sc->reason));
	if (route != PGV_ROUTE_REFUSED && sc->replay.failed) {
		snprintf(sc->reason, sizeof(sc->reason),
			 "the connection's environment or service file could "
			 "not be read once for pgverify and libpq alike (out of "
			 "memory, or a service file over 1 MiB)");
		route = PGV_ROUTE_REFUSED;
	}
	if (route == PGV_ROUTE_REFUSED)
		pgv_log(PGV_LOG_WARNING, "refused: %s", sc->reason);
	else
		pgv_replay_switch(&sc->replay);
	return route;
}

void pgv_shim_forwarding(struct pgv_shim_call *sc, const void *args)
{
	sc->forwarded = args;
}

void pgv_shim_end(struct pgv_shim_call *sc)
{
	pgv_replay_end(&sc->replay);
	innermost = sc->outer;
}

int pgv_shim_is_forwarded(const void *args)
{
	return args && innermost && innermost->forwarded == args;
}

/* conn's error buffer, once found and only while it is the one
 * PQerrorMessage() returns; else NULL. */
static struct expbuf *error_buffer(PGconn *conn)
{
	struct expbuf *b =
	    error_offset ? (void *)((char *)conn + error_offset) : NULL;

	return b && append_error && b->data == PQerrorMessage(conn) ? b : NULL;
}

/* Put "pgverify refused this connection: REASON" in conn's message:
 * appended to what libpq said, or (replace) instead of it. */
static void set_error(PGconn *conn, const char *reason, int replace)
{
	char msg[2200];
	struct expbuf *b = error_buffer(conn);

	if (!b || (replace && !reset_error))
		return;
	if (replace)
		reset_error(b);
	snprintf(msg, sizeof(msg), "pgverify refused this connection: %s\n",
		 reason);
	append_error(b, msg);
}

int pgv_shim_check_started(PGconn *conn)
{
	pgverify_plan plan;
	pgverify_verdict verdict = PGVERIFY_REFUSE;

	pthread_once(&once, init);
	if (!conn || PQstatus(conn) != CONNECTION_NEEDED)
		return 0;
	memset(&plan, 0, sizeof(plan));
	if (bind_error[0])
		snprintf(plan.reason, sizeof(plan.reason), "%s", bind_error);
	else if (!config)
		snprintf(plan.reason, sizeof(plan.reason),
			 "bad configuration: %s", config_error);
	else if (pgv_settings_from_conn(conn, NULL, &plan.settings) < 0)
		snprintf(plan.reason, sizeof(plan.reason), "out of memory");
	else
		verdict = pgv_plan_started(config, &plan);
	if (verdict == PGVERIFY_REFUSE) {
		pgv_log(PGV_LOG_WARNING, "refused: %s", plan.reason);
		set_error(conn, plan.reason, 0);
	}
	pgverify_plan_clear(&plan);
	return verdict == PGVERIFY_REFUSE ? -1 : 0;
}

/*
 * libpq has no public way to make a failed PGconn, so one is made from an
 * unknown keyword, which libpq rejects in option parsing before anything
 * else.  Its message ("invalid connection option ...") is then replaced by
 * the reason alone; where the buffer is unknown, the keyword itself is the
 * reason, so the message still says it.
 */
PGconn *pgv_shim_refused(const char *reason)
{
	char keyword[2100];
	const char *kw[] = {keyword, NULL};
	const char *val[] = {"refused", NULL};
	PGconn *conn;

	if (!pgv_real.PQconnectStartParams)
		return NULL;
	snprintf(keyword, sizeof(keyword),
		 "pgverify refused this connection: %s", reason);
	conn = pgv_real.PQconnectStartParams(kw, val, 0);
	if (conn)
		set_error(conn, reason, 1);
	return conn;
}

void *pgv_shim_dlmopen(Lmid_t lmid, const char *file, int mode)
{
	static void *(*real_dlmopen)(Lmid_t, const char *, int);
	char err[1024];
	void *h;

	pthread_once(&once, init);
	if (!real_dlmopen)
		real_dlmopen = (void *(*)(Lmid_t, const char *, int))dlsym(
		    RTLD_NEXT, "dlmopen");
	h = real_dlmopen ? real_dlmopen(lmid, file, mode) : NULL;
	if (h && pgv_bind_namespace(h, err, sizeof(err)) < 0) {
		pgv_log(PGV_LOG_ERROR, "dlmopen(%s): %s", file ? file : "NULL",
			err);
		dlclose(h);
		h = NULL;
	}
	return h;
}
