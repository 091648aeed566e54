/*
 * pgverify bundle --install DEST FILE: replace the CA bundle DEST with FILE,
 * safely.  FILE is first copied next to DEST (so what is checked is what is
 * installed, whatever happens to FILE meanwhile), then every certificate of
 * the copy must parse and be a CA, and at least one must be valid now; the
 * CAs added and removed against the current DEST (by SHA-256 fingerprint)
 * are listed, and the copy is renamed over DEST.  Anything wrong leaves
 * DEST as it was.
 */
#include "cli.h"
#include "json.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

struct ca {
	char subject[256];
	char sha256[96];
	long long not_after;
	int is_ca;
};

struct cas {
	struct ca *v;
	size_t n, cap;
};

static int collect(const pgverify_cert *c, void *arg)
{
	struct cas *l = arg;

	if (l->n == l->cap) {
		size_t cap = l->cap ? 2 * l->cap : 64;
		struct ca *v = realloc(l->v, cap * sizeof(*v));
		if (!v)
			return -1;
		l->v = v;
		l->cap = cap;
	}
	struct ca *e = &l->v[l->n++];
	snprintf(e->subject, sizeof(e->subject), "%s", c->subject);
	snprintf(e->sha256, sizeof(e->sha256), "%s", c->sha256);
	e->not_after = c->not_after;
	e->is_ca = c->is_ca;
	return 0;
}

static int holds(const struct cas *l, const char *sha256)
{
	for (size_t i = 0; i < l->n; i++)
		if (strcmp(l->v[i].sha256, sha256) == 0)
			return 1;
	return 0;
}

/* Copy `src` to a new temporary file beside `dest`; its name in `tmp`. */
static int copy_beside(const char *src, const char *dest, char *tmp, size_t len,
		       char *err, size_t errlen)
{
	char buf[65536];
	ssize_t n = 0;
	int in = open(src, O_RDONLY | O_CLOEXEC), out = -1;

	snprintf(tmp, len, "%s.XXXXXX", dest);
	if (in >= 0)
		out = mkstemp(tmp);
	while (out >= 0 && (n = read(in, buf, sizeof(buf))) > 0)
		if (write(out, buf, (size_t)n) != n)
			n = -1;
	if (in < 0 || out < 0 || n < 0 || fchmod(out, 0644) < 0 ||
	    fsync(out) < 0) {
		snprintf(err, errlen, "cannot copy %s to %s: %s", src, tmp,
			 strerror(errno ? errno : EIO));
		if (out >= 0)
			unlink(tmp);
		n = -1;
	}
	if (in >= 0)
		close(in);
	if (out >= 0 && close(out) < 0)
		n = -1;
	return n < 0 ? -1 : 0;
}

/* Every certificate a CA, one valid now; else -1 with `err`. */
static int vet(const char *src, const struct cas *l, char *err, size_t errlen)
{
	int valid = 0;

	for (size_t i = 0; i < l->n; i++) {
		if (!l->v[i].is_ca) {
			snprintf(err, errlen,
				 "%s: certificate %zu (%s) is not a CA; a CA "
				 "bundle holds CA certificates only",
				 src, i + 1, l->v[i].subject);
			return -1;
		}
		valid += l->v[i].not_after > (long long)time(NULL);
	}
	if (!valid)
		snprintf(err, errlen, "every certificate in %s has expired",
			 src);
	return valid ? 0 : -1;
}

static void list_change(struct json *j, const char *what, const struct ca *c)
{
	if (j) {
		json_open(j, NULL, '{');
		json_str(j, "change", what);
		json_str(j, "subject", c->subject);
		json_str(j, "sha256", c->sha256);
		json_close(j, '}');
	} else {
		printf("  %s %s  %s\n", what[0] == 'a' ? "+" : "-", c->subject,
		       c->sha256);
	}
}

