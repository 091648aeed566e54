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
#include <errno.h>
#include <stdio.h>
#include <string.h>

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
	const void *ret; /* the return address: who called */
};

/* The argument by which libpq's internal call from this entry point to
 * another (PQconnectdb to PQconnectStart, ...) is recognised. */
static const void *identity(const struct call *c)
{
	return c->entry == SETDB_LOGIN ? NULL
	       : c->conninfo	       ? (const void *)c->conninfo
				       : (const void *)c->keywords;
}

/*
 * The file of the code that made call `c` (psql, psqlodbcw.so, _psycopg),
 * which messages name.  NULL when that is libpq itself (its PQconnectdb()
 * calling PQconnectStart() for a program that called past pgverify).
 */
static const char *caller_of(const struct call *c)
{
	Dl_info at, pq;
	const char *name;

	if (!dladdr(c->ret, &at) || !at.dli_fname)
		return NULL;
	if (dladdr((void *)pgv_libpq.connectdb, &pq) &&
	    pq.dli_fbase == at.dli_fbase)
		return NULL;
	/* The main program's file name is empty in the link map. */
	if (!*at.dli_fname)
		return program_invocation_short_name;
	name = strrchr(at.dli_fname, '/');
	return name ? name + 1 : at.dli_fname;
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
	req->caller = caller_of(c);
}

static PGconn *connect_original(const struct call *c)
{
	switch (c->entry) {
	case CONNECTDB:
		return pgv_libpq.connectdb(c->conninfo);
	case CONNECT_START:
		return pgv_libpq.connect_start(c->conninfo);
	case CONNECTDB_PARAMS:
		return pgv_libpq.connectdb_params(c->keywords, c->values,
						  c->expand_dbname);
	case CONNECT_START_PARAMS:
		return pgv_libpq.connect_start_params(c->keywords, c->values,
						      c->expand_dbname);
	case SETDB_LOGIN:
		return pgv_libpq.setdb_login(c->host, c->port, c->options,
					     c->tty, c->dbname, c->login,
					     c->pwd);
	default:
		return NULL;
	}
}

static int is_start(const struct call *c)
{
	return c->entry == CONNECT_START || c->entry == CONNECT_START_PARAMS;
}

/* The call as its *Params twin, with the plan's forwarded options. */
static PGconn *connect_rewritten(const struct call *c, const pgverify_plan *p)
{
	if (is_start(c))
		return pgv_libpq.connect_start_params(p->keywords, p->values,
						      p->expand_dbname);
	return pgv_libpq.connectdb_params(p->keywords, p->values,
					  p->expand_dbname);
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
		pgv_shim_connected(&sc, conn, is_start(c));
		break;
	case PGV_ROUTE_REWRITTEN:
		pgv_shim_forwarding(&sc, sc.plan.keywords);
		conn = connect_rewritten(c, &sc.plan);
		pgv_shim_connected(&sc, conn, is_start(c));
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
		return c->conninfo
			   ? pgv_libpq.ping(c->conninfo)
			   : pgv_libpq.ping_params(c->keywords, c->values,
						   c->expand_dbname);
	request_of(c, &req);
	switch (pgv_shim_begin(&sc, &req)) {
	case PGV_ROUTE_ORIGINAL:
		pgv_shim_forwarding(&sc, identity(c));
		ping = c->conninfo
			   ? pgv_libpq.ping(c->conninfo)
			   : pgv_libpq.ping_params(c->keywords, c->values,
						   c->expand_dbname);
		pgv_shim_pinged(&sc, ping);
		break;
	case PGV_ROUTE_REWRITTEN:
		pgv_shim_forwarding(&sc, sc.plan.keywords);
		ping = pgv_libpq.ping_params(sc.plan.keywords, sc.plan.values,
					     sc.plan.expand_dbname);
		pgv_shim_pinged(&sc, ping);
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
					   .ret = __builtin_return_address(0),
					   .conninfo = conninfo});
}

static PGconn *connect_start(const char *conninfo)
{
	return connect_call(&(struct call){.entry = CONNECT_START,
					   .ret = __builtin_return_address(0),
					   .conninfo = conninfo});
}

static PGconn *connectdb_params(const char *const *keywords,
				const char *const *values, int expand_dbname)
{
	return connect_call(&(struct call){.entry = CONNECTDB_PARAMS,
					   .ret = __builtin_return_address(0),
					   .keywords = keywords,
					   .values = values,
					   .expand_dbname = expand_dbname});
}

static PGconn *connect_start_params(const char *const *keywords,
				    const char *const *values,
				    int expand_dbname)
{
	return connect_call(&(struct call){.entry = CONNECT_START_PARAMS,
					   .ret = __builtin_return_address(0),
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
					   .ret = __builtin_return_address(0),
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
	return ping_call(&(struct call){.entry = PING,
					.ret = __builtin_return_address(0),
					.conninfo = conninfo});
}

static PGPing ping_params(const char *const *keywords,
			  const char *const *values, int expand_dbname)
{
	return ping_call(&(struct call){.entry = PING_PARAMS,
					.ret = __builtin_return_address(0),
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
	PostgresPollingStatusType st;

	if (pgv_shim_check_started(conn) < 0)
		return PGRES_POLLING_FAILED;
	st = pgv_libpq.connect_poll(conn);
	if (st == PGRES_POLLING_OK || st == PGRES_POLLING_FAILED)
		pgv_shim_poll_ended(conn);
	return st;
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
	    (void *)pgv_libpq.connectdb,
	    (void *)pgv_libpq.connectdb_params,
	    (void *)pgv_libpq.connect_start,
	    (void *)pgv_libpq.connect_start_params,
	    (void *)pgv_libpq.setdb_login,
	    (void *)pgv_libpq.ping,
	    (void *)pgv_libpq.ping_params,
	    (void *)pgv_libpq.connect_poll,
	};

	for (size_t i = 0; i < sizeof(hooks) / sizeof(*hooks); i++)
		hooks[i].real = real[i];
	*n = sizeof(hooks) / sizeof(*hooks);
	return hooks;
}

/*
 * The exported symbols are aliases of the static hooks, not calls to them:
 * whether a program reaches a hook through these or through libpq's own
 * symbol table, the hook's return address is the program's call site.
 */
PGconn *PQconnectdb(const char *conninfo) __attribute__((alias("connectdb")));
PGconn *PQconnectStart(const char *conninfo)
    __attribute__((alias("connect_start")));
PGconn *PQconnectdbParams(const char *const *keywords,
			  const char *const *values, int expand_dbname)
    __attribute__((alias("connectdb_params")));
PGconn *PQconnectStartParams(const char *const *keywords,
			     const char *const *values, int expand_dbname)
    __attribute__((alias("connect_start_params")));
PGconn *PQsetdbLogin(const char *pghost, const char *pgport,
		     const char *pgoptions, const char *pgtty,
		     const char *dbName, const char *login, const char *pwd)
    __attribute__((alias("setdb_login")));
PGPing PQping(const char *conninfo) __attribute__((alias("ping")));
PGPing PQpingParams(const char *const *keywords, const char *const *values,
		    int expand_dbname) __attribute__((alias("ping_params")));
PostgresPollingStatusType PQconnectPoll(PGconn *conn)
    __attribute__((alias("connect_poll")));

/*
 * A libpq loaded into a new namespace has none of the bindings above:
 * pgverify is loaded there too before the handle is handed out, or the
 * handle is refused.
 */
void *dlmopen(Lmid_t lmid, const char *file, int mode)
{
	return pgv_shim_dlmopen(lmid, file, mode);
}
