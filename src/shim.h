/*
 * The shim's process state and its one decision point.  hooks.c asks
 * pgv_shim_route() what to do with a request and forwards accordingly.
 */
#ifndef PGV_SHIM_H
#define PGV_SHIM_H

#include "request.h"

#include <libpq-fe.h>

enum pgv_route {
	PGV_ROUTE_ORIGINAL,  /* forward the program's own call untouched */
	PGV_ROUTE_REWRITTEN, /* forward req's arrays to the *Params function */
	PGV_ROUTE_REFUSED    /* do not connect: pgv_shim_refused(reason) */
};

/*
 * Decide for one request.  On REWRITTEN the enforced keywords have been
 * appended to `req`; on REFUSED `reason` holds the user-facing reason, which
 * has already been logged.
 */
enum pgv_route pgv_shim_route(struct pgv_request *req, char *reason,
			      size_t len);

/*
 * For a connection libpq is about to start that did not come through the
 * hooks (see PQconnectPoll in hooks.c): 0 if it may go ahead, -1 if not,
 * after logging why.
 */
int pgv_shim_allow_started(PGconn *conn);

/* A PGconn in CONNECTION_BAD whose error message carries `reason`, made
 * without touching the network; NULL if libpq itself is missing. */
PGconn *pgv_shim_refused(const char *reason);

/*
 * The reentrancy guard.  libpq's PQconnectdb calls PQconnectStart (and
 * PQconnectdbParams calls PQconnectStartParams, PQping* call
 * PQconnectStart*) through its PLT, so a call the shim forwards comes back
 * into the shim.  Only a call made while the shim itself is inside libpq is
 * skipped: a program whose own calls bypass the shim (RTLD_DEEPBIND) still
 * gets its inner call checked.
 */
int pgv_shim_nested(void);
void pgv_shim_enter(void);
void pgv_shim_leave(void);

#endif