/* Errors about the copy are about the source, to the user. */
static void name_source(char *err, size_t len, const char *tmp, const char *src)
{
	char *at = strstr(err, tmp);
	char rest[1024];

	if (!at)
		return;
	snprintf(rest, sizeof(rest), "%s", at + strlen(tmp));
	*at = '\0';
	snprintf(at, len - (size_t)(at - err), "%s%s", src, rest);
}

/* The first RDS CA that `old` holds and `now` does not, or NULL: a new
 * bundle that drops one would break every client of that CA. */
static const struct ca *dropped_rds(const struct cas *old,
				    const struct cas *now, size_t *n)
{
	const struct ca *first = NULL;

	*n = 0;
	for (size_t i = 0; i < old->n; i++)
		if (strstr(old->v[i].subject, "Amazon RDS") &&
		    !holds(now, old->v[i].sha256)) {
			first = first ? first : &old->v[i];
			(*n)++;
		}
	return first;
}

int bundle_install(const char *dest, const char *src, const char *shown,
		   const struct cli_opts *o)
{
	int json = o->json;
	const struct ca *drop;
	size_t ndrop;
	struct cas now = {0}, old = {0};
	char tmp[4096], err[1024] = "", olderr[1024];
	struct json j;
	int rc = -1, had;

	if (copy_beside(src, dest, tmp, sizeof(tmp), err, sizeof(err)) < 0) {
		fprintf(stderr, "pgverify: %s\n", err);
		return EXIT_REFUSED;
	}
	if (pgverify_bundle_list(tmp, collect, &now, err, sizeof(err)) == 0 &&
	    vet(shown, &now, err, sizeof(err)) == 0)
		rc = 0;
	name_source(err, sizeof(err), tmp, shown);
	had = pgverify_bundle_list(dest, collect, &old, olderr,
				   sizeof(olderr)) == 0;
	if (rc == 0 && !o->force && (drop = dropped_rds(&old, &now, &ndrop))) {
		snprintf(
		    err, sizeof(err),
		    "%s would drop %zu RDS CA%s that %s holds (%s, ...): "
		    "the clients of %s would stop connecting; give --force "
		    "to install it all the same",
		    shown, ndrop, ndrop == 1 ? "" : "s", dest, drop->subject,
		    ndrop == 1 ? "it" : "them");
		rc = -1;
	}
	if (rc == 0 && !o->dry_run && rename(tmp, dest) < 0) {
		snprintf(err, sizeof(err), "cannot replace %s: %s", dest,
			 strerror(errno));
		rc = -1;
	}
	if (rc < 0 || o->dry_run)
		unlink(tmp);
	json_init(&j, stdout);
	if (json) {
		json_open(&j, NULL, '{');
		json_str(&j, "file", dest);
		json_str(&j, "source", shown);
		json_bool(&j, "installed", rc == 0 && !o->dry_run);
		json_bool(&j, "dry_run", o->dry_run);
		json_str(&j, "error", rc ? err : NULL);
		json_int(&j, "certificates", (long long)now.n);
		json_open(&j, "changes", '[');
	} else if (rc < 0) {
		fprintf(stderr, "pgverify: %s; %s is unchanged\n", err, dest);
	} else {
		printf("%s: %s %zu certificates from %s\n", dest,
		       o->dry_run ? "would install (--dry-run: unchanged)"
				  : "installed",
		       now.n, shown);
	}
	for (size_t i = 0; rc == 0 && i < now.n; i++)
		if (!holds(&old, now.v[i].sha256))
			list_change(json ? &j : NULL, "added", &now.v[i]);
	for (size_t i = 0; rc == 0 && i < old.n; i++)
		if (!holds(&now, old.v[i].sha256))
			list_change(json ? &j : NULL, "removed", &old.v[i]);
	if (json) {
		json_close(&j, ']');
		json_close(&j, '}');
		json_end(&j);
	} else if (rc == 0 && !had) {
		printf("  (there was no usable bundle at %s before)\n", dest);
	}
	free(now.v);
	free(old.v);
	return rc ? EXIT_REFUSED : EXIT_OK;
}
