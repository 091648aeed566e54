/* Audit records from files, journal exports and gzip'd rotations. */
#include "records.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>

#define SYSLOG_PREFIX "pgverify-audit: "

/* A record is an object the shim wrote: it has a decision and a pid. */
static int is_record(const json_t *r)
{
	return json_is_object(r) &&
	       json_is_string(json_object_get(r, "decision")) &&
	       json_is_integer(json_object_get(r, "pid"));
}

/* The record a line holds, or NULL; `*journal` says the line was another
 * program's journal entry, which is not counted as skipped. */
static json_t *record_of(const char *line, int *other)
{
	json_t *o = json_loads(line, JSON_REJECT_DUPLICATES, NULL);
	const char *msg = json_string_value(json_object_get(o, "MESSAGE"));
	json_t *r = o;

	*other = 0;
	if (msg && strncmp(msg, SYSLOG_PREFIX, strlen(SYSLOG_PREFIX)) == 0) {
		r = json_loads(msg + strlen(SYSLOG_PREFIX),
			       JSON_REJECT_DUPLICATES, NULL);
		json_decref(o);
	} else if (msg) {
		*other = 1;
		json_decref(o);
		return NULL;
	}
	if (!is_record(r)) {
		json_decref(r);
		return NULL;
	}
	return r;
}

/* One line of any length, without its newline; NULL at the end. */
static char *next_line(gzFile f, char **buf, size_t *cap)
{
	size_t n = 0;

	for (;;) {
		if (*cap - n < 2) {
			char *grown = realloc(*buf, *cap ? *cap * 2 : 4096);
			if (!grown)
				return NULL;
			*buf = grown;
			*cap = *cap ? *cap * 2 : 4096;
		}
		if (!gzgets(f, *buf + n, (int)(*cap - n)))
			return n ? *buf : NULL;
		n += strlen(*buf + n);
		if (n && (*buf)[n - 1] == '\n') {
			(*buf)[n - 1] = '\0';
			return *buf;
		}
	}
}

static int read_lines(gzFile f, int (*fn)(const json_t *, void *), void *arg,
		      struct records_count *count)
{
	char *buf = NULL, *line;
	size_t cap = 0;
	int rc = 0, other;

	while (rc == 0 && (line = next_line(f, &buf, &cap))) {
		json_t *r = record_of(line, &other);
		if (r) {
			count->records++;
			rc = fn(r, arg);
		} else if (!other && line[strspn(line, " \t\r")]) {
			count->skipped++;
		}
		json_decref(r);
	}
	free(buf);
	return rc;
}

int records_read(const char *path, int (*fn)(const json_t *, void *), void *arg,
		 struct records_count *count, char *err, size_t errlen)
{
	/* gzip's reader passes a file that is not compressed through as
	 * it is: one path for plain files, rotations and pipes. */
	int fd = strcmp(path, "-") == 0 ? dup(STDIN_FILENO)
					: open(path, O_RDONLY | O_CLOEXEC);
	gzFile f = fd >= 0 ? gzdopen(fd, "rb") : NULL;
	int rc, zerr;
	const char *why;

	if (!f) {
		snprintf(err, errlen, "cannot read %s: %s", path,
			 strerror(fd < 0 ? errno : ENOMEM));
		if (fd >= 0)
			close(fd);
		return -1;
	}
	rc = read_lines(f, fn, arg, count);
	why = gzerror(f, &zerr);
	if (rc < 0)
		snprintf(err, errlen, "out of memory");
	else if (zerr == Z_ERRNO)
		snprintf(err, errlen, "cannot read %s: %s", path,
			 strerror(errno));
	else if (zerr != Z_OK)
		snprintf(err, errlen,
			 "cannot read %s: %s (a cut or damaged gzip file)",
			 path, why);
	gzclose(f);
	return rc < 0 || zerr != Z_OK ? -1 : 0;
}
