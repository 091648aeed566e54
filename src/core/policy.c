/*
 * The policy: one pure function from a connection's merged settings to a
 * decision.  It reads no file, no environment and no global, so the shim,
 * the unit tests and `pgverify explain` all get the same answer from it.
 *
 * The decisions, in the contract's order:
 *   1. raise sslmode to the configured minimum (disable: upgrade or refuse);
 *   2. the root certificate: the connection's own, else the matching host
 *      rule's, else the configuration's; "system" everywhere;
 *   4. every host of a multi-host list must agree on the bundle;
 *   5. under verify-full every TCP host needs a name to verify.
 * (3, the bundle's contents, is a file check: pgverify_bundle_check().)
 */
#include "config.h"
#include "core.h"
#include "exempt.h"
#include "sslmode.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

/* libpq 16 understands sslrootcert=system itself. */
#define LIBPQ_HAS_SYSTEM_ROOTCERT 160000

/* Longer than any DNS name, Unix socket path or address libpq accepts. */
#define ITEM_MAX 1024

/* By its name and, where the connection gives one, its address too. */
static int is_exempt(const pgverify_config *cfg, const pgv_host *h)
{
	return pgv_exempt_host((const char *const *)cfg->exempt, cfg->nexempt,
			       h->named ? h->host : NULL, h->addr);
}

/* What the host list asks for, gathered in one pass. */
struct scan {
	size_t tcp;	    /* hosts reached over TCP */
	size_t exempt;	    /* of those, how many are exempt */
	int required;	    /* strongest minimum of the hosts' rules */
	const char *bundle; /* the bundle the first TCP host's rule names */
	const struct pgv_rule *rule; /* the rule that named it, if any */
	char bundle_host[ITEM_MAX];
	const char *other_bundle; /* a different bundle another host needs */
	char other_host[ITEM_MAX];
	char addr_only[ITEM_MAX]; /* a host given only as hostaddr */
	char no_region[ITEM_MAX]; /* a host whose rule needs its region */
	const struct pgv_rule *region_rule; /* and that rule */
	char paths[3][ITEM_MAX]; /* for bundle, other_bundle, and scratch */
	char region[PGV_REGION_SIZE]; /* the region put into bundle, or "" */
	size_t enforced;	      /* TCP hosts in mode "enforce" */
	size_t direct;		      /* TCP hosts whose rule says "direct" */
	size_t aliased;		      /* TCP hosts under a rule's verify_name */
};

__attribute__((format(printf, 2, 3))) static void refuse(pgverify_decision *d,
							 const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(d->reason, sizeof(d->reason), fmt, ap);
	va_end(ap);
	d->verdict = PGVERIFY_REFUSE;
}

static const char *config_name(const pgverify_config *cfg)
{
	return cfg->path ? cfg->path : "the built-in defaults";
}

/*
 * The bundle `r` (or the configuration) names for host `name`, with
 * PGV_REGION replaced by the region the host names, in `out`.  NULL if the
 * host names no region (or the path would be too long).
 */
static const char *host_bundle(const pgverify_config *cfg,
			       const struct pgv_rule *r, const char *name,
			       char *out, size_t len,
			       char region[PGV_REGION_SIZE])
{
	const char *b = r && r->sslrootcert ? r->sslrootcert : cfg->sslrootcert;
	const char *at = strstr(b, PGV_REGION);
	int n;

	if (!at)
		return b;
	if (pgv_rds_region(name, region, PGV_REGION_SIZE) < 0)
		return NULL;
	n = snprintf(out, len, "%.*s%s%s", (int)(at - b), b, region,
		     at + strlen(PGV_REGION));
	return n > 0 && (size_t)n < len ? out : NULL;
}

/* psqlODBC writes sslmode=disable into every connection it makes unless
 * its DSN names an SSLmode: the user never wrote the option. */
static int is_psqlodbc(const char *caller)
{
	return caller && strncmp(caller, "psqlodbc", 8) == 0;
}

/* Where option `opt` (keyword=value) came from, in words, and how to take
 * it away there. */
