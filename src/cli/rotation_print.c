/*
 * pgverify rotation's output: one line per endpoint in aligned columns and
 * a summary (hundreds of instances stay readable), --long's block per
 * endpoint, or --json.  Every value from a file is printed with its
 * control characters escaped: no line can start inside one.
 */
#include "json.h"
#include "mask.h"
#include "rotation.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const status_word[] = {"ready", "NOT READY", "unknown"};
static const char *const status_key[] = {"ready", "not ready", "unknown"};

/* `s` with control characters escaped, "-" for NULL. */
static const char *shown(const char *s, char *buf, size_t len)
{
	snprintf(buf, len, "%s", s ? s : "-");
	pgv_escape_controls(buf, len);
	return buf;
}

static int shown_len(const char *s)
{
	char buf[1100];

	return (int)strlen(shown(s, buf, sizeof(buf)));
}

static int max(int a, int b)
{
	return a > b ? a : b;
}

void print_widths(const struct aws_input *in, struct widths *w)
{
	w->name = (int)strlen("NAME");
	w->endpoint = (int)strlen("ENDPOINT");
	w->ca = (int)strlen("CA");
	for (size_t i = 0; i < in->ndbs; i++) {
		w->name = max(w->name, shown_len(in->dbs[i].name));
		w->endpoint = max(w->endpoint, shown_len(in->dbs[i].address));
		w->ca = max(w->ca, shown_len(in->dbs[i].ca));
	}
}

void print_header(const struct widths *w)
{
	printf("%-*s  %-*s  %-*s  %-9s  %s\n", w->name, "NAME", w->endpoint,
	       "ENDPOINT", w->ca, "CA", "STATUS", "DETAIL");
}

/* The bundle's not-after for `id`, as a date. */
static const char *until(const struct verdict *v, const char *id, char date[16])
{
	int i = pgv_rds_id_index(id);

	return i >= 0 && v->trust ? cli_date(v->trust->until[i], date) : "?";
}

/* What a fix is, before its command. */
static const char *fix_lead(const struct verdict *v)
{
	if (!v->fix_action)
		return NULL;
	if (strcmp(v->fix_action, "renew") == 0)
		return "renew the server certificate";
	if (strcmp(v->fix_action, "update-bundle") == 0)
		return "update the bundle";
	return "fix";
}

/* The ids the bundle trusts for the region, ", "-separated. */
static void trusted_ids(const struct verdict *v, char *out, size_t len)
{
	size_t k = 0;

	out[0] = '\0';
	for (size_t i = 0; v->trust && i < PGV_RDS_IDS && k < len; i++)
		if (v->trust->trusted[i])
			k += (size_t)snprintf(out + k, len - k, "%s%s",
					      k ? ", " : "", pgv_rds_ids[i]);
	if (!out[0])
		snprintf(out, len, "none");
}

/* The last column of an endpoint's line. */
static void detail(const struct verdict *v, char *out, size_t len)
{
	char date[16], date2[16], ids[200];
	size_t k = 0;

	out[0] = '\0';
	if (v->status == UNKNOWN) {
		trusted_ids(v, ids, sizeof(ids));
		k = (size_t)snprintf(
		    out, len,
		    "CA id not known (--aws or --to CA_ID names it); "
		    "trusted for %s: %s",
		    v->region, ids);
	} else if (v->status == READY) {
		k = (size_t)snprintf(out, len, "%s trusted until %s", v->target,
				     until(v, v->target, date));
		if (v->cert_till && k < len)
			snprintf(out + k, len - k,
				 "; server certificate valid till %s",
				 cli_date(v->cert_till, date2));
	}
	for (int i = 0; i < v->nproblems && k < len; i++)
		k += (size_t)snprintf(out + k, len - k, "%s%s", i ? "; " : "",
				      v->problems[i]);
	if (v->fix_action && k < len)
		snprintf(out + k, len - k, "; %s: %s", fix_lead(v), v->fix);
	pgv_escape_controls(out, len);
}

/* The programs whose trust would not survive, one per line. */
static void print_clients(const struct verdict *v, const char *first,
			  const char *next)
{
	char name[1200], why[1400];

	for (long i = 0; i < v->nclients; i++)
		printf("%s%s: %s\n", i ? next : first,
		       client_name(v->clients[i].who, name, sizeof(name)),
		       shown(v->clients[i].why, why, sizeof(why)));
}

void print_line(const struct verdict *v, const struct widths *w)
{
	char name[1100], address[1100], ca[1100], text[8192];

	detail(v, text, sizeof(text));
	printf("%-*s  %-*s  %-*s  %-9s  %s\n", w->name,
	       shown(v->db->name, name, sizeof(name)), w->endpoint,
	       shown(v->db->address, address, sizeof(address)), w->ca,
	       shown(v->db->ca, ca, sizeof(ca)), status_word[v->status], text);
	print_clients(v, "  ", "  ");
}

