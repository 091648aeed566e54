/*
 * Translating each libpq entry point into keyword arrays.  Nothing here
 * parses a conninfo string or URI by hand: strings go through libpq's own
 * PQconninfoParse(), arrays are passed on as they are.
 */
#include "request.h"
#include "mask.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Append keyword=value, not copied: both must outlive `r`.  -1 and
 * r->error on failure. */
static int push(struct pgv_request *r, const char *keyword, const char *value)
{
	if (r->n + 2 > r->cap) {
		size_t cap = r->cap ? r->cap * 2 : 16;
		const char **k = realloc(r->keywords, cap * sizeof(*k));
		if (k)
			r->keywords = k;
		const char **v =
		    k ? realloc(r->values, cap * sizeof(*v)) : NULL;
		if (!v) {
			snprintf(r->error, sizeof(r->error), "out of memory");
			return -1;
		}
		r->values = v;
		r->cap = cap;
	}
	r->keywords[r->n] = keyword;
	r->values[r->n] = value;
	r->n++;
	r->keywords[r->n] = NULL;
	r->values[r->n] = NULL;
	return 0;
}

static void init(struct pgv_request *r, const struct pgv_libpq *pq,
		 int expand_dbname)
{
	memset(r, 0, sizeof(*r));
	r->pq = pq;
	r->expand_dbname = expand_dbname;
	push(r, NULL, NULL); /* an empty, terminated array */
	r->n = 0;
}

void pgv_request_params(struct pgv_request *r, const struct pgv_libpq *pq,
			const char *const *keywords, const char *const *values,
			int expand_dbname)
{
	init(r, pq, expand_dbname);
	for (size_t i = 0; keywords && keywords[i]; i++)
		if (push(r, keywords[i], values ? values[i] : NULL) < 0)
			return;
}

/*
 * PQconnectdb(s) and PQconnectdbParams() of the options PQconninfoParse(s)
 * finds are the same connection: both are libpq's parse plus its defaults.
 */
void pgv_request_conninfo(struct pgv_request *r, const struct pgv_libpq *pq,
			  const char *conninfo)
{
	char *msg = NULL;

	init(r, pq, 0);
	r->parsed = pq->conninfo_parse(conninfo ? conninfo : "", &msg);
	if (!r->parsed) {
		snprintf(r->error, sizeof(r->error), "%s",
			 msg ? msg : "out of memory");
		/* libpq's parse errors quote the string, password and all, in
		 * forms no masking can be sure to find: never copied. */
		pgv_cut_libpq_quote(r->error, sizeof(r->error));
		pgv_mask_secrets(r->error, sizeof(r->error));
		pq->freemem(msg);
		return;
	}
	for (PQconninfoOption *o = r->parsed; o->keyword; o++)
		if (o->val && push(r, o->keyword, o->val) < 0)
			return;
}

/*
 * PQsetdbLogin() reads dbName as a conninfo string when it looks like one
 * and lets its other arguments override it; PQconnectdbParams() with
 * expand_dbname and dbname first does exactly that.  Empty arguments are
 * ignored by both.  pgtty has been ignored by libpq since version 14.
 */
void pgv_request_setdb(struct pgv_request *r, const struct pgv_libpq *pq,
		       const char *host, const char *port, const char *options,
		       const char *dbname, const char *user,
		       const char *password)
{
	const char *const kw[] = {"dbname",  "host", "port",
				  "options", "user", "password"};
	const char *const val[] = {dbname, host, port, options, user, password};

	init(r, pq, 1);
	for (size_t i = 0; i < sizeof(kw) / sizeof(*kw); i++)
		if (val[i] && push(r, kw[i], val[i]) < 0)
			return;
}

void pgv_request_free(struct pgv_request *r)
{
	free(r->keywords);
	free(r->values);
	if (r->parsed)
		r->pq->conninfo_free(r->parsed);
	memset(r, 0, sizeof(*r));
}
