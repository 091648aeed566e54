/*
 * pgverify rotation [-c FILE] [--to CA_ID] [--json] (ENDPOINT... | --aws FILE):
 * offline, for each RDS endpoint, the bundle pgverify would verify it with,
 * which RDS CA ids that bundle trusts for the endpoint's region, and
 * whether its clients stay connected on the instance's current CA and on
 * each other one.  --aws reads what `aws rds describe-db-instances` (or
 * describe-db-clusters) prints, with jansson.
 */
#include "cli.h"
#include "json.h"
#include "rds.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static const char usage[] = "pgverify rotation [-c FILE] [--to CA_ID] [--json] "
			    "(ENDPOINT... | --aws FILE)";

/* One endpoint, as given or as the AWS CLI describes it. */
struct endpoint {
	const char *address;
	const char *name;	/* the instance or cluster identifier */
	const char *ca;		/* its current CA id, or NULL */
	const char *valid_till; /* its certificate's expiry, or NULL */
};

/* What pgverify would do for one endpoint, and the verdicts. */
struct answer {
	char region[33];
	char bundle[1024];
	const char *rule;
	char error[2200];	  /* why no verdict can be given, or "" */
	int trusted[PGV_RDS_IDS]; /* by pgv_rds_ids */
	long long until[PGV_RDS_IDS];
	int current_ready; /* -1: no current CA known */
	int ok;		   /* the current (or --to) CA is trusted */
};

/* Whether the bundle trusts `id` for the region; no id pgverify does not
 * know. */
static int ready_for(const struct answer *a, const char *id)
{
	int i = pgv_rds_id_index(id);

	return i >= 0 && a->trusted[i];
}

/* "host='HOST'" with ' and \\ escaped as libpq reads them: an address from
 * a file must stay one host name, never add options.  -1 if too long. */
static int host_conninfo(const char *host, char *out, size_t len)
{
	size_t k = 0;

	if (len < 9)
		return -1;
	memcpy(out, "host='", 6);
	k = 6;
	for (; *host; host++) {
		if (k + 4 > len)
			return -1;
		if (*host == '\'' || *host == '\\')
			out[k++] = '\\';
		out[k++] = *host;
	}
	out[k++] = '\'';
	out[k] = '\0';
	return 0;
}

/* The plan the shim would make for a connection to the endpoint. */
static int bundle_of(const pgverify_config *cfg, const char *host,
		     struct answer *a)
{
	char conninfo[1100];
	pgverify_plan p;
	int rc = -1;

	if (host_conninfo(host, conninfo, sizeof(conninfo)) < 0) {
		snprintf(a->error, sizeof(a->error),
			 "the host name is too long");
		return -1;
	}
	pgverify_plan_conninfo(cfg, conninfo, &p);
	if (p.verdict == PGVERIFY_REFUSE ||
	    (p.report && p.would && strcmp(p.would, "refuse") == 0))
		snprintf(a->error, sizeof(a->error),
			 "pgverify would refuse it: %s", p.reason);
	else if (!p.verify_bundle[0])
		snprintf(a->error, sizeof(a->error),
			 "not verified by pgverify: %s", p.reason);
	else if (strcmp(p.decision.sslrootcert, "system") == 0)
		snprintf(a->error, sizeof(a->error),
			 "verified against the system store (RDS Proxy: Amazon "
			 "Root CA 1); RDS CA ids do not apply");
	else
		rc = 0;
	snprintf(a->bundle, sizeof(a->bundle), "%s", p.verify_bundle);
	a->rule = p.decision.rule ? strdup(p.decision.rule) : NULL;
	pgverify_plan_clear(&p);
	return rc;
}

static void answer(const pgverify_config *cfg, const struct endpoint *e,
		   const char *to, struct answer *a)
{
	char err[512];

	memset(a, 0, sizeof(*a));
	a->current_ready = -1;
	if (pgv_rds_region(e->address, a->region, sizeof(a->region)) < 0) {
		snprintf(a->error, sizeof(a->error),
			 "not an RDS endpoint (<name>.<id>.<region>.rds."
			 "amazonaws.com)");
		return;
	}
	if (bundle_of(cfg, e->address, a) < 0)
		return;
	if (pgv_rds_trust(a->bundle, a->region, (long long)time(NULL),
			  a->trusted, a->until, err, sizeof(err)) < 0) {
		snprintf(a->error, sizeof(a->error), "%s", err);
		return;
	}
	if (e->ca)
		a->current_ready = ready_for(a, e->ca);
	a->ok = to ? ready_for(a, to) : a->current_ready != 0;
}

