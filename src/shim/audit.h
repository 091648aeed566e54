/*
 * Audit records: one JSON line per connection attempt, built as a value
 * from the plan, completed when the attempt ends, and written whole.
 */
#ifndef PGV_AUDIT_H
#define PGV_AUDIT_H

#include "core.h"
#include "real.h"

#include <libpq-fe.h>

struct pgv_audit {
	/* From the plan. */
	int report;
	const char *decision;	    /* upgraded kept left refused reported */
	pgverify_would would;	    /* report mode, the policy not leaving it */
	const char *sslmode_before; /* static names, or NULL */
	const char *sslmode_after;
	int verifying;	 /* libpq itself verifies the server (verify-ca/full) */
	char hosts[512]; /* as the connection gives them: "a,b" */
	char hostaddrs[512]; /* likewise, or "" */
	char port[128];
	char application_name[128];
	char sslrootcert_before[1024]; /* the program's own, or "" */
	char sslrootcert[PATH_MAX];
	char reason[2048];
	char bundle[PATH_MAX]; /* the file the chain is checked with, or "" */
	int check_name;	       /* and whether the host name is */
	/* Once the attempt ends. */
	const char *outcome; /* "connected", "failed", or NULL: not seen */
	int tls;	     /* 1, 0, or -1 (null: not connected) */
	int verified;	     /* 1, 0, or -1 (null) */
	int would_verify;    /* 1, 0, or -1 (null) */
	char would_verify_error[256];
	char ca[256];
	char not_after[32];
	char error[512];
};

/* The record of a planned connection; `verdict` is pgv_plan()'s. */
void pgv_audit_from_plan(struct pgv_audit *a, const pgverify_plan *p,
			 pgverify_verdict verdict);

/* The record of a connection refused before any plan (`reason`). */
void pgv_audit_refused(struct pgv_audit *a, const char *reason);

/* The attempt ended: `conn`, of libpq `pq`, is CONNECTION_OK or
 * CONNECTION_BAD.  Checks the live connection's chain where the record
 * needs it and the copy's OpenSSL is pgverify's. */
void pgv_audit_end(struct pgv_audit *a, const struct pgv_libpq *pq,
		   PGconn *conn);

/* A PQping() ended with `ping`. */
void pgv_audit_end_ping(struct pgv_audit *a, PGPing ping);

/*
 * Where records go: `target` is NULL (nowhere), "syslog" or an absolute
 * path (a regular file, opened for each record with O_APPEND and
 * O_NONBLOCK, created 0600, never following a symbolic link).  Called
 * once, before any record; nothing is opened here.  -1 when out of memory.
 */
int pgv_audit_open(const char *target);

/* Whether records are written anywhere. */
int pgv_audit_enabled(void);

/* Write record `a` as one line with one write(2) (or one syslog(3)).  0,
 * or -1 with why in `err` (the record is lost; the connection is not). */
int pgv_audit_emit(const struct pgv_audit *a, char *err, size_t errlen);

#endif
