/*
 * One connection's path through pgverify, shared by the shim and
 * `pgverify explain`, as a chain of values: the request (never changed) is
 * merged by libpq into settings; the plan is computed from the settings and
 * the process's context alone (policy, bundle check: no libpq); the
 * forwarded options are a fresh array, the request's and then the enforced
 * keywords, owned by the plan.
 */
#include "plan.h"
#include "alias.h"
#include "bundle.h"
#include "config.h"
#include "file.h"
#include "mask.h"
#include "merge.h"
#include "providers.h"
#include "sslmode.h"

#include <openssl/x509.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* libpq 16+ keeps "system" and reads OpenSSL's file; check that file. */
static const char *bundle_file(const pgverify_context *ctx,
			       const char *sslrootcert)
{
	return strcmp(sslrootcert, "system") == 0 ? ctx->system_bundle
						  : sslrootcert;
}

/* "hosts" or "hosts (hostaddr addrs)", for messages; never more. */
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

static int is_changed(const pgverify_settings *s, const pgverify_decision *d)
{
	return strcmp(d->sslmode_before, d->sslmode_after) != 0 ||
	       strcmp(d->bundle_source, "connection") != 0 ||
	       (d->gssencmode &&
		(!s->gssencmode || strcmp(s->gssencmode, d->gssencmode)));
}

/* The program already verifies as strongly, with a bundle of its own. */
static int is_kept(const pgverify_decision *d)
{
	return strcmp(d->sslmode_before, d->sslmode_after) == 0 &&
	       strcmp(d->bundle_source, "connection") == 0;
}

/* A copy of `s` for the plan's forwarded arrays; NULL stays NULL. */
static int keep(const char **slot, const char *s)
{
	return !s || (*slot = strdup(s)) ? 0 : -1;
}

/*
 * The options to forward, in arrays the plan owns (every string copied, so
 * the plan outlives the request): the request's own, then under ENFORCE the
 * enforced keywords, which win because libpq takes the last value.  -1 when
 * out of memory.
 */
static int build_forward(const struct pgv_request *req, pgverify_plan *out)
{
	const pgverify_decision *d = &out->decision;
	int enforce = out->verdict == PGVERIFY_ENFORCE;
	const char *add[4][2] = {{"sslmode", d->sslmode_after},
				 {"sslrootcert", d->sslrootcert},
				 {"gssencmode", d->gssencmode},
				 {"sslnegotiation", d->sslnegotiation}};
	size_t n = req->n + 5, i, k = 0;
	const char **kw = calloc(n, sizeof(*kw)),
		   **val = calloc(n, sizeof(*val));
	int rc = kw && val ? 0 : -1;

	for (i = 0; rc == 0 && i < req->n; i++, k++)
		rc = keep(&kw[k], req->keywords[i]) |
		     keep(&val[k], req->values[i]);
	for (i = 0; rc == 0 && enforce && i < 4; i++)
		if (add[i][1]) {
			rc = keep(&kw[k], add[i][0]) | keep(&val[k], add[i][1]);
			k++;
		}
	out->keywords = kw;
	out->values = val;
	out->expand_dbname = req->expand_dbname;
	return rc;
}

static void free_forward(pgverify_plan *plan)
{
	for (size_t i = 0; plan->keywords && plan->keywords[i]; i++) {
		free((char *)plan->keywords[i]);
		free((char *)plan->values[i]);
	}
	free((void *)plan->keywords);
	free((void *)plan->values);
}

static pgverify_verdict refuse_plan(pgverify_plan *out)
{
	out->verdict = PGVERIFY_REFUSE;
	return out->verdict;
}

/* The policy's LEAVE or REFUSE, as the plan's verdict and reason. */
static pgverify_verdict settle(pgverify_plan *out)
{
	const pgverify_decision *d = &out->decision;

	if (d->verdict == PGVERIFY_LEAVE) {
		snprintf(out->reason, sizeof(out->reason), "%s", d->reason);
		return out->verdict = PGVERIFY_LEAVE;
	}
	snprintf(out->reason, sizeof(out->reason), "%s: %s", out->hosts,
		 d->reason);
	return refuse_plan(out);
}

