/*
 * One connection request, whatever entry point it came through, as the
 * keyword/value arrays of PQconnectdbParams().  Built once and never
 * changed: the merge and the plan make arrays of their own.
 */
#ifndef PGV_REQUEST_H
#define PGV_REQUEST_H

#include "core.h"

#include "real.h"

#include <libpq-fe.h>
#include <stddef.h>

struct pgv_request {
	const struct pgv_libpq *pq; /* the copy the call goes to */
	const char **keywords;	    /* NULL-terminated, parallel to values */
	const char **values;
	size_t n, cap;
	int expand_dbname;
	PQconninfoOption *parsed; /* owns the strings of a parsed conninfo */
	char error[512];	  /* non-empty: the options could not be read */
	const char
	    *caller; /* the file of the code that called libpq, or NULL */
};

void pgv_request_params(struct pgv_request *r, const struct pgv_libpq *pq,
			const char *const *keywords, const char *const *values,
			int expand_dbname);
void pgv_request_conninfo(struct pgv_request *r, const struct pgv_libpq *pq,
			  const char *conninfo);
void pgv_request_setdb(struct pgv_request *r, const struct pgv_libpq *pq,
		       const char *host, const char *port, const char *options,
		       const char *dbname, const char *user,
		       const char *password);

void pgv_request_free(struct pgv_request *r);

#endif