static void print_answer(const struct endpoint *e, const struct answer *a,
			 const char *to)
{
	char date[16];

	printf("%s%s%s%s\n", e->address, e->name ? " (" : "",
	       e->name ? e->name : "", e->name ? ")" : "");
	if (a->error[0]) {
		printf("  NOT READY  %s\n", a->error);
		return;
	}
	printf("  bundle     %s%s%s%s\n", a->bundle,
	       a->rule ? " (hosts rule \"" : "", a->rule ? a->rule : "",
	       a->rule ? "\")" : "");
	for (size_t i = 0; i < PGV_RDS_G1_IDS; i++)
		printf("  %-10s %s %s%s\n", i ? "" : a->region, pgv_rds_ids[i],
		       a->trusted[i] ? "trusted until " : "NOT in the bundle",
		       a->trusted[i] ? cli_date(a->until[i], date) : "");
	if (e->ca)
		printf("  current    %s%s%s: %s\n", e->ca,
		       e->valid_till ? ", server certificate valid till " : "",
		       e->valid_till ? e->valid_till : "",
		       a->current_ready ? "ready" : "NOT READY");
	for (size_t i = 0; i < PGV_RDS_G1_IDS; i++) {
		const char *id = pgv_rds_ids[i];
		if ((to && strcmp(id, to) != 0) ||
		    (e->ca && !strcmp(id, e->ca)))
			continue;
		printf("  change to  %s: %s\n", id,
		       a->trusted[i]
			   ? "ready"
			   : "NOT READY: the bundle has no valid root "
			     "for it in this region");
	}
	if (to && pgv_rds_id_index(to) >= PGV_RDS_G1_IDS)
		printf("  change to  %s: %s\n", to,
		       ready_for(a, to) ? "ready" : "NOT READY");
}

static void json_answer(struct json *j, const struct endpoint *e,
			const struct answer *a, const char *to)
{
	char date[16];

	json_open(j, NULL, '{');
	json_str(j, "endpoint", e->address);
	json_str(j, "instance", e->name);
	json_str(j, "region", a->region[0] ? a->region : NULL);
	json_str(j, "bundle", a->bundle[0] ? a->bundle : NULL);
	json_str(j, "rule", a->rule);
	json_str(j, "error", a->error[0] ? a->error : NULL);
	json_open(j, "trusted", '[');
	for (size_t i = 0; !a->error[0] && i < PGV_RDS_G1_IDS; i++) {
		if (!a->trusted[i])
			continue;
		json_open(j, NULL, '{');
		json_str(j, "id", pgv_rds_ids[i]);
		json_str(j, "until", cli_date(a->until[i], date));
		json_close(j, '}');
	}
	json_close(j, ']');
	json_open(j, "current", '{');
	json_str(j, "id", e->ca);
	json_str(j, "valid_till", e->valid_till);
	if (a->current_ready < 0)
		json_str(j, "ready", NULL);
	else
		json_bool(j, "ready", a->current_ready);
	json_close(j, '}');
	json_open(j, "changes", '[');
	for (size_t i = 0; !a->error[0] && i < PGV_RDS_G1_IDS; i++) {
		const char *id = pgv_rds_ids[i];
		if ((to && strcmp(id, to) != 0) ||
		    (e->ca && !strcmp(id, e->ca)))
			continue;
		json_open(j, NULL, '{');
		json_str(j, "id", id);
		json_bool(j, "ready", a->trusted[i]);
		json_close(j, '}');
	}
	json_close(j, ']');
	json_bool(j, "ok", !a->error[0] && a->ok);
	json_close(j, '}');
}

