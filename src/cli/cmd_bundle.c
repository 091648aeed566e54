/*
 * pgverify bundle [--long] FILE...: a summary line per file and its RDS CA
 * ids (with --long, or --json, every certificate with validity, days left
 * and SHA-256 fingerprint).  Exit 1 if a file could not serve as a bundle
 * (unreadable, malformed, or every certificate expired).
 * With --split DIR, split.c; with --install DEST, install.c.
 */
#include "cli.h"
#include "json.h"
#include "rds.h"

#include <string.h>
#include <time.h>

static const char usage[] =
    "pgverify bundle [--json] [--long] FILE...\n"
    "       pgverify bundle [--json] --split DIR FILE\n"
    "       pgverify bundle [--json] --install DEST FILE\n"
    "       pgverify bundle [--json] [-c FILE] --update [--from URL|FILE] "
    "[--timeout SECONDS] DEST";

/* What the summary counts: per RDS CA id (the last slot: any other CA). */
struct kind {
	int certs, expired;
	long long soonest; /* not-after of the first to expire, 0: none */
	char regions[64][PGV_REGION_SIZE];
	int nregions;
	char other[256]; /* OTHER: the first such subject */
};

#define OTHER PGV_RDS_IDS

struct listing {
	struct json *j; /* NULL: human output */
	int long_list;	/* every certificate (--long) */
	int certs, valid, soon;
	long long soonest;
	struct kind kinds[PGV_RDS_IDS + 1];
};

static void count_region(struct kind *k, const char *subject)
{
	char region[PGV_REGION_SIZE];

	pgv_rds_subject_region(subject, region);
	if (!region[0])
		return;
	for (int i = 0; i < k->nregions; i++)
		if (strcmp(k->regions[i], region) == 0)
			return;
	if (k->nregions < 64)
		memcpy(k->regions[k->nregions++], region, sizeof(region));
}

static void count_cert(struct listing *l, const pgverify_cert *c, int expired)
{
	const char *id = pgv_rds_ca_id(c->subject);
	int i = id ? pgv_rds_id_index(id) : -1;
	struct kind *k = &l->kinds[i >= 0 ? i : OTHER];

	l->certs++;
	l->valid += !expired;
	l->soon += !expired && cli_days_left(c->not_after) < 30;
	k->certs++;
	k->expired += expired;
	if (!expired && (!k->soonest || c->not_after < k->soonest))
		k->soonest = c->not_after;
	if (!expired && (!l->soonest || c->not_after < l->soonest))
		l->soonest = c->not_after;
	if (i >= 0)
		count_region(k, c->subject);
	else if (!k->other[0])
		snprintf(k->other, sizeof(k->other), "%s", c->subject);
}

static int print_cert(const pgverify_cert *c, void *arg)
{
	struct listing *l = arg;
	long long left = cli_days_left(c->not_after);
	int expired = c->not_after <= (long long)time(NULL);
	char from[16], to[16];

	count_cert(l, c, expired);
	cli_date(c->not_before, from);
	cli_date(c->not_after, to);
	if (!l->j && !l->long_list)
		return 0;
	if (!l->j) {
		printf("%4d  %s%s%s\n", c->index, c->subject,
		       c->is_ca ? "  [CA]" : "", expired ? "  EXPIRED" : "");
		printf("      issuer  %s\n", c->issuer);
		printf("      valid   %s .. %s (%lld days %s)\n", from, to,
		       expired ? -left : left, expired ? "ago" : "left");
		printf("      sha256  %s\n", c->sha256);
		return 0;
	}
	json_open(l->j, NULL, '{');
	json_int(l->j, "index", c->index);
	json_str(l->j, "subject", c->subject);
	json_str(l->j, "issuer", c->issuer);
	json_str(l->j, "not_before", from);
	json_str(l->j, "not_after", to);
	json_int(l->j, "days_left", left);
	json_bool(l->j, "expired", expired);
	json_bool(l->j, "ca", c->is_ca);
	json_str(l->j, "sha256", c->sha256);
	json_close(l->j, '}');
	return 0;
}

