/*
 * pgverify's engine: one call through a hook, for the libpq copy it is
 * meant for (the library found it: hooks.c, copies.c).  The call becomes
 * a request, pgverify decides (shim.c), and the call is forwarded to that
 * copy untouched, forwarded rewritten to its *Params twin, or refused.
 * Loaded by the library with the first libpq copy it binds (engine.h).
 */
#include "engine.h"
#include "request.h"
#include "shim.h"

#include <dlfcn.h>
#include <errno.h> /* program_invocation_short_name */
#include <stdio.h>
#include <string.h>

/* The argument by which libpq's internal call from this entry point to
 * another (PQconnectdb to PQconnectStart, ...) is recognised. */
static const void *identity(const struct pgv_call *c)
{
	return c->entry == PGV_SETDB_LOGIN ? NULL
	       : c->conninfo		   ? (const void *)c->conninfo
					   : (const void *)c->keywords;
}

/*
 * The file of the code that made call `c` (psql, psqlodbcw.so, _psycopg),
 * which messages name.  NULL when that is libpq itself (its PQconnectdb()
 * calling PQconnectStart() for a program that called past pgverify).
 */
static const char *caller_of(const struct pgv_call *c,
			     const struct pgv_libpq *pq)
{
	Dl_info at, pq_at;
	const char *name;

	if (!dladdr(c->ret, &at) || !at.dli_fname)
		return NULL;
	if (dladdr((void *)pq->connectdb, &pq_at) &&
	    pq_at.dli_fbase == at.dli_fbase)
		return NULL;
	/* The main program's file name is empty in the link map. */
	if (!*at.dli_fname)
		return program_invocation_short_name;
	name = strrchr(at.dli_fname, '/');
	return name ? name + 1 : at.dli_fname;
}

static void request_of(const struct pgv_call *c, const struct pgv_libpq *pq,
		       struct pgv_request *req)
{
	if (c->entry == PGV_SETDB_LOGIN)
		pgv_request_setdb(req, pq, c->host, c->port, c->options,
				  c->dbname, c->login, c->pwd);
	else if (c->entry == PGV_CONNECTDB || c->entry == PGV_CONNECT_START ||
		 c->entry == PGV_PING)
		pgv_request_conninfo(req, pq, c->conninfo);
	else
		pgv_request_params(req, pq, c->keywords, c->values,
				   c->expand_dbname);
	req->caller = caller_of(c, pq);
}

static PGconn *connect_original(const struct pgv_libpq *pq,
				const struct pgv_call *c)
{
	switch (c->entry) {
	case PGV_CONNECTDB:
		return pq->connectdb(c->conninfo);
	case PGV_CONNECT_START:
		return pq->connect_start(c->conninfo);
	case PGV_CONNECTDB_PARAMS:
		return pq->connectdb_params(c->keywords, c->values,
					    c->expand_dbname);
	case PGV_CONNECT_START_PARAMS:
		return pq->connect_start_params(c->keywords, c->values,
						c->expand_dbname);
	case PGV_SETDB_LOGIN:
		return pq->setdb_login(c->host, c->port, c->options, c->tty,
				       c->dbname, c->login, c->pwd);
	default:
		return NULL;
	}
}

static PGPing ping_original(const struct pgv_libpq *pq,
			    const struct pgv_call *c)
{
	return c->entry == PGV_PING
		   ? pq->ping(c->conninfo)
		   : pq->ping_params(c->keywords, c->values, c->expand_dbname);
}

static int is_start(const struct pgv_call *c)
{
	return c->entry == PGV_CONNECT_START ||
	       c->entry == PGV_CONNECT_START_PARAMS;
}

/* The call as its *Params twin, with the plan's forwarded options. */
static PGconn *connect_rewritten(const struct pgv_libpq *pq,
				 const struct pgv_call *c,
				 const pgverify_plan *p)
{
	if (is_start(c))
		return pq->connect_start_params(p->keywords, p->values,
						p->expand_dbname);
	return pq->connectdb_params(p->keywords, p->values, p->expand_dbname);
}

static PGconn *connect_call(const struct pgv_libpq *pq,
			    const struct pgv_call *c)
{
	struct pgv_request req;
	struct pgv_shim_call sc;
	PGconn *conn = NULL;

	if (pgv_shim_is_forwarded(identity(c)))
		return connect_original(pq, c);
	request_of(c, pq, &req);
	switch (pgv_shim_begin(&sc, &req)) {
	case PGV_ROUTE_ORIGINAL:
		pgv_shim_forwarding(&sc, identity(c));
		conn = connect_original(pq, c);
		pgv_shim_connected(&sc, conn, is_start(c));
		break;
	case PGV_ROUTE_REWRITTEN:
		pgv_shim_forwarding(&sc, sc.plan.keywords);
		conn = connect_rewritten(pq, c, &sc.plan);
		pgv_shim_connected(&sc, conn, is_start(c));
		break;
	case PGV_ROUTE_REFUSED:
		conn = pgv_libpq_refused(pq, sc.plan.reason);
		break;
	}
	pgv_shim_end(&sc);
	pgv_request_free(&req);
	return conn;
}

/* A refused ping was never attempted: PQPING_NO_ATTEMPT. */
static PGPing ping_call(const struct pgv_libpq *pq, const struct pgv_call *c)
{
	struct pgv_request req;
	struct pgv_shim_call sc;
	PGPing ping = PQPING_NO_ATTEMPT;

	if (pgv_shim_is_forwarded(identity(c)))
		return ping_original(pq, c);
	request_of(c, pq, &req);
	switch (pgv_shim_begin(&sc, &req)) {
	case PGV_ROUTE_ORIGINAL:
		pgv_shim_forwarding(&sc, identity(c));
		ping = ping_original(pq, c);
		pgv_shim_pinged(&sc, ping);
		break;
	case PGV_ROUTE_REWRITTEN:
		pgv_shim_forwarding(&sc, sc.plan.keywords);
		ping = pq->ping_params(sc.plan.keywords, sc.plan.values,
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

/*
 * The backstop: every connection attempt's first poll, from inside libpq
 * (connectDBStart() calls PQconnectPoll() through its PLT in a libpq built
 * without -Bsymbolic-functions) or from the program.  An attempt whose
 * options are not what the policy demands fails here, before its first
 * socket; see pgv_shim_check_started().
 */
static PostgresPollingStatusType poll_call(const struct pgv_libpq *pq,
					   const struct pgv_call *c)
{
	PostgresPollingStatusType st;

	if (pgv_shim_check_started(pq, c->conn) < 0)
		return PGRES_POLLING_FAILED;
	st = pq->connect_poll(c->conn);
	if (st == PGRES_POLLING_OK || st == PGRES_POLLING_FAILED)
		pgv_shim_poll_ended(pq, c->conn);
	return st;
}

__attribute__((visibility("default"))) const struct pgv_engine *
pgv_engine_open(const struct pgv_front *front)
{
	static const struct pgv_engine engine = {connect_call, ping_call,
						 poll_call};

	pgv_shim_open(front);
	return &engine;
}