/* " (CA valid till DATE)" or " (CA expired DATE)" from
 * describe-certificates, or "". */
static const char *ca_note(const struct rotation *r, const char *id, char *buf,
			   size_t len)
{
	const struct aws_ca *ca = aws_ca_of(&r->in, id);
	char date[16];
	long long t;
	int past;

	buf[0] = '\0';
	if (!ca)
		return buf;
	past = aws_past(ca->valid_till, r->now, &t);
	if (t)
		snprintf(buf, len, " (CA %s %s)",
			 past ? "expired" : "valid till", cli_date(t, date));
	return buf;
}

static void long_trust(const struct verdict *v)
{
	char date[16];

	for (size_t i = 0; i < PGV_RDS_G1_IDS; i++)
		printf("  %-10s %s %s%s\n", i ? "" : v->region, pgv_rds_ids[i],
		       v->trust->trusted[i] ? "trusted until "
					    : "NOT in the bundle",
		       v->trust->trusted[i] ? cli_date(v->trust->until[i], date)
					    : "");
}

static void long_current(const struct rotation *r, const struct verdict *v)
{
	char ca[300], note[64], till[300];
	int ready = v->current == 1 && !v->cert_expired &&
		    !aws_past(v->ca ? v->ca->valid_till : NULL, r->now, NULL);

	if (!v->db->ca)
		return;
	printf("  current    %s%s%s%s: %s\n", shown(v->db->ca, ca, sizeof(ca)),
	       ca_note(r, v->db->ca, note, sizeof(note)),
	       v->db->valid_till ? ", server certificate valid till " : "",
	       v->db->valid_till ? shown(v->db->valid_till, till, sizeof(till))
				 : "",
	       ready ? "ready" : "NOT READY");
}

/* A change to `id`: the one --to names, or each other G1 id. */
static void long_change(const struct rotation *r, const struct verdict *v,
			const char *id)
{
	char note[64];
	int ok = trust_has(v->trust, id);

	printf("  change to  %s%s: %s%s\n", id,
	       ca_note(r, id, note, sizeof(note)),
	       ok	  ? "ready"
	       : r->o->to ? "NOT READY: "
			  : "would break: ",
	       ok ? "" : "the bundle has no valid root for it in this region");
}

static void long_changes(const struct rotation *r, const struct verdict *v)
{
	const char *to = r->o->to, *ca = v->db->ca;

	if (to && (!ca || strcmp(to, ca) != 0))
		long_change(r, v, to);
	for (size_t i = 0; !to && i < PGV_RDS_G1_IDS; i++)
		if (!ca || strcmp(pgv_rds_ids[i], ca) != 0)
			long_change(r, v, pgv_rds_ids[i]);
}

static void long_verdict(const struct verdict *v)
{
	char text[8192];
	size_t k = 0;

	for (int i = 0; i < v->nproblems && k < sizeof(text); i++)
		k += (size_t)snprintf(text + k, sizeof(text) - k, "%s%s",
				      i ? "; " : "", v->problems[i]);
	pgv_escape_controls(text, sizeof(text));
	printf("  status     %s%s%s\n", status_word[v->status],
	       v->nproblems ? ": " : "", v->nproblems ? text : "");
	if (v->fix_action) {
		snprintf(text, sizeof(text), "%s", v->fix);
		pgv_escape_controls(text, sizeof(text));
		printf("  %-10s %s%s%s\n", "fix",
		       strcmp(v->fix_action, "modify") ? fix_lead(v) : "",
		       strcmp(v->fix_action, "modify") ? ": " : "", text);
	}
	print_clients(v, "  clients    ", "             ");
}

void print_long(const struct rotation *r, const struct verdict *v)
{
	char address[1100], name[1100], bundle[PATH_MAX], rule[600];

	printf("%s%s%s%s\n", shown(v->db->address, address, sizeof(address)),
	       v->db->name ? " (" : "",
	       v->db->name ? shown(v->db->name, name, sizeof(name)) : "",
	       v->db->name ? ")" : "");
	if (v->trust) {
		printf("  bundle     %s%s%s%s\n",
		       shown(v->bundle, bundle, sizeof(bundle)),
		       v->rule[0] ? " (hosts rule \"" : "",
		       v->rule[0] ? shown(v->rule, rule, sizeof(rule)) : "",
		       v->rule[0] ? "\")" : "");
		long_trust(v);
		long_current(r, v);
		long_changes(r, v);
	}
	long_verdict(v);
}