static void describe_origin(const pgverify_settings *s,
			    const pgverify_context *ctx, pgverify_origin from,
			    const char *opt, const char *var, char *where,
			    char *fix, size_t len)
{
	const char *service = s->service ? s->service : "";

	switch (from) {
	case PGVERIFY_FROM_OPTIONS:
		if (ctx->caller)
			snprintf(where, len,
				 "the connection string %s gave libpq",
				 ctx->caller);
		else
			snprintf(where, len, "the connection string");
		if (is_psqlodbc(ctx->caller))
			snprintf(fix, len,
				 "psqlODBC adds %s unless the DSN sets "
				 "SSLmode: set SSLmode=verify-full (or prefer) "
				 "in the DSN or odbc.ini",
				 opt);
		else
			snprintf(fix, len, "remove %s from it", opt);
		return;
	case PGVERIFY_FROM_SERVICE:
		snprintf(where, len, "the entry of service \"%s\"", service);
		snprintf(fix, len, "remove %s from that entry", opt);
		return;
	case PGVERIFY_FROM_ENVIRONMENT:
		snprintf(where, len, "%s in the environment", var);
		snprintf(fix, len, "unset %s", var);
		return;
	case PGVERIFY_FROM_SERVICE_OR_ENVIRONMENT:
		snprintf(where, len, "the entry of service \"%s\" or %s",
			 service, var);
		snprintf(fix, len, "remove %s from both", opt);
		return;
	case PGVERIFY_FROM_DEFAULT:
		snprintf(where, len, "this libpq's own default");
		snprintf(fix, len, "use a libpq built with TLS support");
		return;
	case PGVERIFY_FROM_UNKNOWN:
		break;
	}
	snprintf(where, len,
		 "the connection (from its options, service file or %s)", var);
	snprintf(fix, len, "remove %s", opt);
}

/*
 * An explicit request pgverify will not replace (sslmode=disable under
 * on_disable = "refuse", gssencmode=require under gssencmode = "disable"):
 * refused, saying where it came from, which key refuses it, and the fix.
 */
static void refuse_explicit(pgverify_decision *d, const pgverify_settings *s,
			    const pgverify_context *ctx, pgverify_origin from,
			    const char *opt, const char *var,
			    const pgverify_config *cfg)
{
	char where[256], fix[256];

	describe_origin(s, ctx, from, opt, var, where, fix, sizeof(where));
	if (strcmp(opt, "sslmode=disable") == 0)
		refuse(
		    d,
		    "%s asks for %s, and %s sets on_disable = \"refuse\"; %s",
		    where, opt, config_name(cfg), fix);
	else
		refuse(d,
		       "%s asks for %s, and %s sets gssencmode = \"disable\" "
		       "(every TCP connection is TLS); %s, or set gssencmode = "
		       "\"prefer\" in %s to allow GSS encryption",
		       where, opt, config_name(cfg), fix, config_name(cfg));
}

/* Account for one TCP host: exemption, its rule's minimum and bundle. */
static void scan_host(const pgverify_config *cfg, const pgv_host *h,
		      struct scan *sc)
{
	const char *name = h->name;
	const struct pgv_rule *r = pgv_rule_for(cfg, name);
	/* Under a rule's verify_name the certificate carries that name, and
	 * the bundle is the one that name's own rule names (an RDS endpoint's
	 * region file) unless this rule names one. */
	const char *checked = r && r->verify_name ? r->verify_name : name;
	const struct pgv_rule *trust = r && r->verify_name && !r->sslrootcert
					   ? pgv_rule_for(cfg, checked)
					   : r;
	int addr_only = !h->named && checked == name;
	int mode = r && r->sslmode >= 0 ? r->sslmode : cfg->sslmode;
	int slot = !sc->bundle ? 0 : !sc->other_bundle ? 1 : 2;
	char region[PGV_REGION_SIZE] = "";
	const char *bundle = host_bundle(cfg, trust, checked, sc->paths[slot],
					 sizeof(sc->paths[slot]), region);

	if (!bundle && !sc->no_region[0]) {
		snprintf(sc->no_region, sizeof(sc->no_region), "%s", checked);
		sc->region_rule = trust;
	}
	if (!bundle)
		bundle = "";
	sc->tcp++;
	sc->exempt += is_exempt(cfg, h);
	sc->enforced += !(r && r->report >= 0 ? r->report : cfg->report);
	sc->direct += r && r->direct == 1;
	sc->aliased += checked != name;
	if (mode > sc->required)
		sc->required = mode;
	if (addr_only && !sc->addr_only[0])
		snprintf(sc->addr_only, sizeof(sc->addr_only), "%s", name);
	if (!sc->bundle) {
		sc->bundle = bundle;
		sc->rule = trust && trust->sslrootcert ? trust : NULL;
		snprintf(sc->region, sizeof(sc->region), "%s", region);
		snprintf(sc->bundle_host, sizeof(sc->bundle_host), "%s", name);
	} else if (!sc->other_bundle && strcmp(sc->bundle, bundle) != 0 &&
		   *bundle) {
		sc->other_bundle = bundle;
		snprintf(sc->other_host, sizeof(sc->other_host), "%s", name);
	}
}

