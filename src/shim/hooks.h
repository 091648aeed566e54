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

/* Slots for libpq copies per namespace; one more set of hooks refuses
 * everything, for copies that cannot have a slot. */
#define PGV_COPIES_MAX	 8
#define PGV_SLOT_UNBOUND PGV_COPIES_MAX

/* stubs.c: each slot's hooks, in enum pgv_entry's order, and their
 * libpq names. */
extern const void *const pgv_stubs[PGV_COPIES_MAX + 1][PGV_NHOOKS];
extern const char *const pgv_hook_names[PGV_NHOOKS];

#endif
