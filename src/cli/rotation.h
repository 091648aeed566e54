/*
 * pgverify rotation, in three files: rotation.c judges each endpoint,
 * rotation_clients.c finds in audit records the programs that connect to
 * it, rotation_print.c prints the verdicts (a table, --long, --json).
 */
#ifndef PGV_CLI_ROTATION_H
#define PGV_CLI_ROTATION_H

#include "aws.h"
#include "cli.h"
#include "rds.h"

#include <jansson.h>

/* What one bundle file holds for one region (pgv_rds_trust()). */
struct trust {
	int trusted[PGV_RDS_IDS]; /* by pgv_rds_ids */
	long long until[PGV_RDS_IDS];
	char error[1100]; /* why the file cannot be used, or "" */
};

/* Every bundle read so far, per region (rotation_trust.c): a file is
 * read once per region however many endpoints and programs use it. */
struct trust_cache {
	struct trust_cache *next;
	char *path;
	char region[PGV_REGION_SIZE];
	struct trust t;
};

/* What `path` holds for `region`, from the cache or read now; NULL out of
 * memory.  Owned by the cache. */
const struct trust *trust_of(struct trust_cache **cache, const char *path,
			     const char *region, long long now);
void trust_cache_free(struct trust_cache *cache);

/* Whether `t` trusts `id` (no id pgverify does not know). */
int trust_has(const struct trust *t, const char *id);

/* A program seen connecting whose trust would not survive (rotation_clients.c).
 */
struct exposure {
	const json_t *who; /* program, user, uid, unit, hostname, bundle */
	int cannot_tell;   /* 1: its bundle cannot be read here */
	char why[1300];
};

/*
 * The programs of the audit records in `files` as a JSON object (new
 * reference): one member per program, user, unit, host name, bundle and
 * endpoint host, whatever the number of records.  NULL with `err` set when
 * a file cannot be read.
 */
json_t *clients_read(const char *const *files, size_t n, char *err,
		     size_t errlen);

/*
 * The programs of `clients` seen connecting to `address` whose bundle does
 * not trust `id` for `region`, or of which that cannot be told here.
 * Returns how many, with the list in *out (free() it), or -1 out of memory.
 */
long clients_at_risk(const json_t *clients, const char *address,
		     const char *region, const char *id,
		     struct trust_cache **cache, long long now,
		     struct exposure **out);

/* "program (user U, unit X, on HOST)", control characters escaped. */
const char *client_name(const json_t *who, char *buf, size_t len);

enum status { READY, NOT_READY, UNKNOWN };

#define MAX_PROBLEMS 8

/* The verdict on one endpoint. */
struct verdict {
	const struct aws_db *db;
	char region[PGV_REGION_SIZE];
	char bundle[PATH_MAX]; /* the file pgverify verifies it with */
	char rule[512];	       /* the hosts rule that named it, or "" */
	char update[1100]; /* the command that brings that bundle up to date */
	char error[2200];  /* why no verdict can be given, or "" */
	const struct trust *trust; /* NULL with error */
	int current;		   /* its CA: 1 trusted, 0 not, -1 not known */
	const char *target;	   /* --to, else its CA, or NULL */
	long long cert_till;	   /* CertificateDetails.ValidTill, or 0 */
	int cert_expired;
	const struct aws_ca *ca; /* describe-certificates of its CA, or NULL */
	enum status status;
	char problems[MAX_PROBLEMS][600];
	int nproblems;
	const char *fix_action; /* "modify", "renew", "update-bundle", NULL */
	char fix[4096];		/* one command per instance it moves */
	struct exposure *clients;
	long nclients, breaking; /* breaking: those that cannot connect */
};

/* One run of the command: the inputs and the totals. */
struct rotation {
	pgverify_config *cfg;
	const struct cli_opts *o;
	struct aws_input in;
	json_t *clients; /* from --audit, or NULL */
	struct trust_cache *cache;
	long long now;
	long counts[3]; /* by enum status */
};

/* rotation_print.c: the table's header, then one line per verdict (and
 * its programs), or --long's block, or --json's object; then the
 * summary. */
struct widths {
	int name, endpoint, ca;
};
void print_widths(const struct aws_input *in, struct widths *w);
void print_header(const struct widths *w);
void print_line(const struct verdict *v, const struct widths *w);
void print_long(const struct rotation *r, const struct verdict *v);
void print_summary(const struct rotation *r);

struct json;
void json_verdict(struct json *j, const struct rotation *r,
		  const struct verdict *v);
void json_summary(struct json *j, const struct rotation *r);

#endif
