/*
 * The shim's process state and its one decision point.  hooks.c turns each
 * call into a request, asks pgv_shim_begin() what to do with it, forwards
 * accordingly and ends with pgv_shim_end().
 */
#ifndef PGV_SHIM_H
#define PGV_SHIM_H

#include "engine.h"
#include "real.h"
#include "replay.h"
#include "request.h"

struct pgv_audit;

#include <dlfcn.h>
#include <libpq-fe.h>

enum pgv_route {
	PGV_ROUTE_ORIGINAL,  /* forward the program's own call untouched */
	PGV_ROUTE_REWRITTEN, /* forward req's arrays to the *Params function */
	PGV_ROUTE_REFUSED    /* do not connect: pgv_libpq_refused(reason) */
};

/* One call through pgverify, from pgv_shim_begin() to pgv_shim_end(). */
struct pgv_shim_call {
	const struct pgv_libpq *pq; /* the copy the call goes to */
	struct pgv_replay replay;   /* what libpq read while it was planned */
	const void *forwarded;	    /* the argument handed on to libpq */
	struct pgv_shim_call *outer;
	struct pgv_audit *audit; /* this call's record, if records are kept */
	/* REWRITTEN: plan.keywords/values forward; REFUSED: plan.reason says
	 * why, already logged. */
	pgverify_plan plan;
};

/* The library's table (engine.h), given once by pgv_engine_open() before
 * any call. */
void pgv_shim_open(const struct pgv_front *front);

/*
 * Plan one request.  On REWRITTEN, sc->plan.keywords/values are what to
 * forward (the request's options, then the enforced ones), valid until
 * pgv_shim_end().  Until then, libpq is given on this thread exactly what
 * it read while the request was planned (replay.h).
 */
enum pgv_route pgv_shim_begin(struct pgv_shim_call *sc,
			      const struct pgv_request *req);

/* The call is now being forwarded with `args` (a conninfo string or a
 * keyword array): libpq's internal call with the same `args` is its own. */
void pgv_shim_forwarding(struct pgv_shim_call *sc, const void *args);
void pgv_shim_end(struct pgv_shim_call *sc);

/* The forwarded call returned `conn`; `started` if by PQconnectStart*(),
 * whose attempt ends in a later PQconnectPoll() (pgv_shim_poll_ended()). */
void pgv_shim_connected(struct pgv_shim_call *sc, PGconn *conn, int started);
/* The forwarded ping returned `ping`. */
void pgv_shim_pinged(struct pgv_shim_call *sc, PGPing ping);
/* PQconnectPoll() said PGRES_POLLING_OK or _FAILED for `conn`. */
void pgv_shim_poll_ended(const struct pgv_libpq *pq, PGconn *conn);

/* Whether `args` are those of the call pgverify is forwarding on this
 * thread right now: libpq calling from one entry point into another. */
int pgv_shim_is_forwarded(const void *args);

/*
 * For a connection libpq is about to start (its first PQconnectPoll()):
 * 0 if it may go ahead, -1 if not, after logging why and putting the reason
 * in its error message.  See PQconnectPoll in hooks.c.
 */
int pgv_shim_check_started(const struct pgv_libpq *pq, PGconn *conn);

#endif
