/*
 * Merging a connection's options as libpq does, service file and PG*
 * environment included, without connecting.  PQconninfoParse() sees only a
 * string and PQconndefaults() only the environment, so we let libpq do its
 * whole merge: PQconnectStartParams() with the program's options plus one
 * option we make invalid fails in option validation, before any socket is
 * opened, and PQconninfo() on that PGconn shows the merged values.
 *
 * target_session_attrs is the probe: libpq validates it last, after every
 * option the policy reads, and the policy never needs its value.  The probe
 * also names a user and a password, which the policy never reads either:
 * without them libpq would look the user up in the passwd database and
 * read ~/.pgpass on every merge, for nothing (and warn about that file's
 * permissions twice).
 */
#include "mask.h"
#include "real.h"
#include "request.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define PROBE_KEYWORD "target_session_attrs"
#define PROBE_VALUE   "pgverify-merge-probe"

/* The user and password values differ from PROBE_VALUE, so that only
 * libpq's complaint about the probe keyword can match the marker test
 * below, whatever else libpq's message might quote. */
static const char *const probe[][2] = {{"user", "pgverify"},
				       {"password", "pgverify"},
				       {PROBE_KEYWORD, PROBE_VALUE}};
#define NPROBE (sizeof(probe) / sizeof(*probe))

static int copy_option(char **dst, const char *val)
{
	*dst = NULL;
	return val && !(*dst = strdup(val)) ? -1 : 0;
}

int pgv_settings_from_conn(PGconn *conn, pgverify_settings *out)
{
	PQconninfoOption *opts = PQconninfo(conn);
	int rc = opts ? 0 : -1;

	for (PQconninfoOption *o = opts; o && o->keyword; o++) {
		char **dst =
		    strcmp(o->keyword, "host") == 0	     ? &out->host
		    : strcmp(o->keyword, "hostaddr") == 0    ? &out->hostaddr
		    : strcmp(o->keyword, "port") == 0	     ? &out->port
		    : strcmp(o->keyword, "sslmode") == 0     ? &out->sslmode
		    : strcmp(o->keyword, "sslrootcert") == 0 ? &out->sslrootcert
		    : strcmp(o->keyword, "gssencmode") == 0  ? &out->gssencmode
							     : NULL;
		if (dst && copy_option(dst, o->val) < 0)
			rc = -1;
	}
	PQconninfoFree(opts);
	return rc;
}

/*
 * One run of libpq's merge with the probe appended (and sslmode=`raise`
 * after it, if not NULL), taken off again afterwards: the request is
 * forwarded later.  NULL with r->error when the probe could not be added.
 */
static PGconn *run_probe(struct pgv_request *r, const char *raise)
{
	size_t n = r->n, pushed = 0;
	PGconn *conn = NULL;

	while (pushed < NPROBE &&
	       pgv_request_push(r, probe[pushed][0], probe[pushed][1]) == 0)
		pushed++;
	if (pushed == NPROBE &&
	    (!raise || pgv_request_push(r, "sslmode", raise) == 0))
		conn = pgv_real.PQconnectStartParams(r->keywords, r->values,
						     r->expand_dbname);
	else if (!r->error[0])
		snprintf(r->error, sizeof(r->error), "out of memory");
	r->n = n;
	r->keywords[n] = NULL;
	r->values[n] = NULL;
	return conn;
}

/* Whether libpq stopped at the probe, having read everything before it. */
static int stopped_at_probe(PGconn *conn)
{
	return conn && PQstatus(conn) == CONNECTION_BAD &&
	       strstr(PQerrorMessage(conn), PROBE_VALUE);
}

/*
 * libpq 16+ rejects some options with a weak sslmode that are valid with
 * the one pgverify will give (sslrootcert=system, libpq 17's
 * sslnegotiation=direct).  If the merge fails before the probe, and
 * succeeds with sslmode=verify-full, the failure is one pgverify removes:
 * the first merge's values (fields are stored before libpq validates
 * them) are the connection's own.
 */
static int fixed_by_verify_full(struct pgv_request *r)
{
	PGconn *raised = run_probe(r, "verify-full");
	int fixed = stopped_at_probe(raised);

	PQfinish(raised);
	return fixed;
}

int pgv_request_merge(struct pgv_request *r, pgverify_settings *out, char *err,
		      size_t errlen)
{
	PGconn *conn;
	int rc = -1;

	memset(out, 0, sizeof(*out));
	if (r->error[0] || pgv_real_init() < 0) {
		snprintf(err, errlen, "%s",
			 r->error[0] ? r->error : "libpq not found");
		return -1;
	}
	conn = run_probe(r, NULL);
	if (!conn) {
		snprintf(err, errlen, "%s", r->error);
	} else if (PQstatus(conn) != CONNECTION_BAD) {
		snprintf(err, errlen,
			 "this libpq (%d) accepted an invalid %s; "
			 "pgverify cannot read its options safely",
			 PQlibVersion(), PROBE_KEYWORD);
	} else if (!stopped_at_probe(conn) && !fixed_by_verify_full(r)) {
		snprintf(err, errlen, "%s", PQerrorMessage(conn));
		err[strcspn(err, "\n")] = '\0';
		pgv_mask_secrets(err, errlen);
	} else if (pgv_settings_from_conn(conn, out) < 0) {
		snprintf(err, errlen, "out of memory");
	} else {
		rc = 0;
	}
	PQfinish(conn);
	if (rc < 0)
		pgverify_settings_clear(out);
	return rc;
}

void pgverify_settings_clear(pgverify_settings *s)
{
	free(s->host);
	free(s->hostaddr);
	free(s->port);
	free(s->sslmode);
	free(s->sslrootcert);
	free(s->gssencmode);
	memset(s, 0, sizeof(*s));
}

int pgverify_merge_params(const char *const *keywords,
			  const char *const *values, int expand_dbname,
			  pgverify_settings *out, char *err, size_t errlen)
{
	struct pgv_request r;
	int rc;

	pgv_request_params(&r, keywords, values, expand_dbname);
	rc = pgv_request_merge(&r, out, err, errlen);
	pgv_request_free(&r);
	return rc;
}

int pgverify_merge_conninfo(const char *conninfo, pgverify_settings *out,
			    char *err, size_t errlen)
{
	struct pgv_request r;
	int rc;

	pgv_request_conninfo(&r, conninfo);
	rc = pgv_request_merge(&r, out, err, errlen);
	pgv_request_free(&r);
	return rc;
}