/* The endpoints of describe-db-instances or describe-db-clusters output. */
static size_t aws_endpoints(const json_t *doc, struct endpoint *out, size_t max,
			    size_t *skipped)
{
	static const char *const lists[] = {"DBInstances", "DBClusters"};
	size_t n = 0, i;
	json_t *item;

	for (size_t l = 0; l < 2; l++)
		json_array_foreach(json_object_get(doc, lists[l]), i, item)
		{
			json_t *ep = json_object_get(item, "Endpoint");
			json_t *cert =
			    json_object_get(item, "CertificateDetails");
			const char *addr =
			    json_is_string(ep)
				? json_string_value(ep)
				: json_string_value(
				      json_object_get(ep, "Address"));
			if (!addr || n == max) {
				++*skipped;
				continue;
			}
			out[n].address = addr;
			out[n].name = json_string_value(
			    json_object_get(item, l ? "DBClusterIdentifier"
						    : "DBInstanceIdentifier"));
			out[n].ca = json_string_value(
			    json_object_get(item, "CACertificateIdentifier"));
			if (!out[n].ca)
				out[n].ca = json_string_value(
				    json_object_get(cert, "CAIdentifier"));
			out[n].valid_till = json_string_value(
			    json_object_get(cert, "ValidTill"));
			n++;
		}
	return n;
}

#define MAX_ENDPOINTS 4096

static int run(const pgverify_config *cfg, const struct endpoint *es, size_t n,
	       const char *to, int want_json)
{
	struct json j;
	struct answer a;
	int all = 1;

	json_init(&j, stdout);
	if (want_json) {
		json_open(&j, NULL, '{');
		json_str(&j, "to", to);
		json_open(&j, "endpoints", '[');
	}
	for (size_t i = 0; i < n; i++) {
		answer(cfg, &es[i], to, &a);
		all &= !a.error[0] && a.ok;
		if (want_json)
			json_answer(&j, &es[i], &a, to);
		else
			print_answer(&es[i], &a, to);
		free((char *)a.rule);
	}
	if (want_json) {
		json_close(&j, ']');
		json_bool(&j, "ok", all);
		json_close(&j, '}');
		json_end(&j);
	}
	return all ? EXIT_OK : EXIT_REFUSED;
}

static json_t *load_aws(const char *path)
{
	json_error_t e;
	json_t *doc = strcmp(path, "-") == 0
			  ? json_loadf(stdin, JSON_REJECT_DUPLICATES, &e)
			  : json_load_file(path, JSON_REJECT_DUPLICATES, &e);

	if (!doc)
		fprintf(stderr, "pgverify rotation: %s:%d: %s\n", path, e.line,
			e.text);
	else if (!json_object_get(doc, "DBInstances") &&
		 !json_object_get(doc, "DBClusters")) {
		fprintf(stderr,
			"pgverify rotation: %s: no DBInstances or DBClusters "
			"(the output of aws rds describe-db-instances)\n",
			path);
		json_decref(doc);
		doc = NULL;
	}
	return doc;
}

int cmd_rotation(int argc, char **argv)
{
	struct cli_opts o;
	char err[1024];
	int status = EXIT_USAGE;
	static struct endpoint es[MAX_ENDPOINTS];
	size_t n = 0, skipped = 0;
	json_t *doc = NULL;
	pgverify_config *cfg;

	if (cli_options(argc, argv, usage, CLI_JSON | CLI_ROTATION, &o,
			&status) < 0)
		return status;
	if ((o.first == argc) == !o.aws ||
	    (o.to && pgv_rds_id_index(o.to) < 0)) {
		fprintf(stderr, "%susage: %s\n",
			o.to && pgv_rds_id_index(o.to) < 0
			    ? "pgverify rotation: --to takes an RDS CA id "
			      "(rds-ca-rsa2048-g1, rds-ca-rsa4096-g1, "
			      "rds-ca-ecc384-g1, rds-ca-2019)\n"
			    : "",
			usage);
		return EXIT_USAGE;
	}
	if (!(cfg = cli_config(&o, err, sizeof(err)))) {
		fprintf(stderr, "pgverify: %s\n", err);
		return EXIT_USAGE;
	}
	if (o.aws && (doc = load_aws(o.aws)))
		n = aws_endpoints(doc, es, MAX_ENDPOINTS, &skipped);
	for (int i = o.first; i < argc && n < MAX_ENDPOINTS; i++)
		es[n++] = (struct endpoint){.address = argv[i]};
	if (!o.aws || doc)
		status = run(cfg, es, n, o.to, o.json);
	/* An instance still being created has no endpoint to answer for. */
	if (skipped)
		fprintf(stderr,
			"pgverify rotation: %zu described without an endpoint "
			"(not yet available), left out\n",
			skipped);
	json_decref(doc);
	pgverify_config_free(cfg);
	return status;
}