/*
 * The provider's hint for a bundle the shipped rule for the host's provider
 * names but that cannot serve (missing, unreadable, expired): where that
 * CA comes from and the command that installs it, after "; ".  Nothing for
 * a rule or file of the administrator's own, whose CA pgverify cannot know,
 * or for a {region} file (its own hint says how those are made).
 */
static void provider_hint(const pgverify_plan *out, char *buf, size_t len)
{
	const pgverify_decision *d = &out->decision;
	const struct pgv_provider *p = pgv_provider_of_settings(&out->settings);
	size_t n;

	buf[0] = '\0';
	if (!p || !d->rule || d->region[0] ||
	    pgv_provider_of_glob(d->rule) != p)
		return;
	snprintf(buf, len, "; ");
	n = strlen(buf);
	pgv_provider_hint(p, d->sslrootcert, buf + n, len - n);
}

/* The bundle the decision names must serve; -1 with out->reason if not,
 * saying where the bundle came from. */
static int check_bundle(const pgverify_config *cfg, const pgverify_context *ctx,
			pgverify_plan *out)
{
	const pgverify_decision *d = &out->decision;
	const char *file = bundle_file(ctx, d->sslrootcert);
	char err[1024], hint[1024] = "";

	if (pgv_bundle_check_cached(file, cfg->expiry_warning_days, err,
				    sizeof(err)) < 0)
		provider_hint(out, hint, sizeof(hint));
	/* A bundle the configuration names is trusted only as far as the
	 * configuration itself: nobody else may have written it. */
	else if (strcmp(d->bundle_source, "connection") == 0 ||
		 pgv_file_trusted(file, err, sizeof(err)) == 0)
		return 0;
	snprintf(out->reason, sizeof(out->reason),
		 "%s: %s (sslrootcert from the %s%s%s%s)%s", out->hosts, err,
		 d->bundle_source, d->rule ? " " : "", d->rule ? d->rule : "",
		 d->region[0] ? " for its region; pgverify bundle --split DIR "
				"BUNDLE writes one file per region"
			      : "",
		 hint);
	return -1;
}

/* What the server is verified with under the decision, for audit records. */
static void note_verification(pgverify_plan *out, const pgverify_context *ctx)
{
	const pgverify_decision *d = &out->decision;
	const char *file =
	    d->sslrootcert[0] ? bundle_file(ctx, d->sslrootcert) : NULL;

	snprintf(out->verify_bundle, sizeof(out->verify_bundle), "%s",
		 file ? file : "");
	out->verify_name =
	    d->sslmode_after && strcmp(d->sslmode_after, "verify-full") == 0;
}

/*
 * Report mode: the connection goes ahead exactly as asked (LEAVE, nothing
 * appended); the plan keeps what enforcement would have done, `would`
 * (and, from note_verification(), what it would verify the server with).
 */
static pgverify_verdict report(pgverify_plan *out, pgverify_verdict would)
{
	out->would = would == PGVERIFY_REFUSE	  ? PGVERIFY_WOULD_REFUSE
		     : out->changed && !out->kept ? PGVERIFY_WOULD_UPGRADE
						  : PGVERIFY_WOULD_NOTHING;
	return out->verdict = PGVERIFY_LEAVE;
}

const char *pgverify_would_name(pgverify_would would)
{
	static const char *const names[] = {NULL, "nothing", "upgrade",
					    "refuse"};

	return names[would];
}

pgverify_context pgv_plan_context(int libpq_version, const char *caller)
{
	return (pgverify_context){.libpq_version = libpq_version,
				  .system_bundle = pgverify_system_bundle(),
				  .builtin_bundle =
				      X509_get_default_cert_file(),
				  .caller = caller};
}