/* "  rds-ca-rsa2048-g1  34 regions, 34 certificates, until 2061-05-19" */
static void print_kind(const char *name, const struct kind *k)
{
	char until[16];

	if (!k->certs)
		return;
	printf("  %-18s ", name);
	if (k->nregions)
		printf("%d region%s, ", k->nregions,
		       k->nregions == 1 ? "" : "s");
	printf("%d certificate%s", k->certs, k->certs == 1 ? "" : "s");
	if (k->expired)
		printf(" (%d expired)", k->expired);
	if (k->soonest)
		printf(", first to expire %s", cli_date(k->soonest, until));
	if (k->other[0])
		printf(": %s%s", k->other, k->certs > 1 ? ", ..." : "");
	printf("\n");
}

static void print_summary(const char *path, const struct listing *l)
{
	char until[16];

	printf("%s: %d certificate%s, %d expired, %d expire within 30 days",
	       path, l->certs, l->certs == 1 ? "" : "s", l->certs - l->valid,
	       l->soon);
	if (l->soonest)
		printf("; the first on %s", cli_date(l->soonest, until));
	printf("\n");
	for (int i = 0; i < PGV_RDS_IDS; i++)
		print_kind(pgv_rds_ids[i], &l->kinds[i]);
	print_kind("other CAs", &l->kinds[OTHER]);
}

static void json_summary(struct json *j, const struct listing *l)
{
	char until[16];

	json_open(j, "ca_ids", '[');
	for (int i = 0; i < PGV_RDS_IDS; i++) {
		const struct kind *k = &l->kinds[i];
		if (!k->certs)
			continue;
		json_open(j, NULL, '{');
		json_str(j, "id", pgv_rds_ids[i]);
		json_int(j, "certificates", k->certs);
		json_int(j, "expired", k->expired);
		json_int(j, "regions", k->nregions);
		json_str(j, "first_not_after",
			 k->soonest ? cli_date(k->soonest, until) : NULL);
		json_close(j, '}');
	}
	json_close(j, ']');
	json_int(j, "other_certificates", l->kinds[OTHER].certs);
}

/* List one file; returns 0 if it could serve as a bundle. */
static int list_file(const char *path, struct json *j, int long_list)
{
	static const struct listing zero;
	struct listing l = zero;
	char err[1024];
	int rc;

	l.j = j;
	l.long_list = long_list;
	if (j) {
		json_open(j, NULL, '{');
		json_str(j, "file", path);
		json_open(j, "certificates", '[');
	} else if (long_list) {
		printf("%s\n", path);
	}
	rc = pgverify_bundle_list(path, print_cert, &l, err, sizeof(err));
	if (rc == 0 && l.valid == 0) {
		snprintf(err, sizeof(err),
			 "every certificate in %s has expired", path);
		rc = -1;
	}
	if (j) {
		json_close(j, ']');
		json_summary(j, &l);
		json_bool(j, "usable", rc == 0);
		json_str(j, "error", rc ? err : NULL);
		json_close(j, '}');
	} else {
		if (!long_list && l.certs)
			print_summary(path, &l);
		else if (!long_list)
			printf("%s\n", path);
		if (rc)
			printf("  error: %s\n", err);
	}
	return rc;
}

int cmd_bundle(int argc, char **argv)
{
	struct cli_opts o;
	struct json j;
	int status, first = cli_options(argc, argv, usage,
					CLI_JSON | CLI_SPLIT | CLI_INSTALL |
					    CLI_UPDATE | CLI_LONG,
					&o, &status);
	int bad = 0;

	if (first < 0)
		return status;
	/* -c names the config whose {region} files --update refreshes. */
	if (o.update && first + 1 == argc && !o.split && !o.install)
		return bundle_update(&o, argv[first]);
	if (first >= argc || o.config || o.update || o.from || o.timeout ||
	    ((o.split || o.install) && first + 1 != argc) ||
	    (o.split && o.install) || (o.long_list && (o.split || o.install))) {
		fprintf(stderr, "usage: %s\n", usage);
		return EXIT_USAGE;
	}
	if (o.split)
		return bundle_split(o.split, argv[first], o.json);
	if (o.install)
		return bundle_install(o.install, argv[first], argv[first], &o);
	json_init(&j, stdout);
	if (o.json)
		json_open(&j, NULL, '[');
	for (int i = first; i < argc; i++)
		bad |= list_file(argv[i], o.json ? &j : NULL, o.long_list) != 0;
	if (o.json) {
		json_close(&j, ']');
		json_end(&j);
	}
	return bad ? EXIT_REFUSED : EXIT_OK;
}
