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
#include "merge.h"
#include "mask.h"
#include "real.h"

#include <stddef.h>
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

static char **member(pgverify_settings *out, const char *keyword)
{
	static const struct {
		const char *keyword;
		size_t offset;
	} members[] = {
	    {"host", offsetof(pgverify_settings, host)},
	    {"hostaddr", offsetof(pgverify_settings, hostaddr)},
	    {"port", offsetof(pgverify_settings, port)},
	    {"sslmode", offsetof(pgverify_settings, sslmode)},
	    {"sslrootcert", offsetof(pgverify_settings, sslrootcert)},
	    {"gssencmode", offsetof(pgverify_settings, gssencmode)},
	    {"sslkeylogfile", offsetof(pgverify_settings, sslkeylogfile)},
	    {"application_name", offsetof(pgverify_settings, application_name)},
	    {"fallback_application_name",
	     offsetof(pgverify_settings, fallback_application_name)},
	};

	for (size_t i = 0; i < sizeof(members) / sizeof(*members); i++)
		if (strcmp(keyword, members[i].keyword) == 0)
			return (char **)((char *)out + members[i].offset);
	return NULL;
}

/* The options whose origin refusals name, and the service they depend on. */
enum {
	GIVEN_SERVICE,
	GIVEN_SSLMODE,
	GIVEN_SSLROOTCERT,
	GIVEN_GSSENCMODE,
	NGIVEN
};
static const char *const given_keywords[NGIVEN] = {"service", "sslmode",
						   "sslrootcert", "gssencmode"};

static int given_index(const char *keyword)
{
	for (int i = 0; i < NGIVEN; i++)
		if (strcmp(keyword, given_keywords[i]) == 0)
			return i;
	return -1;
}

/* A non-empty value for one of given_keywords, copied over the last one.
 * Out of memory reads as unset: it only words a message. */
static void set_given(char *given[NGIVEN], const char *keyword,
		      const char *value)
{
	int i = given_index(keyword);

	if (i < 0 || !value || !*value)
		return;
	free(given[i]);
	given[i] = strdup(value);
}

/*
 * The values the program's own options give given_keywords, as libpq reads
 * them, in one pass: the last non-empty one, the first dbname read as a
 * connection string under expand_dbname, at its place in the array
 * (conninfo_array_parse() in fe-connect.c).  Strings that are neither a
 * conninfo nor a URI (a plain database name) do not parse.
 */
static void find_given(const struct pgv_request *r, char *given[NGIVEN])
{
	int expand = r->expand_dbname;

	for (size_t i = 0; i < r->n; i++) {
		const char *k = r->keywords[i], *v = r->values[i];
		if (!v)
			continue;
		if (expand && strcmp(k, "dbname") == 0) {
			PQconninfoOption *opts = r->pq->conninfo_parse(v, NULL);
			expand = 0;
			for (PQconninfoOption *o = opts; o && o->keyword; o++)
				set_given(given, o->keyword, o->val);
			if (opts)
				r->pq->conninfo_free(opts);
		}
		set_given(given, k, v);
	}
}

/*
 * Where libpq took option `o`'s merged value from, when the program's
 * options did not give it.  libpq reads the named service's entry for what
 * the options leave unset, then the option's variable, then its default
 * (conninfo_add_defaults()).  The value alone decides between these, so a
 * service entry equal to the variable, or to the default, is told as the
 * later source.
 */
static pgverify_origin origin_of(const PQconninfoOption *o, const char *service)
{
	const char *env = o->envvar ? getenv(o->envvar) : NULL;
	int from_env = env && *env && strcmp(env, o->val) == 0;
	int is_default = o->compiled && strcmp(o->compiled, o->val) == 0;

	if (service && *service && from_env)
		return PGVERIFY_FROM_SERVICE_OR_ENVIRONMENT;
	if (from_env)
		return PGVERIFY_FROM_ENVIRONMENT;
	if (is_default)
		return PGVERIFY_FROM_DEFAULT;
	/* Neither: the service's entry, or libpq's older PGREQUIRESSL. */
	return service && *service ? PGVERIFY_FROM_SERVICE
				   : PGVERIFY_FROM_ENVIRONMENT;
}

/*
 * The service named and the origins of the options whose refusals say
 * where they came from.  libpq before 16 does not show the service in
 * PQconninfo(): it is the options', else PGSERVICE (parseServiceInfo()).
 */
static int find_origins(const struct pgv_request *r,
			const PQconninfoOption *opts, pgverify_settings *out)
{
	pgverify_origin *from[NGIVEN] = {NULL, &out->sslmode_from,
					 &out->sslrootcert_from,
					 &out->gssencmode_from};
	const char *env = getenv("PGSERVICE");
	char *given[NGIVEN] = {NULL};

	find_given(r, given);
	out->service = given[GIVEN_SERVICE];
	if (!out->service && env && *env && !(out->service = strdup(env))) {
		for (int i = 0; i < NGIVEN; i++)
			free(given[i]);
		return -1;
	}
	for (const PQconninfoOption *o = opts; o->keyword; o++) {
		int i = given_index(o->keyword);
		if (i <= GIVEN_SERVICE)
			continue;
		*from[i] = !o->val || !*o->val ? PGVERIFY_FROM_DEFAULT
			   : given[i]	       ? PGVERIFY_FROM_OPTIONS
					       : origin_of(o, out->service);
	}
	for (int i = GIVEN_SERVICE + 1; i < NGIVEN; i++)
		free(given[i]);
	return 0;
}

