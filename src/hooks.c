/*
 * The interposed libpq entry points.  Each one only translates its
 * arguments into a request, asks pgv_shim_route() and forwards: untouched
 * to the function the program called, rewritten to its *Params twin (the
 * same connection, with the enforced keywords appended), or not at all.
 */
#include "real.h"
#include "request.h"
#include "shim.h"

#define REASON_MAX 2048

/* Call the real libpq with the guard up, so its internal calls back into
 * these hooks are forwarded untouched. */
#define FORWARD(result, call)                                                  \
	do {                                                                   \
		pgv_shim_enter();                                              \
		(result) = (call);                                             \
		pgv_shim_leave();                                              \
	} while (0)

/* Connect (or start connecting) with a request, per the shim's route. */
#define CONNECT(req, original, params_fn)                                      \
	({                                                                     \
		char reason_[REASON_MAX];                                      \
		PGconn *conn_ = NULL;                                          \
		switch (pgv_shim_route(&(req), reason_, sizeof(reason_))) {    \
		case PGV_ROUTE_ORIGINAL:                                       \
			FORWARD(conn_, original);                              \
			break;                                                 \
		case PGV_ROUTE_REWRITTEN:                                      \
			FORWARD(conn_, pgv_real.params_fn(                     \
					   (req).keywords, (req).values,       \
					   (req).expand_dbname));              \
			break;                                                 \
		case PGV_ROUTE_REFUSED:                                        \
			conn_ = pgv_shim_refused(reason_);                     \
			break;                                                 \
		}                                                              \
		pgv_request_free(&(req));                                      \
		conn_;                                                         \
	})

PGconn *PQconnectdb(const char *conninfo)
{
	struct pgv_request req;

	if (pgv_shim_nested())
		return pgv_real.PQconnectdb(conninfo);
	pgv_request_conninfo(&req, conninfo);
	return CONNECT(req, pgv_real.PQconnectdb(conninfo), PQconnectdbParams);
}

PGconn *PQconnectStart(const char *conninfo)
{
	struct pgv_request req;

	if (pgv_shim_nested())
		return pgv_real.PQconnectStart(conninfo);
	pgv_request_conninfo(&req, conninfo);
	return CONNECT(req, pgv_real.PQconnectStart(conninfo),
		       PQconnectStartParams);
}

PGconn *PQconnectdbParams(const char *const *keywords,
			  const char *const *values, int expand_dbname)
{
	struct pgv_request req;

	if (pgv_shim_nested())
		return pgv_real.PQconnectdbParams(keywords, values,
						  expand_dbname);
	pgv_request_params(&req, keywords, values, expand_dbname);
	return CONNECT(
	    req, pgv_real.PQconnectdbParams(keywords, values, expand_dbname),
	    PQconnectdbParams);
}

PGconn *PQconnectStartParams(const char *const *keywords,
			     const char *const *values, int expand_dbname)
{
	struct pgv_request req;

	if (pgv_shim_nested())
		return pgv_real.PQconnectStartParams(keywords, values,
						     expand_dbname);
	pgv_request_params(&req, keywords, values, expand_dbname);
	return CONNECT(
	    req, pgv_real.PQconnectStartParams(keywords, values, expand_dbname),
	    PQconnectStartParams);
}

PGconn *PQsetdbLogin(const char *pghost, const char *pgport,
		     const char *pgoptions, const char *pgtty,
		     const char *dbName, const char *login, const char *pwd)
{
	struct pgv_request req;

	if (pgv_shim_nested())
		return pgv_real.PQsetdbLogin(pghost, pgport, pgoptions, pgtty,
					     dbName, login, pwd);
	pgv_request_setdb(&req, pghost, pgport, pgoptions, dbName, login, pwd);
	return CONNECT(req,
		       pgv_real.PQsetdbLogin(pghost, pgport, pgoptions, pgtty,
					     dbName, login, pwd),
		       PQconnectdbParams);
}

/* Ping a request: a refused connection was never attempted. */
#define PING(req, original)                                                    \
	({                                                                     \
		char reason_[REASON_MAX];                                      \
		PGPing ping_ = PQPING_NO_ATTEMPT;                              \
		switch (pgv_shim_route(&(req), reason_, sizeof(reason_))) {    \
		case PGV_ROUTE_ORIGINAL:                                       \
			FORWARD(ping_, original);                              \
			break;                                                 \
		case PGV_ROUTE_REWRITTEN:                                      \
			FORWARD(ping_, pgv_real.PQpingParams(                  \
					   (req).keywords, (req).values,       \
					   (req).expand_dbname));              \
			break;                                                 \
		case PGV_ROUTE_REFUSED:                                        \
			break;                                                 \
		}                                                              \
		pgv_request_free(&(req));                                      \
		ping_;                                                         \
	})

PGPing PQping(const char *conninfo)
{
	struct pgv_request req;

	if (pgv_shim_nested())
		return pgv_real.PQping(conninfo);
	pgv_request_conninfo(&req, conninfo);
	return PING(req, pgv_real.PQping(conninfo));
}

PGPing PQpingParams(const char *const *keywords, const char *const *values,
		    int expand_dbname)
{
	struct pgv_request req;

	if (pgv_shim_nested())
		return pgv_real.PQpingParams(keywords, values, expand_dbname);
	pgv_request_params(&req, keywords, values, expand_dbname);
	return PING(req,
		    pgv_real.PQpingParams(keywords, values, expand_dbname));
}

/*
 * Every connection attempt passes here first, from inside libpq: its
 * connectDBStart() calls PQconnectPoll() through the PLT, so the call binds
 * to this function even when the program started the connection by
 * calling libpq past the hooks above, as a runtime that looks libpq's
 * functions up in libpq itself does (Python's ctypes, for psycopg 3).
 * Such an attempt was never planned: it may go ahead only if its options
 * already are what the policy demands; otherwise it fails here, before its
 * first socket.  Attempts the hooks started (the guard is up) and later
 * polls (past CONNECTION_NEEDED) go straight to libpq.
 */
PostgresPollingStatusType PQconnectPoll(PGconn *conn)
{
	if (conn && !pgv_shim_nested() && PQstatus(conn) == CONNECTION_NEEDED &&
	    pgv_shim_allow_started(conn) < 0)
		return PGRES_POLLING_FAILED;
	return pgv_real.PQconnectPoll(conn);
}
