/*
 * libpq's names as pgverify exports them, and the one path of every hook
 * (a copy's own set in stubs.c, or an exported name found in the global
 * scope): the copy the call is for is found (copies.c) and the call is
 * handed to the engine (engine.h), or refused when there is no copy or no
 * engine.
 */
#include "hooks.h"
#include "copies.h"
#include "engine.h"
#include "log.h"

#include <errno.h>
#include <stdio.h>

/*
 * The copy call `c` is for: its slot's, or for an exported name, the one
 * the caller would have reached without pgverify.  NULL with `err`.
 */
static const struct pgv_libpq *copy_of(const struct pgv_call *c, char *err,
				       size_t errlen)
{
	const struct pgv_libpq *pq;

	pgv_copies_refresh();
	if (c->slot == PGV_SLOT_GLOBAL)
		return pgv_copy_for_caller(c->ret, c->entry, err, errlen);
	if (!(pq = pgv_copy_at(c->slot)))
		snprintf(err, errlen,
			 "this libpq copy could not be bound (see the "
			 "error logged when it was loaded)");
	return pq;
}

/* The copy and the engine for call `c`; NULL for either means the call
 * is refused, and `err` (already logged) says why. */
static const struct pgv_engine *route(const struct pgv_call *c,
				      const struct pgv_libpq **pq, char *err,
				      size_t errlen)
{
	const struct pgv_engine *e = NULL;

	if ((*pq = copy_of(c, err, errlen)))
		e = pgv_engine(err, errlen);
	if (!e) {
		pgv_log(PGV_LOG_WARNING, "refused: %s", err);
		errno = EACCES;
	}
	return e;
}

/* With no copy, a refusal is the NULL libpq gives when it cannot even
 * allocate a PGconn; with a copy but no engine, a refused PGconn. */
PGconn *pgv_hook_connect(const struct pgv_call *c)
{
	char err[1200];
	const struct pgv_libpq *pq;
	const struct pgv_engine *e = route(c, &pq, err, sizeof(err));

	if (e)
		return e->connect(pq, c);
	return pq ? pgv_libpq_refused(pq, err) : NULL;
}

PGPing pgv_hook_ping(const struct pgv_call *c)
{
	char err[1200];
	const struct pgv_libpq *pq;
	const struct pgv_engine *e = route(c, &pq, err, sizeof(err));

	return e ? e->ping(pq, c) : PQPING_NO_ATTEMPT;
}

PostgresPollingStatusType pgv_hook_poll(const struct pgv_call *c)
{
	char err[1200];
	const struct pgv_libpq *pq;
	const struct pgv_engine *e = route(c, &pq, err, sizeof(err));

	if (e)
		return e->poll(pq, c);
	if (pq && c->conn)
		pgv_libpq_set_error(pq, c->conn, err, 0);
	return PGRES_POLLING_FAILED;
}

/*
 * libpq's names in the global scope: a program linked with libpq (or
 * loading it without RTLD_DEEPBIND) binds them here, as pgverify is
 * preloaded or linked ahead of libpq.
 */
#define EXPORTED(piece, k) PQ##piece
PGV_HOOKS(, EXPORTED, 0, PGV_SLOT_GLOBAL)