int pgv_settings_from_conn(const struct pgv_libpq *pq, PGconn *conn,
			   const struct pgv_request *r, pgverify_settings *out)
{
	PQconninfoOption *opts = pq->conninfo(conn);
	int rc = opts ? 0 : -1;

	for (PQconninfoOption *o = opts; o && o->keyword; o++) {
		char **dst = member(out, o->keyword);
		if (dst && copy_option(dst, o->val) < 0)
			rc = -1;
	}
	if (rc == 0 && r)
		rc = find_origins(r, opts, out);
	if (opts)
		pq->conninfo_free(opts);
	return rc;
}

/*
 * libpq's message about a service is cut where it quotes the service's
 * name (pgv_cut_libpq_quote()); the name is the program's own option or
 * PGSERVICE, not a secret, so it is said again from there.
 */
static void name_service(const struct pgv_request *r, char *err, size_t errlen)
{
	const char *service = getenv("PGSERVICE");
	size_t len = strlen(err);

	for (size_t i = 0; i < r->n; i++)
		if (strcmp(r->keywords[i], "service") == 0 && r->values[i] &&
		    r->values[i][0])
			service = r->values[i];
	if (service && *service && strstr(err, "service"))
		snprintf(err + len, errlen - len, "; the service named: \"%s\"",
			 service);
}

/*
 * One run of libpq's merge: the request's options, then the probe (and
 * sslmode=`raise` after it, if not NULL), in arrays of its own; the request
 * is not touched.  NULL when out of memory.
 */
static PGconn *run_probe(const struct pgv_request *r, const char *raise)
{
	size_t n = r->n + NPROBE + 2, i = 0;
	const char **kw = calloc(n, sizeof(*kw)),
		   **val = calloc(n, sizeof(*val));
	PGconn *conn = NULL;

	if (kw && val) {
		for (; i < r->n; i++) {
			kw[i] = r->keywords[i];
			val[i] = r->values[i];
		}
		for (size_t p = 0; p < NPROBE; p++, i++) {
			kw[i] = probe[p][0];
			val[i] = probe[p][1];
		}
		if (raise) {
			kw[i] = "sslmode";
			val[i] = raise;
		}
		conn = r->pq->connect_start_params(kw, val, r->expand_dbname);
	}
	free(kw);
	free(val);
	return conn;
}

/* Whether libpq stopped at the probe, having read everything before it. */
static int stopped_at_probe(const struct pgv_libpq *pq, PGconn *conn)
{
	return conn && pq->status(conn) == CONNECTION_BAD &&
	       strstr(pq->error_message(conn), PROBE_VALUE);
}

/*
 * libpq 16+ rejects some options with a weak sslmode that are valid with
 * the one pgverify will give (sslrootcert=system, libpq 17's
 * sslnegotiation=direct).  If the merge fails before the probe, and
 * succeeds with sslmode=verify-full, the failure is one pgverify removes:
 * the first merge's values (fields are stored before libpq validates
 * them) are the connection's own.
 */
static int fixed_by_verify_full(const struct pgv_request *r)
{
	PGconn *raised = run_probe(r, "verify-full");
	int fixed = stopped_at_probe(r->pq, raised);

	r->pq->finish(raised);
	return fixed;
}

int pgv_request_merge(const struct pgv_request *r, pgverify_settings *out,
		      char *err, size_t errlen)
{
	PGconn *conn;
	int rc = -1;

	memset(out, 0, sizeof(*out));
	if (r->error[0]) {
		snprintf(err, errlen, "%s", r->error);
		return -1;
	}
	conn = run_probe(r, NULL);
	if (!conn) {
		snprintf(err, errlen, "out of memory");
	} else if (r->pq->status(conn) != CONNECTION_BAD) {
		snprintf(err, errlen,
			 "this libpq (%d) accepted an invalid %s; "
			 "pgverify cannot read its options safely",
			 r->pq->version, PROBE_KEYWORD);
	} else if (!stopped_at_probe(r->pq, conn) && !fixed_by_verify_full(r)) {
		snprintf(err, errlen, "%s", r->pq->error_message(conn));
		pgv_cut_libpq_quote(err, errlen);
		pgv_mask_secrets(err, errlen);
		name_service(r, err, errlen);
	} else if (pgv_settings_from_conn(r->pq, conn, r, out) < 0) {
		snprintf(err, errlen, "out of memory");
	} else {
		rc = 0;
	}
	if (conn)
		r->pq->finish(conn);
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
	free(s->sslkeylogfile);
	free(s->service);
	free(s->application_name);
	free(s->fallback_application_name);
	memset(s, 0, sizeof(*s));
}
