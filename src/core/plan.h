/* The per-connection pipeline; see plan.c. */
#ifndef PGV_PLAN_H
#define PGV_PLAN_H

#include "core.h"
#include "request.h"

/*
 * Plan `req` under `cfg`: libpq merges its options (merge.c), then
 * pgv_plan_settings(); out->keywords/values are a fresh array to forward
 * (LEAVE: the request's options; ENFORCE: those, then the enforced ones),
 * owned by the plan.  `req` is not changed and may go before the plan.
 * Release the plan with pgverify_plan_clear().
 */
pgverify_verdict pgv_plan(const pgverify_config *cfg,
			  const struct pgv_request *req, pgverify_plan *out);

/*
 * The plan's one network step, for the shim only (`pgverify explain`
 * never resolves): with hosts under a rule's verify_name, their names are
 * resolved and host, hostaddr and port are appended to the forwarded
 * options (alias.h).  Returns the verdict: REFUSE, with the reason, when a
 * name cannot be resolved.
 */
pgverify_verdict pgv_plan_resolve(const pgverify_config *cfg, pgverify_plan *p);

/* This process's context for a connection on a libpq of `libpq_version`:
 * OpenSSL's CA files, the caller's file (or NULL). */
pgverify_context pgv_plan_context(int libpq_version, const char *caller);

/*
 * The plan for the merged settings already in out->settings (owned by the
 * plan), in context `ctx`: the policy and the bundle check, no libpq and no
 * network.  Fills everything but the forwarded arrays.
 */
pgverify_verdict pgv_plan_settings(const pgverify_config *cfg,
				   const pgverify_context *ctx,
				   pgverify_plan *out);

/*
 * A connection libpq was asked to start without the hooks (the program
 * called libpq past them): its options, merged already into `out->settings`
 * (owned by the plan), cannot be changed, so it may go ahead only if they
 * are what pgv_plan() would have made them.  ENFORCE then means "already
 * enforced"; anything short of that is REFUSE, saying what to set.
 */
pgverify_verdict pgv_plan_started(const pgverify_config *cfg, int libpq_version,
				  pgverify_plan *out);

#endif
