/*
 * The interposed functions: libpq's connection entry points and dlmopen().
 * Each exported function is one line over a named static one.  The static
 * ones are also what libpq's own symbol table is pointed at (bind.c), so
 * every route into libpq runs this code: each call becomes a request,
 * pgverify decides (shim.c), and the call is forwarded untouched, forwarded
 * rewritten to its *Params twin, or refused.
 */
#include "bind.h"
#include "log.h"
#include "real.h"
#include "request.h"
#include "shim.h"

#include <dlfcn.h>
#include <stdio.h>

/* One call as the program made it: enough to repeat it untouched. */
struct call {
	enum entry {
		CONNECTDB,
		CONNECTDB_PARAMS,
		CONNECT_START,
		CONNECT_START_PARAMS,
		SETDB_LOGIN,
		PING,
		PING_PARAMS
	} entry;
	const char *conninfo;
	const char *const *keywords;
	const char *const *values;
	int expand_dbname;
	const char *host, *port, *options, *tty, *dbname, *login, *pwd;
};

/* The argument by which libpq's internal call from this entry point to
 * another (PQconnectdb to PQconnectStart, ...) is recognised. */
static const void *identity(const struct call *c)
{
	return c->entry == SETDB_LOGIN ? NULL
	       : c->conninfo		? (const void *)c->conninfo
					: (const void *)c->keywords;
}

static void request_of(const struct call *c, struct pgv_request *req)
{
	if (c->entry == SETDB_LOGIN)
		pgv_request_setdb(req, c->host, c->port, c->options, c->dbname,
				  c->login, c->pwd);
	else if (c->entry == CONNECTDB || c->entry == CONNECT_START ||
		 c->entry == PING)
		pgv_request_conninfo(req, c->conninfo);
	else
		pgv_request_params(req, c->keywords, c->values,
				   c->expand_dbname);
}

static PGconn *connect_original(const struct call *c)
{
	switch (c->entry) {
	case CONNECTDB:
		return pgv_real.PQconnectdb(c->conninfo);
	case CONNECT_START:
		return pgv_real.PQconnectStart(c->conninfo);
	case CONNECTDB_PARAMS:
		return pgv_real.PQconnectdbParams(c->keywords, c->values,
						  c->expand_dbname);
	case CONNECT_START_PARAMS:
		return pgv_real.PQconnectStartParams(c->keywords, c->values,
						     c->expand_dbname);
	case SETDB_LOGIN:
		return pgv_real.PQsetdbLogin(c->host, c->port, c->options,
					     c->tty, c->dbname, c->login,
					     c->pwd);
	default:
		return NULL;
	}
}

static PGconn *connect_rewritten(const struct call *c,
				 const struct pgv_request *req)
{
	if (c->entry == CONNECT_START || c->entry == CONNECT_START_PARAMS)
		return pgv_real.PQconnectStartParams(
		    req->keywords, req->values, req->expand_dbname);
	return pgv_real.PQconnectdbParams(req->keywords, req->values,
					  req->expand_dbname);
}

static PGconn *connect_call(const struct call *c)
{
	struct pgv_request req;
	struct pgv_shim_call sc;
	PGconn *conn = NULL;

	if (pgv_shim_is_forwarded(identity(c)))
		return connect_original(c);
	request_of(c, &req);
	switch (pgv_shim_begin(&sc, &req)) {
	case PGV_ROUTE_ORIGINAL:
		pgv_shim_forwarding(&sc, identity(c));
		conn = connect_original(c);
		break;
	case PGV_ROUTE_REWRITTEN:
		pgv_shim_forwarding(&sc, req.keywords);
		conn = connect_rewritten(c, &req);
		break;
	case PGV_ROUTE_REFUSED:
		conn = pgv_shim_refused(sc.reason);
		break;
	}
	pgv_shim_end(&sc);
	pgv_request_free(&req);
	return conn;
}

/* A refused ping was never attempted: PQPING_NO_ATTEMPT. */
static PGPing ping_call(const struct call *c)
{
	struct pgv_request req;
	struct pgv_shim_call sc;
	PGPing ping = PQPING_NO_ATTEMPT;

	if (pgv_shim_is_forwarded(identity(c)))
		return c->conninfo ? pgv_real.PQping(c->conninfo)
				   : pgv_real.PQpingParams(c->keywords,
							   c->values,
							   c->expand_dbname);
	request_of(c, &req);
	switch (pgv_shim_begin(&sc, &req)) {
	case PGV_ROUTE_ORIGINAL:
		pgv_shim_forwarding(&sc, identity(c));
		ping = c->conninfo ? pgv_real.PQping(c->conninfo)
				   : pgv_real.PQpingParams(c->keywords,
							   c->values,
							   c->expand_dbname);
		break;
	case PGV_ROUTE_REWRITTEN:
		pgv_shim_forwarding(&sc, req.keywords);
		ping = pgv_real.PQpingParams(req.keywords, req.values,
					     req.expand_dbname);
		break;
	case PGV_ROUTE_REFUSED:
		break;
	}
	pgv_shim_end(&sc);
	pgv_request_free(&req);
	return ping;
}

