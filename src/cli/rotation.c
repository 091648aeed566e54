/*
 * pgverify rotation: offline, for each RDS endpoint (a host name, or a
 * PostgreSQL instance or cluster the AWS CLI describes), the bundle
 * pgverify would verify it with, whether that bundle trusts the endpoint's
 * CA id (or --to's) for its region, whether its server certificate has
 * expired, the command that fixes what is not ready, and with --audit the
 * programs seen connecting to it whose own trust would not survive.
 */
#include "rotation.h"
#include "config.h"
#include "json.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static const char usage[] =
    "pgverify rotation [-c FILE] [--to CA_ID] [--long] [--json] "
    "[--audit FILE]... (ENDPOINT... | --aws FILE [--aws FILE]...)";

/* Append one reason the endpoint is not ready. */
__attribute__((format(printf, 2, 3))) static void problem(struct verdict *v,
							  const char *fmt, ...)
{
	va_list ap;

	if (v->nproblems == MAX_PROBLEMS)
		return;
	va_start(ap, fmt);
	vsnprintf(v->problems[v->nproblems++], sizeof(v->problems[0]), fmt, ap);
	va_end(ap);
}

/* `s` as one word for a POSIX shell, for commands the user may paste: as
 * it is when no shell treats any of its characters specially, else in
 * single quotes.  A name from a file must not become a second command. */
