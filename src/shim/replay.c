/*
 * libpq's getenv() and fopen(), recorded while a connection is planned and
 * replayed while it is forwarded; see replay.h.
 */
#include "replay.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

/* A service file larger than this is refused rather than recorded. */
#define FILE_MAX (1024 * 1024)

enum kind { ENV, FILE_READ };

struct pgv_replay_entry {
	enum kind kind;
	char *name;  /* variable name or path */
	char *value; /* NULL: unset / could not be opened */
	size_t len;  /* FILE_READ: bytes in value */
	int error;   /* FILE_READ that failed: its errno */
	struct pgv_replay_entry *next;
};

/* The innermost connection being planned or forwarded on this thread;
 * written and read by this thread only. */
static __thread struct pgv_replay *current;

void pgv_replay_begin(struct pgv_replay *r)
{
	r->replaying = 0;
	r->failed = 0;
	r->entries = NULL;
	r->outer = current;
	current = r;
}

void pgv_replay_switch(struct pgv_replay *r)
{
	r->replaying = 1;
}

void pgv_replay_end(struct pgv_replay *r)
{
	struct pgv_replay_entry *e, *next;

	for (e = r->entries; e; e = next) {
		next = e->next;
		if (e->value)
			explicit_bzero(e->value, e->len);
		free(e->value);
		free(e->name);
		free(e);
	}
	r->entries = NULL;
	current = r->outer;
}

static struct pgv_replay_entry *find(const struct pgv_replay *r, enum kind k,
				     const char *name)
{
	for (struct pgv_replay_entry *e = r->entries; e; e = e->next)
		if (e->kind == k && strcmp(e->name, name) == 0)
			return e;
	return NULL;
}

static struct pgv_replay_entry *add(struct pgv_replay *r, enum kind k,
				    const char *name)
{
	struct pgv_replay_entry *e = calloc(1, sizeof(*e));

	if (!e || !(e->name = strdup(name))) {
		free(e);
		r->failed = 1;
		return NULL;
	}
	e->kind = k;
	e->next = r->entries;
	r->entries = e;
	return e;
}

char *pgv_replay_getenv(const char *name)
{
	struct pgv_replay *r = current;
	struct pgv_replay_entry *e;
	const char *v;

	if (!r || !name)
		return getenv(name);
	if ((e = find(r, ENV, name)))
		return e->value;
	if (r->replaying)
		return getenv(name);
	v = getenv(name);
	if (!(e = add(r, ENV, name)))
		return NULL;
	if (v && !(e->value = strdup(v)))
		r->failed = 1;
	e->len = v ? strlen(v) : 0;
	return e->value;
}

/* A stream over recorded bytes; it stays valid until pgv_replay_end(),
 * and libpq closes it before its call returns. */
static FILE *open_recorded(const struct pgv_replay_entry *e)
{
	if (!e->value) {
		errno = e->error;
		return NULL;
	}
	if (e->len == 0)
		return fopen("/dev/null", "r");
	return fmemopen(e->value, e->len, "r");
}

static void slurp(struct pgv_replay *r, struct pgv_replay_entry *e, FILE *f)
{
	size_t cap = 4096;
	char *buf = malloc(cap);

	for (size_t n; buf && (n = fread(buf + e->len, 1, cap - e->len, f));) {
		e->len += n;
		if (e->len < cap)
			continue;
		char *bigger = cap < FILE_MAX ? realloc(buf, cap * 2) : NULL;
		if (!bigger) {
			explicit_bzero(buf, e->len);
			free(buf);
			buf = NULL;
			break;
		}
		buf = bigger;
		cap *= 2;
	}
	if (!buf || ferror(f)) {
		free(buf);
		e->len = 0;
		e->error = EFBIG;
		r->failed = 1;
		return;
	}
	e->value = buf;
}

FILE *pgv_replay_fopen(const char *path, const char *mode)
{
	struct pgv_replay *r = current;
	struct pgv_replay_entry *e;
	FILE *f;

	if (!r || !path || !mode || mode[0] != 'r' || strchr(mode, '+'))
		return fopen(path, mode);
	if ((e = find(r, FILE_READ, path)))
		return open_recorded(e);
	if (r->replaying)
		return fopen(path, mode);
	if (!(e = add(r, FILE_READ, path)))
		return NULL;
	if (!(f = fopen(path, mode))) {
		e->error = errno;
		return NULL;
	}
	slurp(r, e, f);
	fclose(f);
	return open_recorded(e);
}