static pgverify_verdict plan_settings(const pgverify_config *cfg,
				      const pgverify_context *ctx,
				      pgverify_plan *out)
{
	const pgverify_decision *d = &out->decision;

	describe_hosts(&out->settings, out->hosts, sizeof(out->hosts));
	pgverify_decide(cfg, &out->settings, ctx, &out->decision);
	note_verification(out, ctx);
	if (d->verdict == PGVERIFY_LEAVE)
		return settle(out);
	if (d->verdict == PGVERIFY_REFUSE)
		return d->report ? report(out, settle(out)) : settle(out);
	if (check_bundle(cfg, ctx, out) < 0)
		return d->report ? report(out, PGVERIFY_REFUSE)
				 : refuse_plan(out);
	out->changed = is_changed(&out->settings, d);
	out->kept = is_kept(d);
	if (d->report)
		return report(out, PGVERIFY_ENFORCE);
	return out->verdict = PGVERIFY_ENFORCE;
}

static pgverify_verdict plan_request(const pgverify_config *cfg,
				     const struct pgv_request *req,
				     pgverify_plan *out)
{
	pgverify_context ctx = pgv_plan_context(req->pq->version, req->caller);
	char err[1024];

	memset(out, 0, sizeof(*out));
	if (pgv_request_merge(req, &out->settings, err, sizeof(err)) < 0) {
		snprintf(out->reason, sizeof(out->reason),
			 "cannot read the connection options: %s", err);
		return refuse_plan(out);
	}
	plan_settings(cfg, &ctx, out);
	if (out->verdict != PGVERIFY_REFUSE && build_forward(req, out) < 0) {
		snprintf(out->reason, sizeof(out->reason), "out of memory");
		return refuse_plan(out);
	}
	return out->verdict;
}

void pgverify_plan_clear(pgverify_plan *plan)
{
	pgverify_settings_clear(&plan->settings);
	free_forward(plan);
	memset(plan, 0, sizeof(*plan));
}

/* Whether settings `s` already hold what decision `d` (ENFORCE) demands. */
static int already_enforced(const pgverify_settings *s,
			    const pgverify_decision *d)
{
	int have = s->sslmode && *s->sslmode ? pgv_sslmode_parse(s->sslmode)
					     : PGV_SSL_PREFER;

	/* The bundle the decision names, whether the connection named it
	 * itself or (locked) the configuration did. */
	return have >= pgv_sslmode_parse(d->sslmode_after) &&
	       (strcmp(d->bundle_source, "connection") == 0 ||
		(s->sslrootcert &&
		 strcmp(s->sslrootcert, d->sslrootcert) == 0)) &&
	       (!d->gssencmode ||
		(s->gssencmode && strcmp(s->gssencmode, d->gssencmode) == 0));
}

static pgverify_verdict plan_started(const pgverify_config *cfg,
				     int libpq_version, pgverify_plan *out)
{
	const pgverify_decision *d = &out->decision;
	const pgverify_settings *s = &out->settings;
	pgverify_context ctx = pgv_plan_context(libpq_version, NULL);

	describe_hosts(s, out->hosts, sizeof(out->hosts));
	pgverify_decide(cfg, s, &ctx, &out->decision);
	note_verification(out, &ctx);
	/* Report mode changes nothing, here too. */
	if (d->report && d->verdict != PGVERIFY_LEAVE) {
		out->changed =
		    d->verdict == PGVERIFY_ENFORCE && !already_enforced(s, d);
		out->kept = d->verdict == PGVERIFY_ENFORCE && is_kept(d);
		return report(out, d->verdict);
	}
	if (d->verdict != PGVERIFY_ENFORCE)
		return settle(out);
	/* Translated for the hooks' calls; here it is too late, and libpq
	 * before 16 would look for a file named "system". */
	if (ctx.libpq_version < 160000 && s->sslrootcert &&
	    strcmp(s->sslrootcert, "system") == 0) {
		snprintf(
		    out->reason, sizeof(out->reason),
		    "%s: sslrootcert=system needs libpq 16 or later, and "
		    "this connection (libpq %d) was started past pgverify, "
		    "which could not translate it; give it sslrootcert=%s",
		    out->hosts, ctx.libpq_version, ctx.system_bundle);
		return refuse_plan(out);
	}
	if (!already_enforced(s, d)) {
		snprintf(
		    out->reason, sizeof(out->reason),
		    "%s: this program started the connection by calling "
		    "libpq past pgverify (as Python's ctypes does for "
		    "psycopg 3), so pgverify could not raise its options "
		    "(sslmode %s, sslrootcert %.400s, gssencmode %s); give "
		    "it sslmode=%s sslrootcert=%.400s%s in its connection "
		    "string or PGSSLMODE, PGSSLROOTCERT%s",
		    out->hosts, d->sslmode_before,
		    s->sslrootcert && *s->sslrootcert ? s->sslrootcert
						      : "(none)",
		    s->gssencmode ? s->gssencmode : "(none)", d->sslmode_after,
		    bundle_file(&ctx, d->sslrootcert),
		    d->gssencmode ? " gssencmode=disable" : "",
		    d->gssencmode ? ", PGGSSENCMODE" : "");
		return refuse_plan(out);
	}
	if (check_bundle(cfg, &ctx, out) < 0)
		return refuse_plan(out);
	out->kept = is_kept(d);
	return out->verdict = PGVERIFY_ENFORCE;
}

