/*
 * One libpq file's real functions, and the two things pgverify does to a
 * PGconn of that file: a refused connection made without touching the
 * network, and pgverify's reason in its error message.  Everything is done
 * with that copy's own functions: a PGconn made by one libpq never
 * reaches another.
 */
#include "real.h"
#include "dyntab.h"

#include <malloc.h>
#include <stdio.h>
#include <string.h>

static void *find(const struct pgv_elf *obj, const char *name)
{
	const ElfW(Sym) *sym = pgv_elf_lookup(obj, name);

	return sym ? (void *)(obj->base + sym->st_value) : NULL;
}

int pgv_libpq_resolve(struct pgv_libpq *pq, const struct pgv_elf *obj,
		      char *err, size_t errlen)
{
	static const struct {
		const char *name;
		size_t offset;
	} fns[] = {
#define FN(member, name) {name, offsetof(struct pgv_libpq, member)}
	    FN(connectdb, "PQconnectdb"),
	    FN(connectdb_params, "PQconnectdbParams"),
	    FN(connect_start, "PQconnectStart"),
	    FN(connect_start_params, "PQconnectStartParams"),
	    FN(setdb_login, "PQsetdbLogin"),
	    FN(ping, "PQping"),
	    FN(ping_params, "PQpingParams"),
	    FN(connect_poll, "PQconnectPoll"),
	    FN(conninfo, "PQconninfo"),
	    FN(conninfo_parse, "PQconninfoParse"),
	    FN(conninfo_free, "PQconninfoFree"),
	    FN(freemem, "PQfreemem"),
	    FN(status, "PQstatus"),
	    FN(error_message, "PQerrorMessage"),
	    FN(finish, "PQfinish"),
	    FN(lib_version, "PQlibVersion"),
	    FN(host, "PQhost"),
	    FN(ssl_in_use, "PQsslInUse"),
	    FN(ssl_struct, "PQsslStruct"),
#undef FN
	};

	for (size_t i = 0; i < sizeof(fns) / sizeof(*fns); i++) {
		void *fn = find(obj, fns[i].name);
		if (!fn) {
			snprintf(err, errlen, "%s does not define %s",
				 obj->name, fns[i].name);
			return -1;
		}
		memcpy((char *)pq + fns[i].offset, &fn, sizeof(fn));
	}
	pq->append_buffer =
	    (void (*)(void *, const char *))find(obj, "appendPQExpBufferStr");
	pq->reset_buffer = (void (*)(void *))find(obj, "resetPQExpBuffer");
	pq->version = pq->lib_version();
	return 0;
}

/* libpq's PQExpBufferData, which PQerrorMessage() returns the data of. */
struct expbuf {
	char *data;
	size_t len, maxlen;
};

/*
 * From a PGconn libpq failed without connecting: the word that holds
 * PQerrorMessage()'s pointer, followed by its length.
 */
void pgv_libpq_find_error(struct pgv_libpq *pq)
{
	const char *kw[] = {"pgverify-no-such-option", NULL};
	const char *val[] = {"x", NULL}; /* empty values are skipped */
	PGconn *c = pq->connect_start_params(kw, val, 0);
	const char *msg = c ? pq->error_message(c) : NULL;
	size_t size = c ? malloc_usable_size(c) : 0;

	for (size_t off = 0; msg && *msg && off + sizeof(struct expbuf) <= size;
	     off += sizeof(void *)) {
		const struct expbuf *b = (const void *)((const char *)c + off);
		if (b->data == msg && b->len == strlen(msg)) {
			pq->error_offset = off;
			break;
		}
	}
	pq->finish(c);
}

/* conn's error buffer, once found and only while it is the one
 * PQerrorMessage() returns; else NULL. */
static struct expbuf *error_buffer(const struct pgv_libpq *pq, PGconn *conn)
{
	struct expbuf *b =
	    pq->error_offset ? (void *)((char *)conn + pq->error_offset) : NULL;

	return b && pq->append_buffer && b->data == pq->error_message(conn)
		   ? b
		   : NULL;
}

void pgv_libpq_append_error(const struct pgv_libpq *pq, PGconn *conn,
			    const char *text)
{
	struct expbuf *b = error_buffer(pq, conn);

	if (b)
		pq->append_buffer(b, text);
}

void pgv_libpq_set_error(const struct pgv_libpq *pq, PGconn *conn,
			 const char *reason, int replace)
{
	char msg[2200];
	struct expbuf *b = error_buffer(pq, conn);

	if (!b || (replace && !pq->reset_buffer))
		return;
	if (replace)
		pq->reset_buffer(b);
	snprintf(msg, sizeof(msg), "pgverify refused this connection: %s\n",
		 reason);
	pq->append_buffer(b, msg);
}

/*
 * libpq has no public way to make a failed PGconn, so one is made from an
 * unknown keyword, which libpq rejects in option parsing before anything
 * else.  Its message ("invalid connection option ...") is then replaced by
 * the reason alone; where the buffer is unknown, the keyword itself is the
 * reason, so the message still says it.
 */
PGconn *pgv_libpq_refused(const struct pgv_libpq *pq, const char *reason)
{
	char keyword[2100];
	const char *kw[] = {keyword, NULL};
	const char *val[] = {"refused", NULL};
	PGconn *conn;

	snprintf(keyword, sizeof(keyword),
		 "pgverify refused this connection: %s", reason);
	conn = pq->connect_start_params(kw, val, 0);
	if (conn)
		pgv_libpq_set_error(pq, conn, reason, 1);
	return conn;
}
