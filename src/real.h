/* The real libpq entry points that pgverify interposes, named apart from
 * the hooks (hooks.c) that stand in for them. */
#ifndef PGV_REAL_H
#define PGV_REAL_H

#include <libpq-fe.h>

struct pgv_libpq {
	__typeof__(PQconnectdb) *connectdb;
	__typeof__(PQconnectdbParams) *connectdb_params;
	__typeof__(PQconnectStart) *connect_start;
	__typeof__(PQconnectStartParams) *connect_start_params;
	__typeof__(PQsetdbLogin) *setdb_login;
	__typeof__(PQping) *ping;
	__typeof__(PQpingParams) *ping_params;
	__typeof__(PQconnectPoll) *connect_poll;
};

/* Written once, by pgv_real_init() under its pthread_once; read by anyone
 * who called pgv_real_init() first (pthread_once orders the reads after the
 * writes).  Every hook and the merge call it before using a member. */
extern struct pgv_libpq pgv_libpq;

/*
 * Resolve every member of pgv_libpq once per process (thread-safe).
 * Returns 0 when all were found, -1 when some libpq function is missing (the
 * caller refuses connections).  Aborts if a lookup yields pgverify's own
 * function: forwarding to it would recurse forever.
 */
int pgv_real_init(void);

/* Non-zero when `fn` lies inside the object that holds pgverify's code. */
int pgv_real_is_own(void *fn);

#endif