/* The other engines, most instances first (the first seen on a tie). */
static void others_sorted(const struct aws_input *in, struct aws_other *out)
{
	/* memcpy() must not be given NULL, even for nothing. */
	if (in->nothers)
		memcpy(out, in->others, in->nothers * sizeof(*out));
	for (size_t i = 1; i < in->nothers; i++)
		for (size_t k = i; k > 0 && out[k].n > out[k - 1].n; k--) {
			struct aws_other t = out[k];
			out[k] = out[k - 1];
			out[k - 1] = t;
		}
}

static size_t others_total(const struct aws_input *in)
{
	size_t n = 0;

	for (size_t i = 0; i < in->nothers; i++)
		n += in->others[i].n;
	return n;
}

static void print_others(const struct aws_input *in)
{
	struct aws_other *o = calloc(in->nothers + 1, sizeof(*o));
	size_t n = others_total(in);
	char engine[300];

	if (!o || !n) {
		free(o);
		return;
	}
	others_sorted(in, o);
	printf("skipped %zu instance%s of other engines (", n,
	       n == 1 ? "" : "s");
	for (size_t i = 0; i < in->nothers; i++)
		printf("%s%s %zu", i ? ", " : "",
		       shown(o[i].engine, engine, sizeof(engine)), o[i].n);
	printf(")\n");
	free(o);
}

/* How many endpoints are on CA `id`. */
static size_t on_ca(const struct aws_input *in, const char *id)
{
	size_t n = 0;

	for (size_t i = 0; i < in->ndbs; i++)
		n += in->dbs[i].ca && strcmp(in->dbs[i].ca, id) == 0;
	return n;
}

/* A CA id whose ValidTill (describe-certificates) is past. */
static void print_expired_cas(const struct rotation *r)
{
	char id[300], date[16];
	long long t;
	size_t n;

	for (size_t i = 0; i < r->in.ncas; i++) {
		if (!aws_past(r->in.cas[i].valid_till, r->now, &t))
			continue;
		n = on_ca(&r->in, r->in.cas[i].id);
		printf("warning: CA %s expired %s (describe-certificates)",
		       shown(r->in.cas[i].id, id, sizeof(id)),
		       cli_date(t, date));
		if (n)
			printf("; %zu instance%s still on it", n,
			       n == 1 ? " is" : "s are");
		printf("\n");
	}
}

void print_summary(const struct rotation *r)
{
	const long *c = r->counts;
	long total = c[READY] + c[NOT_READY] + c[UNKNOWN];
	int endpoints = 1;

	for (size_t i = 0; i < r->in.ndbs; i++)
		endpoints &= r->in.dbs[i].kind == AWS_ENDPOINT;
	printf("%ld %s%s: %ld ready", total,
	       endpoints && total ? "endpoint" : "instance",
	       total == 1 ? "" : "s", c[READY]);
	if (c[NOT_READY])
		printf(", %ld NOT READY", c[NOT_READY]);
	if (c[UNKNOWN])
		printf(", %ld with no CA id known", c[UNKNOWN]);
	printf("\n");
	print_others(&r->in);
	if (r->in.no_endpoint)
		printf("left out %zu instance%s without an endpoint (not yet "
		       "available)\n",
		       r->in.no_endpoint, r->in.no_endpoint == 1 ? "" : "s");
	print_expired_cas(r);
}

static void json_client(struct json *j, const struct exposure *x)
{
	const json_t *uid = json_object_get(x->who, "uid");

	json_open(j, NULL, '{');
	json_str(j, "program",
		 json_string_value(json_object_get(x->who, "program")));
	json_str(j, "user", json_string_value(json_object_get(x->who, "user")));
	if (json_is_integer(uid))
		json_int(j, "uid", (long long)json_integer_value(uid));
	else
		json_str(j, "uid", NULL);
	json_str(j, "unit", json_string_value(json_object_get(x->who, "unit")));
	json_str(j, "hostname",
		 json_string_value(json_object_get(x->who, "hostname")));
	json_str(j, "bundle",
		 json_string_value(json_object_get(x->who, "bundle")));
	if (x->cannot_tell)
		json_str(j, "trusts", NULL);
	else
		json_bool(j, "trusts", 0);
	json_str(j, "reason", x->why);
	json_close(j, '}');
}

static const char *const kinds[] = {"endpoint", "instance", "cluster"};

/* {"id", "valid_till"} of describe-certificates, or null. */
static void json_ca_till(struct json *j, const struct rotation *r,
			 const char *id)
{
	const struct aws_ca *ca = aws_ca_of(&r->in, id);

	json_str(j, "ca_valid_till", ca ? ca->valid_till : NULL);
}

