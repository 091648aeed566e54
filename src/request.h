/*
 * One connection request, whatever entry point it came through, as the
 * keyword/value arrays of PQconnectdbParams().  Enforced keywords are
 * appended after everything the program gave, so they win.
 */
#ifndef PGV_REQUEST_H
#define PGV_REQUEST_H

#include "pgverify.h"

#include <libpq-fe.h>
#include <stddef.h>

struct pgv_request {
	const char **keywords; /* NULL-terminated, parallel to values */
	const char **values;
	size_t n, cap;
	int expand_dbname;
	PQconninfoOption *parsed; /* owns the strings of a parsed conninfo */
	char **owned;		  /* appended values, owned */
	size_t nowned;
	char error[512]; /* non-empty: the options could not be read */
	const char
	    *caller; /* the file of the code that called libpq, or NULL */
};

void pgv_request_params(struct pgv_request *r, const char *const *keywords,
			const char *const *values, int expand_dbname);
void pgv_request_conninfo(struct pgv_request *r, const char *conninfo);
void pgv_request_setdb(struct pgv_request *r, const char *host,
		       const char *port, const char *options,
		       const char *dbname, const char *user,
		       const char *password);

/* Append keyword=value, not copied: both must outlive `r`.  -1 and
 * r->error on failure. */
int pgv_request_push(struct pgv_request *r, const char *keyword,
		     const char *value);

/* Append keyword=value (the value is copied).  -1 and r->error on failure. */
int pgv_request_append(struct pgv_request *r, const char *keyword,
		       const char *value);

void pgv_request_free(struct pgv_request *r);

#endif
