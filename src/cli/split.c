/*
 * pgverify bundle --split DIR FILE: one bundle per AWS region.
 *
 * libpq 15 reads and parses its whole sslrootcert file for every
 * connection, so the 118 certificates of the RDS global bundle cost every
 * connection dearly.  An RDS endpoint names its region, and only that
 * region's CAs can anchor its chain, so a rule whose sslrootcert holds
 * {region} can point each endpoint at a file of just those CAs.  This makes
 * the files: DIR/<region>.pem for every region a certificate's subject
 * names ("Amazon RDS us-east-1 Root CA ECC384 G1"), holding that region's
 * certificates that are valid now.  A valid certificate that names no
 * region goes into every file, so no file trusts less than the global
 * bundle for its region; expired ones are left out, as they can anchor
 * nothing.  Each file is written beside its final name and renamed into
 * place, so a connection never reads half a file.
 */
#include "cli.h"
#include "json.h"
#include "rds.h"

#include <errno.h>
#include <openssl/pem.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define MAX_REGIONS 128

struct cert {
	unsigned char *der;
	size_t len;
	char region[PGV_REGION_SIZE]; /* "" when the subject names none */
	char subject[256];
};

struct certs {
	struct cert *v;
	size_t n, cap;
	int expired;
};

static int collect(const pgverify_cert *c, void *arg)
{
	struct certs *cs = arg;
	struct cert *e;

	if (c->not_after <= (long long)time(NULL)) {
		cs->expired++;
		return 0;
	}
	if (cs->n == cs->cap) {
		size_t cap = cs->cap ? 2 * cs->cap : 64;
		struct cert *v = realloc(cs->v, cap * sizeof(*v));
		if (!v)
			return -1;
		cs->v = v;
		cs->cap = cap;
	}
	e = &cs->v[cs->n];
	if (!(e->der = malloc(c->der_len)))
		return -1;
	memcpy(e->der, c->der, c->der_len);
	e->len = c->der_len;
	pgv_rds_subject_region(c->subject, e->region);
	snprintf(e->subject, sizeof(e->subject), "%s", c->subject);
	cs->n++;
	return 0;
}

/* The distinct regions of `cs`, in order of first appearance. */
static size_t regions_of(const struct certs *cs, const char **out)
{
	size_t n = 0;

	for (size_t i = 0; i < cs->n; i++) {
		size_t k = 0;
		if (!cs->v[i].region[0])
			continue;
		while (k < n && strcmp(out[k], cs->v[i].region) != 0)
			k++;
		if (k == n && n < MAX_REGIONS)
			out[n++] = cs->v[i].region;
	}
	return n;
}

/* Write `region`'s certificates (and those of no region) to DIR/region.pem
 * through a temporary file.  Returns the count, or -1 with `err` set. */
static int write_region(const char *dir, const char *region,
			const struct certs *cs, char *err, size_t errlen)
{
	char tmp[4096], path[4096];
	int fd, count = 0, bad = 0;
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s.pem", dir, region);
	snprintf(tmp, sizeof(tmp), "%s/.%s.pem.XXXXXX", dir, region);
	if ((fd = mkstemp(tmp)) < 0 || !(f = fdopen(fd, "w"))) {
		snprintf(err, errlen, "cannot write %s/%s.pem: %s", dir, region,
			 strerror(errno));
		if (fd >= 0) {
			close(fd);
			unlink(tmp);
		}
		return -1;
	}
	for (size_t i = 0; i < cs->n; i++) {
		const struct cert *c = &cs->v[i];
		if (c->region[0] && strcmp(c->region, region) != 0)
			continue;
		fprintf(f, "# %s\n", c->subject);
		bad |= !PEM_write(f, "CERTIFICATE", "", c->der, (long)c->len);
		count++;
	}
	bad |= fchmod(fd, 0644) < 0 || fflush(f) != 0 || fsync(fd) < 0;
	bad |= fclose(f) != 0;
	if (bad || rename(tmp, path) < 0) {
		snprintf(err, errlen, "cannot write %s/%s.pem: %s", dir, region,
			 strerror(errno ? errno : EIO));
		unlink(tmp);
		return -1;
	}
	return count;
}

static void report(struct json *j, const char *region, const char *dir,
		   int count, const char *err)
{
	char path[4096];

	snprintf(path, sizeof(path), "%s/%s.pem", dir, region);
	if (!j) {
		if (err)
			fprintf(stderr, "pgverify: %s\n", err);
		else
			printf("%-16s %s  (%d certificates)\n", region, path,
			       count);
		return;
	}
	json_open(j, NULL, '{');
	json_str(j, "region", region);
	json_str(j, "file", path);
	json_int(j, "certificates", count);
	json_str(j, "error", err);
	json_close(j, '}');
}

static void free_certs(struct certs *cs)
{
	for (size_t i = 0; i < cs->n; i++)
		free(cs->v[i].der);
	free(cs->v);
}

int bundle_split(const char *dir, const char *file, int json)
{
	struct certs cs = {0};
	const char *regions[MAX_REGIONS];
	char err[1024];
	struct json j;
	size_t n;
	int bad = 0;

	if (pgverify_bundle_list(file, collect, &cs, err, sizeof(err)) < 0) {
		fprintf(stderr, "pgverify: %s\n", err);
		free_certs(&cs);
		return EXIT_REFUSED;
	}
	if ((n = regions_of(&cs, regions)) == 0) {
		fprintf(stderr,
			"pgverify: no valid certificate in %s names an AWS "
			"region (as \"Amazon RDS us-east-1 Root CA\" does)\n",
			file);
		free_certs(&cs);
		return EXIT_REFUSED;
	}
	/* DIR is made (its parent must exist), and one that cannot be
	 * written stops here, not after one error per region. */
	if ((mkdir(dir, 0755) < 0 && errno != EEXIST) ||
	    access(dir, W_OK) < 0) {
		fprintf(stderr, "pgverify: cannot write into %s: %s\n", dir,
			strerror(errno));
		free_certs(&cs);
		return EXIT_REFUSED;
	}
	json_init(&j, stdout);
	if (json)
		json_open(&j, NULL, '[');
	for (size_t i = 0; i < n; i++) {
		int count =
		    write_region(dir, regions[i], &cs, err, sizeof(err));
		bad |= count < 0;
		report(json ? &j : NULL, regions[i], dir, count,
		       count < 0 ? err : NULL);
	}
	if (json) {
		json_close(&j, ']');
		json_end(&j);
	} else if (!bad) {
		printf(
		    "%zu regions from %s; %d expired certificates left out\n",
		    n, file, cs.expired);
	} else {
		printf("FAILED: not every region file of %s could be written "
		       "into %s\n",
		       file, dir);
	}
	free_certs(&cs);
	return bad ? EXIT_REFUSED : EXIT_OK;
}
