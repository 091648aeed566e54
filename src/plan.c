/*
 * One connection's path through pgverify, shared by the shim and
 * `pgverify explain`: merge its options the way libpq does, ask the policy,
 * check the bundle it would use, append the enforced keywords.
 */
#include "plan.h"
#include "bundle.h"
#include "config.h"
#include "merge.h"
#include "sslmode.h"

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

static int append(struct pgv_request *req, const pgverify_decision *d)
{
	if (pgv_request_append(req, "sslmode", d->sslmode_after) < 0 ||
	    pgv_request_append(req, "sslrootcert", d->sslrootcert) < 0)
		return -1;
	if (d->gssencmode)
		return pgv_request_append(req, "gssencmode", d->gssencmode);
	return 0;
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

/* The bundle the decision names must serve; -1 with out->reason if not,
 * saying where the bundle came from. */
static int check_bundle(const pgverify_config *cfg, const pgverify_context *ctx,
			pgverify_plan *out)
{
	const pgverify_decision *d = &out->decision;
	char err[1024];

	if (pgv_bundle_check_cached(bundle_file(ctx, d->sslrootcert),
				    cfg->expiry_warning_days, err,
				    sizeof(err)) == 0)
		return 0;
	snprintf(out->reason, sizeof(out->reason),
		 "%s: %s (sslrootcert from the %s%s%s%s)", out->hosts, err,
		 d->bundle_source, d->rule ? " " : "", d->rule ? d->rule : "",
		 d->region[0] ? " for its region; pgverify bundle --split DIR "
				"BUNDLE writes one file per region"
			      : "");
	return -1;
}

/* What the server is verified with under the decision, for audit records. */
static void note_verification(pgverify_plan *out, const pgverify_context *ctx)
{
	const pgverify_decision *d = &out->decision;
	const char *file =
	    d->sslrootcert ? bundle_file(ctx, d->sslrootcert) : NULL;

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
	out->report = 1;
	out->would = would == PGVERIFY_REFUSE ? "refuse"
		     : out->changed	      ? "upgrade"
					      : "nothing";
	return out->verdict = PGVERIFY_LEAVE;
}

pgverify_verdict pgv_plan(const pgverify_config *cfg, struct pgv_request *req,
			  pgverify_plan *out)
{
	const pgverify_decision *d = &out->decision;
	pgverify_context ctx = {PQlibVersion(), pgverify_system_bundle(),
				req->caller};
	char err[1024];

	memset(out, 0, sizeof(*out));
	if (pgv_request_merge(req, &out->settings, err, sizeof(err)) < 0) {
		snprintf(out->reason, sizeof(out->reason),
			 "cannot read the connection options: %s", err);
		return refuse_plan(out);
	}
	describe_hosts(&out->settings, out->hosts, sizeof(out->hosts));
	out->keywords = req->keywords;
	out->values = req->values;
	out->expand_dbname = req->expand_dbname;
	pgverify_decide(cfg, &out->settings, &ctx, &out->decision);
	note_verification(out, &ctx);
	if (d->verdict == PGVERIFY_LEAVE)
		return settle(out);
	if (d->verdict == PGVERIFY_REFUSE)
		return d->report ? report(out, settle(out)) : settle(out);
	if (check_bundle(cfg, &ctx, out) < 0)
		return d->report ? report(out, PGVERIFY_REFUSE)
				 : refuse_plan(out);
	out->changed = is_changed(&out->settings, d);
	if (d->report)
		return report(out, PGVERIFY_ENFORCE);
	if (append(req, d) < 0) {
		snprintf(out->reason, sizeof(out->reason), "%s", req->error);
		return refuse_plan(out);
	}
	/* Appending may have moved the arrays. */
	out->keywords = req->keywords;
	out->values = req->values;
	return out->verdict = PGVERIFY_ENFORCE;
}

pgverify_verdict pgverify_plan_conninfo(const pgverify_config *cfg,
					const char *conninfo,
					pgverify_plan *out)
{
	struct pgv_request *req = malloc(sizeof(*req));

	if (!req) {
		memset(out, 0, sizeof(*out));
		snprintf(out->reason, sizeof(out->reason), "out of memory");
		return refuse_plan(out);
	}
	pgv_request_conninfo(req, conninfo);
	pgv_plan(cfg, req, out);
	out->request = req;
	return out->verdict;
}

void pgverify_plan_clear(pgverify_plan *plan)
{
	pgverify_settings_clear(&plan->settings);
	if (plan->request) {
		pgv_request_free(plan->request);
		free(plan->request);
	}
	memset(plan, 0, sizeof(*plan));
}

/* Whether settings `s` already hold what decision `d` (ENFORCE) demands. */
static int already_enforced(const pgverify_settings *s,
			    const pgverify_decision *d)
{
	int have = s->sslmode && *s->sslmode ? pgv_sslmode_parse(s->sslmode)
					     : PGV_SSL_PREFER;

	return have >= pgv_sslmode_parse(d->sslmode_after) &&
	       strcmp(d->bundle_source, "connection") == 0 &&
	       (!d->gssencmode ||
		(s->gssencmode && strcmp(s->gssencmode, d->gssencmode) == 0));
}

pgverify_verdict pgv_plan_started(const pgverify_config *cfg,
				  pgverify_plan *out)
{
	const pgverify_decision *d = &out->decision;
	const pgverify_settings *s = &out->settings;
	pgverify_context ctx = {PQlibVersion(), pgverify_system_bundle(), NULL};

	describe_hosts(s, out->hosts, sizeof(out->hosts));
	pgverify_decide(cfg, s, &ctx, &out->decision);
	note_verification(out, &ctx);
	/* Report mode changes nothing, here too. */
	if (d->report && d->verdict != PGVERIFY_LEAVE) {
		out->changed =
		    d->verdict == PGVERIFY_ENFORCE && !already_enforced(s, d);
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
		snprintf(out->reason, sizeof(out->reason),
			 "%s: this program started the connection by calling "
			 "libpq past pgverify (as Python's ctypes does for "
			 "psycopg 3), so pgverify could not raise its options "
			 "(sslmode %s, sslrootcert %s, gssencmode %s); give it "
			 "sslmode=%s sslrootcert=%s%s in its connection string "
			 "or PGSSLMODE, PGSSLROOTCERT%s",
			 out->hosts, d->sslmode_before,
			 s->sslrootcert && *s->sslrootcert ? s->sslrootcert
							   : "(none)",
			 s->gssencmode ? s->gssencmode : "(none)",
			 d->sslmode_after, bundle_file(&ctx, d->sslrootcert),
			 d->gssencmode ? " gssencmode=disable" : "",
			 d->gssencmode ? ", PGGSSENCMODE" : "");
		return refuse_plan(out);
	}
	if (check_bundle(cfg, &ctx, out) < 0)
		return refuse_plan(out);
	return out->verdict = PGVERIFY_ENFORCE;
}