/* Walk the hosts as libpq pairs them.  -1: refused. */
static int scan_hosts(const pgverify_config *cfg, const pgverify_settings *s,
		      struct scan *sc, pgverify_decision *d)
{
	pgv_hosts it;
	pgv_host h;
	int rc;

	if (pgv_hosts_begin(s, &it) < 0) {
		refuse(d, "the host and hostaddr lists differ in length; libpq "
			  "pairs them one to one");
		return -1;
	}
	while ((rc = pgv_hosts_next(&it, &h)) > 0)
		if (h.tcp)
			scan_host(cfg, &h, sc);
	if (rc < 0)
		refuse(d, "host %zu of the list is too long", it.done);
	return rc;
}

/* The decision keeps a copy of its bundle's name: nothing it holds points
 * into itself or into storage of the policy's. */
static int set_bundle(pgverify_decision *d, const char *file)
{
	if ((size_t)snprintf(d->sslrootcert, sizeof(d->sslrootcert), "%s",
			     file) < sizeof(d->sslrootcert))
		return 0;
	refuse(d, "the CA bundle's name is longer than %zu bytes",
	       sizeof(d->sslrootcert) - 1);
	return -1;
}

/* Pick the bundle: the connection's own, else the rules' (which must agree). */
static int choose_bundle(const pgverify_config *cfg, const pgverify_settings *s,
			 const struct scan *sc, pgverify_decision *d)
{
	/* Locked, trust comes from the configuration alone: not from the
	 * program, PGSSLROOTCERT or a service file. */
	if (!cfg->lock && s->sslrootcert && s->sslrootcert[0]) {
		d->bundle_source = "connection";
		return set_bundle(d, s->sslrootcert);
	}
	if (sc->no_region[0]) {
		refuse(d,
		       "host %s matches the rule \"%s\" in %s, whose "
		       "sslrootcert \"%s\" needs the AWS region the host "
		       "names, but %s is not <name>.<id>.<region>.rds."
		       "amazonaws.com; connect with the endpoint name or add a "
		       "rule for this host ahead of it",
		       sc->no_region, sc->region_rule->match, config_name(cfg),
		       sc->region_rule->sslrootcert, sc->no_region);
		return -1;
	}
	if (sc->other_bundle) {
		refuse(d,
		       "the hosts of this connection need different CA bundles "
		       "(%s: %s, %s: %s; see the hosts rules in %s), but libpq "
		       "takes one sslrootcert per connection; connect to them "
		       "separately or give sslrootcert= in the connection",
		       sc->bundle_host, sc->bundle, sc->other_host,
		       sc->other_bundle, config_name(cfg));
		return -1;
	}
	snprintf(d->region, sizeof(d->region), "%s", sc->region);
	d->rule = sc->rule ? sc->rule->match : NULL;
	d->bundle_source = sc->rule ? "rule" : "config";
	return set_bundle(d, sc->bundle);
}

/*
 * "system" means OpenSSL's default locations; libpq < 16 needs the file.
 * Locked, it means OpenSSL's built-in file, on every libpq: libpq 16's own
 * "system" would honour SSL_CERT_FILE and SSL_CERT_DIR, which any process
 * can set.
 */
static int resolve_system(const pgverify_config *cfg,
			  const pgverify_context *ctx, pgverify_decision *d)
{
	if (strcmp(d->sslrootcert, "system") != 0)
		return 0;
	if (cfg->lock) {
		if (!ctx->builtin_bundle || !ctx->builtin_bundle[0]) {
			refuse(d, "sslrootcert is \"system\" but OpenSSL "
				  "names no built-in CA file; name a bundle");
			return -1;
		}
		return set_bundle(d, ctx->builtin_bundle);
	}
	if (ctx->libpq_version >= LIBPQ_HAS_SYSTEM_ROOTCERT)
		return 0;
	if (!ctx->system_bundle || !ctx->system_bundle[0]) {
		refuse(d,
		       "sslrootcert is \"system\" but OpenSSL names no default "
		       "CA file; set SSL_CERT_FILE or name a bundle");
		return -1;
	}
	return set_bundle(d, ctx->system_bundle);
}

