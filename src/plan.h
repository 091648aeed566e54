/* The per-connection pipeline; see plan.c. */
#ifndef PGV_PLAN_H
#define PGV_PLAN_H

#include "pgverify.h"
#include "request.h"

/*
 * Plan `req` under `cfg`.  On ENFORCE the enforced keywords have been
 * appended to `req`, and out->keywords/values are req's arrays.  The plan
 * does not own `req`; release the plan with pgverify_plan_clear().
 */
pgverify_verdict pgv_plan(const pgverify_config *cfg, struct pgv_request *req,
			  pgverify_plan *out);

/*
 * A connection libpq was asked to start without the hooks (the program
 * called libpq past them): its options, merged already into `out->settings`
 * (owned by the plan), cannot be changed, so it may go ahead only if they
 * are what pgv_plan() would have made them.  ENFORCE then means "already
 * enforced"; anything short of that is REFUSE, saying what to set.
 */
pgverify_verdict pgv_plan_started(const pgverify_config *cfg,
				  pgverify_plan *out);

#endif
