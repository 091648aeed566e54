/*
 * One libpq file of the process, as pgverify calls it: its real functions,
 * read from its own symbol table, never from a lookup that could land in
 * pgverify or in another copy.  A process may hold several (the system's,
 * a wheel's renamed copy, one per dlmopen() namespace); each connection is
 * planned, forwarded and refused with the functions of the copy its caller
 * would have reached (doc/interception.md).
 */
#ifndef PGV_REAL_H
#define PGV_REAL_H

#include <libpq-fe.h>
#include <stddef.h>

struct link_map;
struct pgv_elf;

struct pgv_libpq {
	const char *path; /* the file, for messages and `pgverify status` */
	const struct link_map *lm;
	/* The interposed functions, in hooks.c's order. */
	__typeof__(PQconnectdb) *connectdb;
	__typeof__(PQconnectdbParams) *connectdb_params;
	__typeof__(PQconnectStart) *connect_start;
	__typeof__(PQconnectStartParams) *connect_start_params;
	__typeof__(PQsetdbLogin) *setdb_login;
	__typeof__(PQping) *ping;
	__typeof__(PQpingParams) *ping_params;
	__typeof__(PQconnectPoll) *connect_poll;
	/* What the plan, the backstop and the audit record read. */
	__typeof__(PQconninfo) *conninfo;
	__typeof__(PQconninfoParse) *conninfo_parse;
	__typeof__(PQconninfoFree) *conninfo_free;
	__typeof__(PQfreemem) *freemem;
	__typeof__(PQstatus) *status;
	__typeof__(PQerrorMessage) *error_message;
	__typeof__(PQfinish) *finish;
	__typeof__(PQlibVersion) *lib_version;
	__typeof__(PQhost) *host;
	__typeof__(PQsslInUse) *ssl_in_use;
	__typeof__(PQsslStruct) *ssl_struct;
	/* Optional (libpq exports them, not as API): to put pgverify's
	 * reason into a PGconn's error message. */
	void (*append_buffer)(void *buf, const char *str);
	void (*reset_buffer)(void *buf);
	/* Where a PGconn keeps its error message (pgv_libpq_find_error());
	 * 0: unknown, so no message is added, never a different answer. */
	size_t error_offset;
	int version; /* PQlibVersion() */
};

/*
 * Fill `pq` from the symbol table of the loaded object `obj` (before
 * pgverify redirects any of its symbols).  0, or -1 naming the first
 * missing function in `err`.
 */
int pgv_libpq_resolve(struct pgv_libpq *pq, const struct pgv_elf *obj,
		      char *err, size_t errlen);

/* Learn where `pq`'s PGconn keeps its error message (error_offset). */
void pgv_libpq_find_error(struct pgv_libpq *pq);

/*
 * Put "pgverify refused this connection: REASON" in conn's error message:
 * appended to what libpq said, or (replace) instead of it.  Nothing when
 * the buffer is unknown.
 */
void pgv_libpq_set_error(const struct pgv_libpq *pq, PGconn *conn,
			 const char *reason, int replace);

/* Append `text` to conn's error message (nothing when its buffer is
 * unknown). */
void pgv_libpq_append_error(const struct pgv_libpq *pq, PGconn *conn,
			    const char *text);

/*
 * A PGconn of `pq` in CONNECTION_BAD whose message carries `reason`, made
 * without touching the network.
 */
PGconn *pgv_libpq_refused(const struct pgv_libpq *pq, const char *reason);

/* The libpq a program links (the command, tests): src/cli/linked.c. */
const struct pgv_libpq *pgv_libpq_linked(void);

#endif
