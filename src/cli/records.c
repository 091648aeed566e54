/*
 * Reading audit records back: the shim's JSON lines (a file, rotated and
 * gzipped or not) and the journal's export of audit = "syslog".  zlib's
 * gzopen() reads plain files as they are, so there is one path for both.
 */
#include "records.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>

/* What the shim puts before a record it sends to syslog. */
#define SYSLOG_PREFIX "pgverify-audit: "

/* A record is about a kilobyte, a journal entry a few: a longer line is
 * neither, and is not held whole in memory. */
#define MAX_LINE (1024 * 1024)

struct reader {
	gzFile f;
	char *buf;
	size_t cap;
	int cut; /* the line in buf was longer than MAX_LINE */
};

static int open_reader(struct reader *r, const char *path, char *err,
		       size_t errlen)
{
	int fd = strcmp(path, "-") == 0 ? dup(STDIN_FILENO) : -2;

	memset(r, 0, sizeof(*r));
	errno = 0;
	if (fd == -2)
		r->f = gzopen(path, "rbe");
	else if (fd >= 0 && !(r->f = gzdopen(fd, "rb")))
		close(fd);
	if (!r->f)
		snprintf(err, errlen, "cannot read %s: %s", path,
			 errno ? strerror(errno) : "out of memory");
	return r->f ? 0 : -1;
}

/* Room for at least two more bytes after `len`: 0, 1 past MAX_LINE, -1
 * out of memory. */
static int grow(struct reader *r, size_t len)
{
	size_t cap = r->cap ? r->cap * 2 : 4096;
	char *buf;

	if (r->cap - len >= 2)
		return 0;
	if (cap > MAX_LINE)
		return 1;
	if (!(buf = realloc(r->buf, cap)))
		return -1;
	r->buf = buf;
	r->cap = cap;
	return 0;
}

/*
 * The next line into r->buf, without its newline: 1, 0 at the end of the
 * file, -1 out of memory.  A line that does not fit in MAX_LINE is read to
 * its end and kept cut, with r->cut set.
 */
static int next_line(struct reader *r)
{
	size_t len = 0;
	int room;

	r->cut = 0;
	for (;;) {
		if ((room = grow(r, len)) < 0)
			return -1;
		if (room > 0) {
			r->cut = 1;
			len = 0; /* read the rest over the start */
		}
		if (!gzgets(r->f, r->buf + len, (int)(r->cap - len)))
			return len > 0 || r->cut;
		len += strlen(r->buf + len);
		if (len > 0 && r->buf[len - 1] == '\n') {
			r->buf[len - 1] = '\0';
			return 1;
		}
	}
}

/* A journal field as text: journalctl gives a string, or an array of
 * bytes when the value is not printable UTF-8.  NULL for anything else;
 * free() it. */
static char *field_text(const json_t *v)
{
	size_t i, n = json_array_size(v);
	json_t *b;
	char *s;

	if (json_is_string(v))
		return strdup(json_string_value(v));
	if (!json_is_array(v) || !(s = malloc(n + 1)))
		return NULL;
	json_array_foreach(v, i, b)
	{
		json_int_t c = json_integer_value(b);
		if (!json_is_integer(b) || c < 1 || c > 255) {
			free(s);
			return NULL;
		}
		s[i] = (char)c;
	}
	s[n] = '\0';
	return s;
}

static int is_record(const json_t *r)
{
	return json_is_object(r) &&
	       json_is_string(json_object_get(r, "decision")) &&
	       json_is_integer(json_object_get(r, "pid"));
}

/*
 * The record a line holds (a new reference), or NULL.  *other says the
 * line is another program's journal entry, which is no fault of the file.
 */
static json_t *record_of(const char *line, int *other)
{
	json_t *o = json_loads(line, JSON_REJECT_DUPLICATES, NULL);
	json_t *msg = json_object_get(o, "MESSAGE");
	json_t *r = o;
	char *text;

	*other = 0;
	if (msg) {
		text = field_text(msg);
		*other = !text || strncmp(text, SYSLOG_PREFIX,
					  strlen(SYSLOG_PREFIX)) != 0;
		r = *other ? NULL
			   : json_loads(text + strlen(SYSLOG_PREFIX),
					JSON_REJECT_DUPLICATES, NULL);
		free(text);
		json_decref(o);
	}
	if (r && !is_record(r)) {
		json_decref(r);
		r = NULL;
	}
	return r;
}

static int one_line(const struct reader *r, records_fn each, void *arg,
		    long *skipped)
{
	int other = 0, rc = 0;
	json_t *rec;

	if (!r->cut && r->buf[strspn(r->buf, " \t\r")] == '\0')
		return 0; /* a blank line */
	rec = r->cut ? NULL : record_of(r->buf, &other);
	if (rec)
		rc = each(rec, arg);
	else if (!other && skipped)
		++*skipped;
	json_decref(rec);
	return rc;
}

int records_read(const char *path, records_fn each, void *arg, long *skipped,
		 char *err, size_t errlen)
{
	struct reader r;
	int rc = 0, got = 0, zerr = Z_OK;

	if (open_reader(&r, path, err, errlen) < 0)
		return -1;
	while (rc == 0 && (got = next_line(&r)) > 0)
		rc = one_line(&r, each, arg, skipped);
	gzerror(r.f, &zerr);
	if (rc == 0 && got < 0) {
		snprintf(err, errlen, "cannot read %s: out of memory", path);
		rc = -1;
	} else if (rc == 0 && zerr != Z_OK) {
		/* zlib's message names the file again; the cause is enough. */
		snprintf(
		    err, errlen, "cannot read %s: %s", path,
		    zerr == Z_ERRNO ? strerror(errno)
		    : zerr == Z_BUF_ERROR
			? "unexpected end of file (a cut or damaged gzip file)"
			: "damaged gzip data (a cut or damaged gzip file)");
		rc = -1;
	}
	gzclose(r.f);
	free(r.buf);
	return rc;
}
