/*
 * The libpq a program links against (the pgverify command, the tests and
 * benchmarks), as the table the core calls: the shim never links libpq,
 * it finds each copy in the process (copies.c).  The public merge
 * functions live here because they run on this libpq.
 */
#include "merge.h"
#include "plan.h"
#include "real.h"

#include <pthread.h>

static struct pgv_libpq linked;
static pthread_once_t once = PTHREAD_ONCE_INIT;

/* Written once under `once`; read only after pthread_once() returned. */
static void fill(void)
{
	linked = (struct pgv_libpq){
	    .path = "libpq.so.5",
	    .connectdb = PQconnectdb,
	    .connectdb_params = PQconnectdbParams,
	    .connect_start = PQconnectStart,
	    .connect_start_params = PQconnectStartParams,
	    .setdb_login = PQsetdbLogin,
	    .ping = PQping,
	    .ping_params = PQpingParams,
	    .connect_poll = PQconnectPoll,
	    .conninfo = PQconninfo,
	    .conninfo_parse = PQconninfoParse,
	    .conninfo_free = PQconninfoFree,
	    .freemem = PQfreemem,
	    .status = PQstatus,
	    .error_message = PQerrorMessage,
	    .finish = PQfinish,
	    .lib_version = PQlibVersion,
	    .host = PQhost,
	    .ssl_in_use = PQsslInUse,
	    .ssl_struct = PQsslStruct,
	    .version = PQlibVersion(),
	};
}

const struct pgv_libpq *pgv_libpq_linked(void)
{
	pthread_once(&once, fill);
	return &linked;
}

int pgverify_merge_params(const char *const *keywords,
			  const char *const *values, int expand_dbname,
			  pgverify_settings *out, char *err, size_t errlen)
{
	struct pgv_request r;
	int rc;

	pgv_request_params(&r, pgv_libpq_linked(), keywords, values,
			   expand_dbname);
	rc = pgv_request_merge(&r, out, err, errlen);
	pgv_request_free(&r);
	return rc;
}

int pgverify_merge_conninfo(const char *conninfo, pgverify_settings *out,
			    char *err, size_t errlen)
{
	struct pgv_request r;

	pgv_request_conninfo(&r, pgv_libpq_linked(), conninfo);
	int rc = pgv_request_merge(&r, out, err, errlen);
	pgv_request_free(&r);
	return rc;
}

pgverify_verdict pgverify_plan_conninfo(const pgverify_config *cfg,
					const char *conninfo,
					pgverify_plan *out)
{
	struct pgv_request req;

	pgv_request_conninfo(&req, pgv_libpq_linked(), conninfo);
	pgv_plan(cfg, &req, out);
	pgv_request_free(&req);
	return out->verdict;
}