/*
 * libpq 18's sslkeylogfile writes the connection's TLS secrets to a file:
 * whoever reads it reads the traffic pgverify verified.  Refused under a
 * locked policy; otherwise honoured as libpq honours it, and said.
 */
static int check_keylog(const pgverify_config *cfg, const pgverify_settings *s,
			pgverify_decision *d)
{
	if (!s->sslkeylogfile || !s->sslkeylogfile[0])
		return 0;
	if (cfg->lock) {
		refuse(d,
		       "sslkeylogfile is set, which would write this "
		       "connection's TLS keys to a file, and %s locks the "
		       "policy (lock = true); remove sslkeylogfile from the "
		       "connection or its service",
		       config_name(cfg));
		return -1;
	}
	d->keylog = s->sslkeylogfile;
	return 0;
}

void pgverify_decide(const pgverify_config *cfg, const pgverify_settings *s,
		     const pgverify_context *ctx, pgverify_decision *d)
{
	struct scan sc = {.required = PGV_SSL_DISABLE};
	int own = s->sslmode && s->sslmode[0] ? pgv_sslmode_parse(s->sslmode)
					      : PGV_SSL_PREFER;

	memset(d, 0, sizeof(*d));
	d->report = cfg->report;
	if (own < 0) {
		refuse(d, "sslmode \"%s\" is not one of libpq's sslmode values",
		       s->sslmode);
		return;
	}
	d->sslmode_before = pgv_sslmode_name(own);
	if (scan_hosts(cfg, s, &sc, d) < 0)
		return;
	/* One host to be enforced makes the connection enforced: the mode
	 * can only make pgverify stricter where rules disagree. */
	if (sc.tcp)
		d->report = sc.enforced == 0;
	if (sc.tcp == 0 || sc.tcp == sc.exempt) {
		d->verdict = PGVERIFY_LEAVE;
		snprintf(d->reason, sizeof(d->reason), "%s",
			 sc.tcp ? "every host is exempt in the configuration"
				: "Unix-domain socket: no TLS in libpq");
		return;
	}
	if (check_keylog(cfg, s, d) < 0)
		return;
	if (own == PGV_SSL_DISABLE && cfg->on_disable_refuse) {
		refuse_explicit(d, s, ctx, s->sslmode_from, "sslmode=disable",
				"PGSSLMODE", cfg);
		return;
	}
	if (choose_bundle(cfg, s, &sc, d) < 0)
		return;
	/* libpq 16 accepts sslrootcert=system only with verify-full. */
	if (strcmp(d->sslrootcert, "system") == 0)
		sc.required = PGV_SSL_VERIFY_FULL;
	if (resolve_system(cfg, ctx, d) < 0)
		return;
	d->sslmode_after =
	    pgv_sslmode_name(own > sc.required ? own : sc.required);
	if (strcmp(d->sslmode_after, "verify-full") == 0 && sc.addr_only[0]) {
		refuse(d,
		       "host %s is given only as hostaddr, so verify-full has "
		       "no name to check the server certificate against; add "
		       "host=<the name in the certificate> beside hostaddr",
		       sc.addr_only);
		return;
	}
	/* An explicit request is honoured or refused, never swapped. */
	if (cfg->gssencmode_disable && s->gssencmode &&
	    strcmp(s->gssencmode, "require") == 0) {
		refuse_explicit(d, s, ctx, s->gssencmode_from,
				"gssencmode=require", "PGGSSENCMODE", cfg);
		return;
	}
	d->gssencmode = cfg->gssencmode_disable ? "disable" : NULL;
	/* TLS from the first byte saves a round trip, but only where every
	 * host's rule says its server takes it: libpq never falls back. */
	if (sc.direct == sc.tcp && ctx->libpq_version >= 170000)
		d->sslnegotiation = "direct";
	d->direct_unused = sc.direct == sc.tcp && !d->sslnegotiation;
	d->aliased = sc.aliased;
	d->verdict = PGVERIFY_ENFORCE;
}