static const char *shell_word(const char *s, char *buf, size_t len)
{
	static const char plain[] = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMN"
				    "OPQRSTUVWXYZ0123456789_./:@%+=,-";
	size_t k = 0;

	if (*s && strspn(s, plain) == strlen(s) && strlen(s) < len) {
		memcpy(buf, s, strlen(s) + 1);
		return buf;
	}
	buf[k++] = '\'';
	for (; *s && k + 6 < len; s++) {
		if (*s == '\'') {
			memcpy(buf + k, "'\\''", 4);
			k += 4;
		} else {
			buf[k++] = *s;
		}
	}
	buf[k++] = '\'';
	buf[k] = '\0';
	return buf;
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

/*
 * The command that brings the bundle of plan `p` up to date.  A {region}
 * rule's file is split from the configuration's bundle, and `bundle
 * --update` of that bundle splits it again (update.c).
 */
static void update_command(const struct rotation *r, const pgverify_plan *p,
			   struct verdict *v)
{
	pgverify_config_view cv;
	const char *dest = p->verify_bundle;
	char conf[1100], file[1100];

	pgverify_config_describe(r->cfg, &cv);
	if (p->decision.region[0] && cv.sslrootcert &&
	    strcmp(cv.sslrootcert, "system") != 0 &&
	    !strstr(cv.sslrootcert, PGV_REGION))
		dest = cv.sslrootcert;
	snprintf(v->update, sizeof(v->update),
		 "pgverify bundle%s%s --update %s", r->o->config ? " -c " : "",
		 r->o->config ? shell_word(r->o->config, conf, sizeof(conf))
			      : "",
		 shell_word(dest, file, sizeof(file)));
}

/* The bundle the shim would verify a connection to the endpoint with. */
static int bundle_of(const struct rotation *r, struct verdict *v)
{
	char conninfo[1100];
	pgverify_plan p;
	int rc = -1;

	if (host_conninfo(v->db->address, conninfo, sizeof(conninfo)) < 0) {
		snprintf(v->error, sizeof(v->error),
			 "the host name is too long");
		return -1;
	}
	pgverify_plan_conninfo(r->cfg, conninfo, &p);
	if (p.verdict == PGVERIFY_REFUSE || p.would == PGVERIFY_WOULD_REFUSE)
		snprintf(v->error, sizeof(v->error),
			 "pgverify would refuse it: %s", p.reason);
	else if (!p.verify_bundle[0])
		snprintf(v->error, sizeof(v->error),
			 "not verified by pgverify: %s", p.reason);
	else if (strcmp(p.decision.sslrootcert, "system") == 0)
		snprintf(v->error, sizeof(v->error),
			 "verified against the system store (RDS Proxy: Amazon "
			 "Root CA 1); RDS CA ids do not apply");
	else
		rc = 0;
	snprintf(v->bundle, sizeof(v->bundle), "%s", p.verify_bundle);
	snprintf(v->rule, sizeof(v->rule), "%s",
		 p.decision.rule ? p.decision.rule : "");
	update_command(r, &p, v);
	pgverify_plan_clear(&p);
	return rc;
}

/* The region, the bundle and what it trusts there; -1 with v->error. */
static int locate(struct rotation *r, struct verdict *v)
{
	if (pgv_rds_region(v->db->address, v->region, sizeof(v->region)) < 0) {
		snprintf(v->error, sizeof(v->error),
			 "not an RDS endpoint (<name>.<id>.<region>.rds."
			 "amazonaws.com)");
		return -1;
	}
	if (bundle_of(r, v) < 0)
		return -1;
	v->trust = trust_of(&r->cache, v->bundle, v->region, r->now);
	if (!v->trust || v->trust->error[0]) {
		snprintf(v->error, sizeof(v->error), "%s",
			 v->trust ? v->trust->error : "out of memory");
		v->trust = NULL;
		return -1;
	}
	return 0;
}

/* Whether describe-certificates says `ca` has expired. */
static int ca_expired(const struct rotation *r, const struct aws_ca *ca)
{
	return ca && aws_past(ca->valid_till, r->now, NULL);
}

static void check_current(const struct rotation *r, struct verdict *v)
{
	const char *id = v->db->ca;
	char date[16];
	long long t;

	if (!id)
		return;
	v->current = trust_has(v->trust, id);
	if (!v->current)
		problem(v, "%s is not trusted for %s", id, v->region);
	/* An untrusted CA is said once; AWS's date is in the summary. */
	if (v->current && v->ca && aws_past(v->ca->valid_till, r->now, &t))
		problem(v, "CA %s expired %s (describe-certificates)", id,
			cli_date(t, date));
}

static void check_to(const struct rotation *r, struct verdict *v)
{
	const char *to = r->o->to;
	const struct aws_ca *ca = aws_ca_of(&r->in, to);
	char date[16];
	long long t;

	if (!to || (v->db->ca && strcmp(to, v->db->ca) == 0))
		return; /* its CA's own check says it */
	if (!trust_has(v->trust, to))
		problem(v, "%s (--to) is not trusted for %s", to, v->region);
	if (ca && aws_past(ca->valid_till, r->now, &t))
		problem(v, "%s (--to) expired %s (describe-certificates)", to,
			cli_date(t, date));
}

static void check_clients(struct rotation *r, struct verdict *v)
{
	if (!r->clients || !v->target)
		return;
	v->nclients =
	    clients_at_risk(r->clients, v->db->address, v->region, v->target,
			    &r->cache, r->now, &v->clients);
	if (v->nclients < 0) {
		v->nclients = 0;
		problem(v, "out of memory reading the audit records");
	}
	for (long i = 0; i < v->nclients; i++)
		v->breaking += !v->clients[i].cannot_tell;
	if (v->breaking)
		problem(v, "%ld program%s seen connecting would break",
			v->breaking, v->breaking == 1 ? "" : "s");
}

/* A CA id the endpoint can move to: its clients' bundle trusts it, and
 * describe-certificates, when given, does not say it has expired. */
static int usable(const struct rotation *r, const struct verdict *v,
		  const char *id)
{
	return trust_has(v->trust, id) && !ca_expired(r, aws_ca_of(&r->in, id));
}

/*
 * The CA id the fix names: --to's if usable; the endpoint's own when only
 * its server certificate has expired (the change renews it); else the
 * first usable G1 id, rds-ca-rsa2048-g1 (AWS's default, which every
 * client's TLS library supports) before the others.  NULL when none is.
 */
static const char *fix_id(const struct rotation *r, const struct verdict *v)
{
	if (r->o->to && usable(r, v, r->o->to))
		return r->o->to;
	if (v->current == 1 && usable(r, v, v->db->ca))
		return v->db->ca;
	for (size_t i = 0; i < PGV_RDS_G1_IDS; i++)
		if (usable(r, v, pgv_rds_ids[i]))
			return pgv_rds_ids[i];
	return NULL;
}

/* Append to v->fix, joined by " && "; what does not fit is left out. */
__attribute__((format(printf, 2, 3))) static void
fix_append(struct verdict *v, const char *fmt, ...)
{
	size_t k = strlen(v->fix);
	char part[1200];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(part, sizeof(part), fmt, ap);
	va_end(ap);
	if (k + strlen(part) + 5 < sizeof(v->fix))
		snprintf(v->fix + k, sizeof(v->fix) - k, "%s%s",
			 k ? " && " : "", part);
}

#define MODIFY_INSTANCE                                                        \
	"aws rds modify-db-instance --db-instance-identifier %s "              \
	"--ca-certificate-identifier %s --apply-immediately --region %s"

/*
 * The AWS CLI commands that put the endpoint on CA `id`.  The CA is a
 * setting of each DB instance, or of a Multi-AZ DB cluster (engine
 * postgres); an Aurora cluster's instances are modified one by one.
 */
static void modify(struct verdict *v, const char *id)
{
	const struct aws_db *db = v->db;
	const json_t *m;
	char name[300], ca[100];
	size_t i;

	shell_word(id, ca, sizeof(ca));
	if (db->kind == AWS_INSTANCE) {
		fix_append(v, MODIFY_INSTANCE,
			   shell_word(db->name, name, sizeof(name)), ca,
			   v->region);
	} else if (db->engine && strcmp(db->engine, "postgres") == 0) {
		fix_append(v,
			   "aws rds modify-db-cluster --db-cluster-identifier "
			   "%s --ca-certificate-identifier %s "
			   "--apply-immediately --region %s",
			   shell_word(db->name, name, sizeof(name)), ca,
			   v->region);
	} else {
		json_array_foreach(db->members, i, m)
		{
			const char *member = json_string_value(
			    json_object_get(m, "DBInstanceIdentifier"));
			if (member)
				fix_append(
				    v, MODIFY_INSTANCE,
				    shell_word(member, name, sizeof(name)), ca,
				    v->region);
		}
		if (!v->fix[0])
			fix_append(v,
				   MODIFY_INSTANCE " (for each instance of %s)",
				   "INSTANCE", ca, v->region,
				   shell_word(db->name, name, sizeof(name)));
	}
}

static void set_fix(const struct rotation *r, struct verdict *v)
{
	const struct aws_db *db = v->db;
	int move = (db->ca && v->current == 0) || v->cert_expired ||
		   ca_expired(r, v->ca);
	const char *id;

	if (v->error[0])
		return;
	if (move && db->kind != AWS_ENDPOINT && db->name) {
		if ((id = fix_id(r, v))) {
			modify(v, id);
			v->fix_action = db->ca && strcmp(id, db->ca) == 0
					    ? "renew"
					    : "modify";
			return;
		}
	}
	if ((move && !fix_id(r, v)) ||
	    (r->o->to && !trust_has(v->trust, r->o->to))) {
		snprintf(v->fix, sizeof(v->fix), "%s", v->update);
		v->fix_action = "update-bundle";
	}
}

static void judge(struct rotation *r, const struct aws_db *db,
		  struct verdict *v)
{
	char date[16];

	memset(v, 0, sizeof(*v));
	v->db = db;
	v->current = -1;
	v->target = r->o->to ? r->o->to : db->ca;
	v->ca = aws_ca_of(&r->in, db->ca);
	v->cert_expired = aws_past(db->valid_till, r->now, &v->cert_till);
	if (locate(r, v) == 0) {
		check_current(r, v);
		check_to(r, v);
	} else {
		problem(v, "%s", v->error);
	}
	if (v->cert_expired)
		problem(v, "server certificate expired %s",
			cli_date(v->cert_till, date));
	if (!v->error[0])
		check_clients(r, v);
	set_fix(r, v);
	v->status = v->nproblems ? NOT_READY : v->target ? READY : UNKNOWN;
	r->counts[v->status]++;
}

/* Judge and print every endpoint, then the summary; the exit status. */
static int run(struct rotation *r)
{
	struct verdict *v = malloc(sizeof(*v));
	struct widths w;
	struct json j;

	if (!v) {
		fprintf(stderr, "pgverify rotation: out of memory\n");
		return EXIT_USAGE;
	}
	json_init(&j, stdout);
	if (r->o->json) {
		json_open(&j, NULL, '{');
		json_str(&j, "to", r->o->to);
		json_open(&j, "instances", '[');
	} else if (!r->o->long_list && r->in.ndbs) {
		print_widths(&r->in, &w);
		print_header(&w);
	}
	for (size_t i = 0; i < r->in.ndbs; i++) {
		judge(r, &r->in.dbs[i], v);
		if (r->o->json)
			json_verdict(&j, r, v);
		else if (r->o->long_list)
			print_long(r, v);
		else
			print_line(v, &w);
		free(v->clients);
	}
	free(v);
	if (r->o->json) {
		json_close(&j, ']');
		json_summary(&j, r);
		json_bool(&j, "ok", r->counts[NOT_READY] == 0);
		json_close(&j, '}');
		json_end(&j);
	} else {
		print_summary(r);
	}
	return r->counts[NOT_READY] ? EXIT_REFUSED : EXIT_OK;
}

/* A usage error, said; 0 when the options make sense. */
static int bad_usage(const struct cli_opts *o, int argc, char **argv)
{
	const char *why = NULL;

	if (o->to && pgv_rds_id_index(o->to) < 0)
		why = "--to takes an RDS CA id (rds-ca-rsa2048-g1, "
		      "rds-ca-rsa4096-g1, rds-ca-ecc384-g1, rds-ca-2019)";
	for (int i = o->first; !why && i < argc; i++)
		if (strchr(argv[i], '/'))
			why = "an ENDPOINT is a host name, not a file: each "
			      "--aws and each --audit names one file";
	if (!why && (o->first < argc || o->naws))
		return 0;
	fprintf(stderr, "%s%s%susage: %s\n", why ? "pgverify rotation: " : "",
		why ? why : "", why ? "\n" : "", usage);
	return 1;
}

/* Read every --aws file, the ENDPOINT operands and the --audit files. */
static int load(struct rotation *r, int argc, char **argv)
{
	char err[1300];

	aws_init(&r->in);
	for (size_t i = 0; i < r->o->naws; i++)
		if (aws_read(&r->in, r->o->aws[i], err, sizeof(err)) < 0) {
			fprintf(stderr, "pgverify rotation: %s\n", err);
			return -1;
		}
	for (int i = r->o->first; i < argc; i++)
		if (aws_add_endpoint(&r->in, argv[i]) < 0) {
			fprintf(stderr, "pgverify rotation: out of memory\n");
			return -1;
		}
	if (r->o->naudit &&
	    !(r->clients =
		  clients_read(r->o->audit, r->o->naudit, err, sizeof(err)))) {
		fprintf(stderr, "pgverify rotation: %s\n", err);
		return -1;
	}
	return 0;
}

int cmd_rotation(int argc, char **argv)
{
	struct cli_opts o;
	struct rotation r;
	char err[1024];
	int status = EXIT_USAGE;

	memset(&r, 0, sizeof(r));
	if (cli_options(argc, argv, usage, CLI_JSON | CLI_ROTATION, &o,
			&status) < 0 ||
	    bad_usage(&o, argc, argv)) {
		cli_opts_free(&o);
		return status;
	}
	r.o = &o;
	r.now = (long long)time(NULL);
	if (!(r.cfg = cli_config(&o, err, sizeof(err))))
		fprintf(stderr, "pgverify: %s\n", err);
	else if (load(&r, argc, argv) == 0)
		status = run(&r);
	aws_free(&r.in);
	json_decref(r.clients);
	trust_cache_free(r.cache);
	pgverify_config_free(r.cfg);
	cli_opts_free(&o);
	return status;
}