static void json_current(struct json *j, const struct rotation *r,
			 const struct verdict *v)
{
	json_open(j, "current", '{');
	json_str(j, "id", v->db->ca);
	json_str(j, "valid_till", v->db->valid_till);
	if (v->db->valid_till)
		json_bool(j, "expired", v->cert_expired);
	else
		json_str(j, "expired", NULL);
	json_ca_till(j, r, v->db->ca);
	if (v->current < 0)
		json_str(j, "ready", NULL);
	else
		json_bool(j, "ready", v->current);
	json_close(j, '}');
}

static void json_trust(struct json *j, const struct rotation *r,
		       const struct verdict *v)
{
	char date[16];
	const char *to = r->o->to, *ca = v->db->ca;

	json_open(j, "trusted", '[');
	for (size_t i = 0; v->trust && i < PGV_RDS_IDS; i++) {
		if (!v->trust->trusted[i])
			continue;
		json_open(j, NULL, '{');
		json_str(j, "id", pgv_rds_ids[i]);
		json_str(j, "until", cli_date(v->trust->until[i], date));
		json_close(j, '}');
	}
	json_close(j, ']');
	json_open(j, "changes", '[');
	for (size_t i = 0; v->trust && i < PGV_RDS_IDS; i++) {
		const char *id = pgv_rds_ids[i];
		if ((to ? strcmp(id, to) != 0 : i >= PGV_RDS_G1_IDS) ||
		    (ca && strcmp(id, ca) == 0))
			continue;
		json_open(j, NULL, '{');
		json_str(j, "id", id);
		json_bool(j, "ready", v->trust->trusted[i]);
		json_ca_till(j, r, id);
		json_close(j, '}');
	}
	json_close(j, ']');
}

void json_verdict(struct json *j, const struct rotation *r,
		  const struct verdict *v)
{
	json_open(j, NULL, '{');
	json_str(j, "name", v->db->name);
	json_str(j, "kind", kinds[v->db->kind]);
	json_str(j, "engine", v->db->engine);
	json_str(j, "endpoint", v->db->address);
	json_str(j, "region", v->region[0] ? v->region : NULL);
	json_str(j, "bundle", v->bundle[0] ? v->bundle : NULL);
	json_str(j, "rule", v->rule[0] ? v->rule : NULL);
	json_str(j, "error", v->error[0] ? v->error : NULL);
	json_str(j, "status", status_key[v->status]);
	json_open(j, "problems", '[');
	for (int i = 0; i < v->nproblems; i++)
		json_str(j, NULL, v->problems[i]);
	json_close(j, ']');
	json_trust(j, r, v);
	json_current(j, r, v);
	if (v->fix_action) {
		json_open(j, "fix", '{');
		json_str(j, "action", v->fix_action);
		json_str(j, "command", v->fix);
		json_close(j, '}');
	} else {
		json_str(j, "fix", NULL);
	}
	json_open(j, "clients", '[');
	for (long i = 0; i < v->nclients; i++)
		json_client(j, &v->clients[i]);
	json_close(j, ']');
	json_bool(j, "ok", v->status != NOT_READY);
	json_close(j, '}');
}

void json_summary(struct json *j, const struct rotation *r)
{
	struct aws_other *o = calloc(r->in.nothers + 1, sizeof(*o));
	long long t;

	json_open(j, "summary", '{');
	json_int(j, "ready", r->counts[READY]);
	json_int(j, "not_ready", r->counts[NOT_READY]);
	json_int(j, "unknown", r->counts[UNKNOWN]);
	json_int(j, "other_engines_skipped", (long long)others_total(&r->in));
	json_open(j, "other_engines", '[');
	if (o)
		others_sorted(&r->in, o);
	for (size_t i = 0; o && i < r->in.nothers; i++) {
		json_open(j, NULL, '{');
		json_str(j, "engine", o[i].engine);
		json_int(j, "count", (long long)o[i].n);
		json_close(j, '}');
	}
	json_close(j, ']');
	json_int(j, "without_endpoint", (long long)r->in.no_endpoint);
	json_open(j, "expired_cas", '[');
	for (size_t i = 0; i < r->in.ncas; i++) {
		if (!aws_past(r->in.cas[i].valid_till, r->now, &t))
			continue;
		json_open(j, NULL, '{');
		json_str(j, "id", r->in.cas[i].id);
		json_str(j, "valid_till", r->in.cas[i].valid_till);
		json_int(j, "instances",
			 (long long)on_ca(&r->in, r->in.cas[i].id));
		json_close(j, '}');
	}
	json_close(j, ']');
	json_close(j, '}');
	free(o);
}
