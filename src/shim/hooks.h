/*
 * The interposed functions.  Each libpq copy of the process has its own
 * set (stubs.c, one per slot of copies.c), which its symbol table and the
 * GOT slots bound to it are pointed at; the exported libpq names
 * (hooks.c) serve callers that find them in the global scope.  Every one
 * of them turns its arguments into a `struct pgv_call` and ends here.
 */
#ifndef PGV_HOOKS_H
#define PGV_HOOKS_H

#include <libpq-fe.h>

/* In this order in every table of hooks (stubs.c, copies.c). */
enum pgv_entry {
	PGV_CONNECTDB,
	PGV_CONNECTDB_PARAMS,
	PGV_CONNECT_START,
	PGV_CONNECT_START_PARAMS,
	PGV_SETDB_LOGIN,
	PGV_PING,
	PGV_PING_PARAMS,
	PGV_CONNECT_POLL,
	PGV_NHOOKS
};

/* A call reached through the global scope, not through a copy's table:
 * its copy is the one its caller would have bound (copies.c). */
#define PGV_SLOT_GLOBAL (-1)

/* One call as the program made it: enough to repeat it untouched. */
struct pgv_call {
	enum pgv_entry entry;
	int slot; /* the copy's slot in copies.c, or PGV_SLOT_GLOBAL */
	const char *conninfo;
	const char *const *keywords;
	const char *const *values;
	int expand_dbname;
	const char *host, *port, *options, *tty, *dbname, *login, *pwd;
	PGconn *conn;	 /* PQconnectPoll() */
	const void *ret; /* the return address: who called */
};

PGconn *pgv_hook_connect(const struct pgv_call *c);
PGPing pgv_hook_ping(const struct pgv_call *c);
PostgresPollingStatusType pgv_hook_poll(const struct pgv_call *c);

/*
 * The eight hooks of one table, each one call into pgv_hook_*() with its
 * entry, `SLOT` and the caller's return address.  NAME(piece, k) names
 * them: PQ##piece for the exported names (hooks.c), piece##_##k for a
 * copy's set (stubs.c); one definition serves both.
 */
#define PGV_CALL(RUN, ENTRY, SLOT, ...)                                        \
	return RUN(&(struct pgv_call){.entry = (ENTRY),                        \
				      .slot = (SLOT),                          \
				      .ret = __builtin_return_address(0),      \
				      __VA_ARGS__})
#define PGV_HOOKS(LINKAGE, NAME, k, SLOT)                                      \
	LINKAGE PGconn *NAME(connectdb, k)(const char *ci)                     \
	{                                                                      \
		PGV_CALL(pgv_hook_connect, PGV_CONNECTDB, SLOT,                \
			 .conninfo = ci);                                      \
	}                                                                      \
	LINKAGE PGconn *NAME(connectdbParams, k)(                              \
	    const char *const *kw, const char *const *val, int x)              \
	{                                                                      \
		PGV_CALL(pgv_hook_connect, PGV_CONNECTDB_PARAMS, SLOT,         \
			 .keywords = kw, .values = val, .expand_dbname = x);   \
	}                                                                      \
	LINKAGE PGconn *NAME(connectStart, k)(const char *ci)                  \
	{                                                                      \
		PGV_CALL(pgv_hook_connect, PGV_CONNECT_START, SLOT,            \
			 .conninfo = ci);                                      \
	}                                                                      \
	LINKAGE PGconn *NAME(connectStartParams, k)(                           \
	    const char *const *kw, const char *const *val, int x)              \
	{                                                                      \
		PGV_CALL(pgv_hook_connect, PGV_CONNECT_START_PARAMS, SLOT,     \
			 .keywords = kw, .values = val, .expand_dbname = x);   \
	}                                                                      \
	LINKAGE PGconn *NAME(setdbLogin, k)(                                   \
	    const char *h, const char *p, const char *o, const char *t,        \
	    const char *d, const char *l, const char *w)                       \
	{                                                                      \
		PGV_CALL(pgv_hook_connect, PGV_SETDB_LOGIN, SLOT, .host = h,   \
			 .port = p, .options = o, .tty = t, .dbname = d,       \
			 .login = l, .pwd = w);                                \
	}                                                                      \
	LINKAGE PGPing NAME(ping, k)(const char *ci)                           \
	{                                                                      \
		PGV_CALL(pgv_hook_ping, PGV_PING, SLOT, .conninfo = ci);       \
	}                                                                      \
	LINKAGE PGPing NAME(pingParams, k)(const char *const *kw,              \
					   const char *const *val, int x)      \
	{                                                                      \
		PGV_CALL(pgv_hook_ping, PGV_PING_PARAMS, SLOT, .keywords = kw, \
			 .values = val, .expand_dbname = x);                   \
	}                                                                      \
	LINKAGE PostgresPollingStatusType NAME(connectPoll, k)(PGconn * c)     \
	{                                                                      \
		PGV_CALL(pgv_hook_poll, PGV_CONNECT_POLL, SLOT, .conn = c);    \
	}

/* Slots for libpq copies per namespace; one more set of hooks refuses
 * everything, for copies that cannot have a slot. */
#define PGV_COPIES_MAX	 8
#define PGV_SLOT_UNBOUND PGV_COPIES_MAX

/* stubs.c: each slot's hooks, in enum pgv_entry's order, and their
 * libpq names. */
extern const void *const pgv_stubs[PGV_COPIES_MAX + 1][PGV_NHOOKS];
extern const char *const pgv_hook_names[PGV_NHOOKS];

#endif
