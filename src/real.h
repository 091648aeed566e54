/* The real libpq entry points that pgverify interposes. */
#ifndef PGV_REAL_H
#define PGV_REAL_H

#include <libpq-fe.h>

struct pgv_real {
	__typeof__(PQconnectdb) *PQconnectdb;
	__typeof__(PQconnectdbParams) *PQconnectdbParams;
	__typeof__(PQconnectStart) *PQconnectStart;
	__typeof__(PQconnectStartParams) *PQconnectStartParams;
	__typeof__(PQsetdbLogin) *PQsetdbLogin;
	__typeof__(PQping) *PQping;
	__typeof__(PQpingParams) *PQpingParams;
	__typeof__(PQconnectPoll) *PQconnectPoll;
};

extern struct pgv_real pgv_real;

/*
 * Resolve every member of pgv_real once per process (thread-safe).
 * Returns 0 when all were found, -1 when some libpq function is missing (the
 * caller refuses connections).  Aborts if a lookup yields pgverify's own
 * function: forwarding to it would recurse forever.
 */
int pgv_real_init(void);

/* Non-zero when `fn` lies inside the object that holds pgverify's code. */
int pgv_real_is_own(void *fn);

#endif
