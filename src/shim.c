/*
 * Process state of the preloaded or linked library: the configuration,
 * loaded once (pthread_once, from a constructor and from every hook), and
 * the route each connection takes, decided by pgv_plan().
 */
#include "shim.h"
#include "config.h"
#include "log.h"
#include "plan.h"
#include "real.h"

#include <dlfcn.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static pthread_once_t once = PTHREAD_ONCE_INIT;
static pgverify_config *config; /* NULL: config_error says why */
static char config_error[1024];
static __thread int depth;

int pgv_shim_nested(void)
{
	return depth > 0;
}

void pgv_shim_enter(void)
{
	depth++;
}

void pgv_shim_leave(void)
{
	depth--;
}

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

/*
 * Linked mode works only if the program's references to libpq's names bind
 * to ours, which needs -lpgverify before -lpq.  Say so loudly if not.
 */
static void check_link_order(void)
{
	void *first = dlsym(RTLD_DEFAULT, "PQconnectdb");

	if (first && !pgv_real_is_own(first))
		pgv_log(PGV_LOG_ERROR,
			"libpq's PQconnectdb is bound ahead of libpgverify's: "
			"connections of this program are NOT verified; link "
			"with $(pkg-config --libs pgverify) (-lpgverify before "
			"-lpq) or preload libpgverify.so");
}

static void init(void)
{
	pgv_real_init();
	config =
	    pgverify_config_load_default(config_error, sizeof(config_error));
	configure_logging();
	check_link_order();
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

enum pgv_route pgv_shim_route(struct pgv_request *req, char *reason, size_t len)
{
	enum pgv_route route;

	pthread_once(&once, init);
	if (pgv_real_init() < 0) {
		snprintf(reason, len,
			 "libpq's connection functions were not found");
		route = PGV_ROUTE_REFUSED;
	} else {
		route = decide(req, reason, len);
	}
	if (route == PGV_ROUTE_REFUSED)
		pgv_log(PGV_LOG_WARNING, "refused: %s", reason);
	return route;
}

int pgv_shim_allow_started(PGconn *conn)
{
	pgverify_plan plan;
	pgverify_verdict verdict = PGVERIFY_REFUSE;

	memset(&plan, 0, sizeof(plan));
	pthread_once(&once, init);
	if (!config)
		snprintf(plan.reason, sizeof(plan.reason),
			 "bad configuration: %s", config_error);
	else if (pgv_settings_from_conn(conn, &plan.settings) < 0)
		snprintf(plan.reason, sizeof(plan.reason), "out of memory");
	else
		verdict = pgv_plan_started(config, &plan);
	if (verdict == PGVERIFY_REFUSE)
		pgv_log(PGV_LOG_WARNING, "refused: %s", plan.reason);
	pgverify_plan_clear(&plan);
	return verdict == PGVERIFY_REFUSE ? -1 : 0;
}

PGconn *pgv_shim_refused(const char *reason)
{
	char keyword[2100];
	const char *kw[] = {keyword, NULL};
	const char *val[] = {"refused", NULL};

	if (!pgv_real.PQconnectStartParams)
		return NULL;
	/* An unknown keyword makes libpq fail in option parsing, before any
	 * socket exists, with a message that quotes the keyword. */
	snprintf(keyword, sizeof(keyword),
		 "pgverify refused this connection: %s", reason);
	return pgv_real.PQconnectStartParams(kw, val, 0);
}