static PGconn *connectdb(const char *conninfo)
{
	return connect_call(&(struct call){.entry = CONNECTDB,
					   .conninfo = conninfo});
}

static PGconn *connect_start(const char *conninfo)
{
	return connect_call(&(struct call){.entry = CONNECT_START,
					   .conninfo = conninfo});
}

static PGconn *connectdb_params(const char *const *keywords,
				const char *const *values, int expand_dbname)
{
	return connect_call(&(struct call){.entry = CONNECTDB_PARAMS,
					   .keywords = keywords,
					   .values = values,
					   .expand_dbname = expand_dbname});
}

static PGconn *connect_start_params(const char *const *keywords,
				    const char *const *values,
				    int expand_dbname)
{
	return connect_call(&(struct call){.entry = CONNECT_START_PARAMS,
					   .keywords = keywords,
					   .values = values,
					   .expand_dbname = expand_dbname});
}

static PGconn *setdb_login(const char *pghost, const char *pgport,
			   const char *pgoptions, const char *pgtty,
			   const char *dbName, const char *login,
			   const char *pwd)
{
	return connect_call(&(struct call){.entry = SETDB_LOGIN,
					   .host = pghost,
					   .port = pgport,
					   .options = pgoptions,
					   .tty = pgtty,
					   .dbname = dbName,
					   .login = login,
					   .pwd = pwd});
}

static PGPing ping(const char *conninfo)
{
	return ping_call(&(struct call){.entry = PING, .conninfo = conninfo});
}

static PGPing ping_params(const char *const *keywords,
			  const char *const *values, int expand_dbname)
{
	return ping_call(&(struct call){.entry = PING_PARAMS,
					.keywords = keywords,
					.values = values,
					.expand_dbname = expand_dbname});
}

/*
 * The backstop: every connection attempt's first poll, from inside libpq
 * (connectDBStart() calls PQconnectPoll() through its PLT in a libpq built
 * without -Bsymbolic-functions) or from the program.  An attempt whose
 * options are not what the policy demands fails here, before its first
 * socket; see pgv_shim_check_started().
 */
static PostgresPollingStatusType connect_poll(PGconn *conn)
{
	if (pgv_shim_check_started(conn) < 0)
		return PGRES_POLLING_FAILED;
	return pgv_real.PQconnectPoll(conn);
}

const struct pgv_hook *pgv_hooks(size_t *n)
{
	static struct pgv_hook hooks[] = {
	    {"PQconnectdb", (void *)connectdb, NULL},
	    {"PQconnectdbParams", (void *)connectdb_params, NULL},
	    {"PQconnectStart", (void *)connect_start, NULL},
	    {"PQconnectStartParams", (void *)connect_start_params, NULL},
	    {"PQsetdbLogin", (void *)setdb_login, NULL},
	    {"PQping", (void *)ping, NULL},
	    {"PQpingParams", (void *)ping_params, NULL},
	    {"PQconnectPoll", (void *)connect_poll, NULL},
	};
	void *real[] = {
	    (void *)pgv_real.PQconnectdb,  (void *)pgv_real.PQconnectdbParams,
	    (void *)pgv_real.PQconnectStart,
	    (void *)pgv_real.PQconnectStartParams,
	    (void *)pgv_real.PQsetdbLogin, (void *)pgv_real.PQping,
	    (void *)pgv_real.PQpingParams, (void *)pgv_real.PQconnectPoll,
	};

	for (size_t i = 0; i < sizeof(hooks) / sizeof(*hooks); i++)
		hooks[i].real = real[i];
	*n = sizeof(hooks) / sizeof(*hooks);
	return hooks;
}

PGconn *PQconnectdb(const char *conninfo)
{
	return connectdb(conninfo);
}

PGconn *PQconnectStart(const char *conninfo)
{
	return connect_start(conninfo);
}

PGconn *PQconnectdbParams(const char *const *keywords,
			  const char *const *values, int expand_dbname)
{
	return connectdb_params(keywords, values, expand_dbname);
}

PGconn *PQconnectStartParams(const char *const *keywords,
			     const char *const *values, int expand_dbname)
{
	return connect_start_params(keywords, values, expand_dbname);
}

PGconn *PQsetdbLogin(const char *pghost, const char *pgport,
		     const char *pgoptions, const char *pgtty,
		     const char *dbName, const char *login, const char *pwd)
{
	return setdb_login(pghost, pgport, pgoptions, pgtty, dbName, login,
			   pwd);
}

PGPing PQping(const char *conninfo)
{
	return ping(conninfo);
}

PGPing PQpingParams(const char *const *keywords, const char *const *values,
		    int expand_dbname)
{
	return ping_params(keywords, values, expand_dbname);
}

PostgresPollingStatusType PQconnectPoll(PGconn *conn)
{
	return connect_poll(conn);
}

/*
 * A libpq loaded into a new namespace has none of the bindings above:
 * pgverify is loaded there too before the handle is handed out, or the
 * handle is refused.
 */
void *dlmopen(Lmid_t lmid, const char *file, int mode)
{
	return pgv_shim_dlmopen(lmid, file, mode);
}
