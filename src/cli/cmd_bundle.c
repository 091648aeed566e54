/*
 * pgverify bundle FILE...: every certificate of each file, with validity,
 * days left and SHA-256 fingerprint.  Exit 1 if a file could not serve as a
 * bundle (unreadable, malformed, or every certificate expired).
 * With --split DIR, split.c; with --install DEST, install.c.
 */
#include "cli.h"
#include "json.h"

#include <time.h>

static const char usage[] =
    "pgverify bundle [--json] FILE...\n"
    "       pgverify bundle [--json] --split DIR FILE\n"
    "       pgverify bundle [--json] --install DEST FILE\n"
    "       pgverify bundle [--json] [-c FILE] --update [--from URL|FILE] "
    "[--timeout SECONDS] DEST";

struct listing {
	struct json *j; /* NULL: human output */
	int valid;	/* certificates not expired */
};

static int print_cert(const pgverify_cert *c, void *arg)
{
	struct listing *l = arg;
	long long left = cli_days_left(c->not_after);
	int expired = c->not_after <= (long long)time(NULL);
	char from[16], to[16];

	l->valid += !expired;
	cli_date(c->not_before, from);
	cli_date(c->not_after, to);
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

/* List one file; returns 0 if it could serve as a bundle. */
static int list_file(const char *path, struct json *j)
{
	struct listing l = {j, 0};
	char err[1024];
	int rc;

	if (j) {
		json_open(j, NULL, '{');
		json_str(j, "file", path);
		json_open(j, "certificates", '[');
	} else {
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
		json_bool(j, "usable", rc == 0);
		json_str(j, "error", rc ? err : NULL);
		json_close(j, '}');
	} else if (rc) {
		printf("  error: %s\n", err);
	}
	return rc;
}

int cmd_bundle(int argc, char **argv)
{
	struct cli_opts o;
	struct json j;
	int status,
	    first = cli_options(argc, argv, usage,
				CLI_JSON | CLI_SPLIT | CLI_INSTALL | CLI_UPDATE,
				&o, &status);
	int bad = 0;

	if (first < 0)
		return status;
	/* -c names the config whose {region} files --update refreshes. */
	if (o.update && first + 1 == argc && !o.split && !o.install)
		return bundle_update(&o, argv[first]);
	if (first >= argc || o.config || o.update || o.from || o.timeout ||
	    ((o.split || o.install) && first + 1 != argc) ||
	    (o.split && o.install)) {
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
		bad |= list_file(argv[i], o.json ? &j : NULL) != 0;
	if (o.json) {
		json_close(&j, ']');
		json_end(&j);
	}
	return bad ? EXIT_REFUSED : EXIT_OK;
}
