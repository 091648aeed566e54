/*
 * Process state of the preloaded or linked library: the configuration,
 * loaded once (pthread_once, from a constructor and from every hook), the
 * facts the policy needs about this process, and the path every
 * connection takes: merge its options, decide, check the bundle, rewrite.
 */
#include "shim.h"
#include "bundle.h"
#include "config.h"
#include "log.h"
#include "real.h"

#include <dlfcn.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static pthread_once_t once = PTHREAD_ONCE_INIT;
static pgverify_config *config; /* NULL: config_error says why */
static char config_error[1024];
static pgverify_context context;
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

static void load_config(void)
{
	const char *path = secure_getenv("PGVERIFY_CONFIG");

	/* A relative path would name a different file in each working
	 * directory of each process that inherits the variable. */
	if (path && path[0] != '/') {
		snprintf(config_error, sizeof(config_error),
			 "PGVERIFY_CONFIG=\"%s\" is not an absolute path; "
			 "give the file's full path or unset it",
			 path);
		return;
	}
	config = pgverify_config_load(path, config_error, sizeof(config_error));
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
	load_config();
	configure_logging();
	context.libpq_version = PQlibVersion();
	context.system_bundle = pgverify_system_bundle();
	check_link_order();
	pgv_debug("initialised: config %s, libpq %d",
		  config ? (config->path ? config->path : "built-in defaults")
			 : "FAILED",
		  context.libpq_version);
}

__attribute__((constructor)) static void shim_constructor(void)
{
	pthread_once(&once, init);
}

/* "hosts" or "hosts (hostaddr addrs)", for messages; nothing else. */
static void describe_hosts(const pgverify_settings *s, char *buf, size_t len)
{
	const char *host = s->host && *s->host ? s->host : NULL;
	const char *addr = s->hostaddr && *s->hostaddr ? s->hostaddr : NULL;

	if (host && addr)
		snprintf(buf, len, "%s (hostaddr %s)", host, addr);
	else
		snprintf(buf, len, "%s",
			 host	? host
			 : addr ? addr
				: "the default Unix socket");
}

/* Append the decision's keywords and tell the log what changed. */
static int rewrite(struct pgv_request *req, const pgverify_settings *s,
		   const pgverify_decision *d, const char *hosts)
{
	int changed = strcmp(d->sslmode_before, d->sslmode_after) != 0 ||
		      strcmp(d->bundle_source, "connection") != 0 ||
		      (d->gssencmode && (!s->gssencmode ||
					 strcmp(s->gssencmode, d->gssencmode)));

	if (pgv_request_append(req, "sslmode", d->sslmode_after) < 0 ||
	    pgv_request_append(req, "sslrootcert", d->sslrootcert) < 0 ||
	    (d->gssencmode &&
	     pgv_request_append(req, "gssencmode", d->gssencmode) < 0))
		return -1;
	if (changed)
		pgv_log(PGV_LOG_INFO,
			"%s: sslmode %s -> %s, sslrootcert %s (%s%s%s)%s",
			hosts, d->sslmode_before, d->sslmode_after,
			d->sslrootcert, d->bundle_source,
			d->rule ? " rule " : "", d->rule ? d->rule : "",
			d->gssencmode ? ", gssencmode disable" : "");
	return 0;
}

/* The file behind a bundle: libpq 16+ keeps "system" and reads OpenSSL's. */
static const char *bundle_file(const char *sslrootcert)
{
	return strcmp(sslrootcert, "system") == 0 ? context.system_bundle
						  : sslrootcert;
}

static enum pgv_route decide(struct pgv_request *req, char *reason, size_t len)
{
	pgverify_settings s;
	pgverify_decision d;
	char err[1024], hosts[512];
	enum pgv_route route = PGV_ROUTE_REFUSED;

	if (!config) {
		snprintf(reason, len, "bad configuration: %s", config_error);
		return route;
	}
	if (pgv_request_merge(req, &s, err, sizeof(err)) < 0) {
		snprintf(reason, len, "cannot read the connection options: %s",
			 err);
		return route;
	}
	describe_hosts(&s, hosts, sizeof(hosts));
	pgverify_decide(config, &s, &context, &d);
	if (d.verdict == PGVERIFY_LEAVE) {
		pgv_debug("%s: left as asked: %s", hosts, d.reason);
		route = PGV_ROUTE_ORIGINAL;
	} else if (d.verdict == PGVERIFY_REFUSE) {
		snprintf(reason, len, "%s: %s", hosts, d.reason);
	} else if (pgv_bundle_check_cached(bundle_file(d.sslrootcert),
					   config->expiry_warning_days, err,
					   sizeof(err)) < 0) {
		snprintf(reason, len, "%s: %s (sslrootcert from the %s)", hosts,
			 err, d.bundle_source);
	} else if (rewrite(req, &s, &d, hosts) < 0) {
		snprintf(reason, len, "%s", req->error);
	} else {
		route = PGV_ROUTE_REWRITTEN;
	}
	pgverify_settings_clear(&s);
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

PGconn *pgv_shim_refused(const char *reason)
{
	char keyword[1200];
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