/* What leaves the plan for logs, messages and records: no value in it can
 * start a line (a host name with a newline in it). */
static pgverify_verdict printable(pgverify_plan *out)
{
	pgv_escape_controls(out->reason, sizeof(out->reason));
	pgv_escape_controls(out->hosts, sizeof(out->hosts));
	return out->verdict;
}

pgverify_verdict pgv_plan_settings(const pgverify_config *cfg,
				   const pgverify_context *ctx,
				   pgverify_plan *out)
{
	plan_settings(cfg, ctx, out);
	return printable(out);
}

pgverify_verdict pgv_plan(const pgverify_config *cfg,
			  const struct pgv_request *req, pgverify_plan *out)
{
	plan_request(cfg, req, out);
	return printable(out);
}

/* The forwarded arrays with three more pairs; -1 when out of memory. */
static int append(pgverify_plan *p, const char *const kw[3],
		  const char *const val[3])
{
	size_t k = 0;
	const char **keywords, **values;

	while (p->keywords[k])
		k++;
	keywords = calloc(k + 4, sizeof(*keywords));
	values = calloc(k + 4, sizeof(*values));
	if (!keywords || !values) {
		free(keywords);
		free(values);
		return -1;
	}
	memcpy(keywords, p->keywords, k * sizeof(*keywords));
	memcpy(values, p->values, k * sizeof(*values));
	free((void *)p->keywords);
	free((void *)p->values);
	p->keywords = keywords;
	p->values = values;
	for (size_t i = 0; i < 3; i++, k++)
		if (keep(&keywords[k], kw[i]) | keep(&values[k], val[i]))
			return -1;
	return 0;
}

pgverify_verdict pgv_plan_resolve(const pgverify_config *cfg, pgverify_plan *p)
{
	static const char *const kw[3] = {"host", "hostaddr", "port"};
	struct pgv_alias_lists l;
	char err[1024];

	if (p->verdict != PGVERIFY_ENFORCE || !p->decision.aliased)
		return p->verdict;
	if (pgv_alias_lists(cfg, &p->settings, &l, err, sizeof(err)) < 0) {
		snprintf(p->reason, sizeof(p->reason), "%s: %s", p->hosts, err);
		refuse_plan(p);
		return printable(p);
	}
	if (append(p, kw, (const char *const[3]){l.host, l.hostaddr, l.port}) <
	    0) {
		snprintf(p->reason, sizeof(p->reason), "out of memory");
		refuse_plan(p);
	}
	pgv_alias_free(&l);
	return p->verdict;
}

pgverify_verdict pgv_plan_started(const pgverify_config *cfg, int libpq_version,
				  pgverify_plan *out)
{
	plan_started(cfg, libpq_version, out);
	return printable(out);
}
