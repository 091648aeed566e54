/*
 * pgverify report [--json] [--since TIME] [--program NAME] [--host GLOB]
 * [FILE...]: audit records summarised per program, user, unit, machine and
 * database host; what each program asked for, what enforcement would
 * refuse or fail to verify and why, what failed under enforcement and why.
 */
#include "cli.h"
#include "json.h"
#include "records.h"

#include <fnmatch.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static const char usage[] = "pgverify report [--json] [--since TIME] "
			    "[--program NAME] [--host GLOB] [FILE...]";

static const char *const decisions[] = {"upgraded", "kept",	"left",
					"refused",  "reported", NULL};
#define NDECISIONS 5

struct count {
	char *text;
	long n;
};

struct tally {
	struct count *items;
	size_t n;
};

/* The records of one program, user, unit and machine, to one host list
 * and port. */
struct group {
	char *key[6]; /* program user unit hostname hosts port */
	long decided[NDECISIONS];
	long would_refuse, would_not_verify, failed, own_verify;
	struct tally asked, reasons, failures, cas;
	char *soonest, *first, *last; /* RFC 3339 UTC sorts as text */
};

enum { K_PROGRAM, K_USER, K_UNIT, K_HOSTNAME, K_HOSTS, K_PORT, NKEYS };
static const char *const key_names[NKEYS] = {"program",	 "user",  "unit",
					     "hostname", "hosts", "port"};

/* Which records count: --since (as "YYYY-MM-DDTHH:MM:SS"), --program,
 * --host. */
struct filter {
	char since[20];
	const char *program, *host;
};

struct summary {
	struct filter filter;
	struct group *groups;
	size_t ngroups;
	long records; /* that passed the filter */
};

static const char *str(const json_t *o, const char *key)
{
	return json_string_value(json_object_get(o, key));
}

static int tally(struct tally *t, const char *text)
{
	struct count *grown;

	for (size_t i = 0; i < t->n; i++)
		if (strcmp(t->items[i].text, text) == 0)
			return (int)++t->items[i].n;
	grown = realloc(t->items, (t->n + 1) * sizeof(*grown));
	if (!grown)
		return -1;
	t->items = grown;
	if (!(grown[t->n].text = strdup(text)))
		return -1;
	grown[t->n++].n = 1;
	return 1;
}

/* Keep in `*slot` the least (want < 0) or greatest of it and `v`. */
static int keep(char **slot, const char *v, int want)
{
	int cmp;

	if (!v)
		return 0;
	cmp = *slot ? strcmp(v, *slot) : want;
	if ((want < 0 && cmp >= 0) || (want > 0 && cmp <= 0))
		return 0;
	free(*slot);
	*slot = strdup(v);
	return *slot ? 0 : -1;
}

/* The strings of JSON array `a`, joined with commas, after `out`'s k
 * bytes; the new length. */
static size_t join(const json_t *a, char *out, size_t len, size_t k)
{
	const json_t *v;
	size_t i;

	json_array_foreach(a, i, v) k += (size_t)snprintf(
	    out + k, k < len ? len - k : 0, "%s%s", i ? "," : "",
	    json_string_value(v) ? json_string_value(v) : "");
	return k < len ? k : len - 1;
}

/* "a,b", "a,b (hostaddr x,y)", "x,y", or "(Unix socket)". */
static void join_hosts(const json_t *r, char *out, size_t len)
{
	const json_t *addrs = json_object_get(r, "hostaddrs");
	size_t k = join(json_object_get(r, "hosts"), out, len, 0);

	out[k] = '\0';
	if (json_array_size(addrs) == 0) {
		if (!k)
			snprintf(out, len, "(Unix socket)");
		return;
	}
	if (k)
		k += (size_t)snprintf(out + k, len - k, " (hostaddr ");
	k = join(addrs, out, len, k < len ? k : len - 1);
	if (out[0] != '\0' && strstr(out, " (hostaddr "))
		snprintf(out + k, len - k, ")");
}

static void key_of(const json_t *r, char *hosts, size_t len,
		   const char *key[NKEYS])
{
	join_hosts(r, hosts, len);
	key[K_PROGRAM] = str(r, "program") ?: "(unknown)";
	key[K_USER] = str(r, "user") ?: "";
	key[K_UNIT] = str(r, "unit") ?: "";
	key[K_HOSTNAME] = str(r, "hostname") ?: "";
	key[K_HOSTS] = hosts;
	key[K_PORT] = str(r, "port") ?: "(default)";
}

static struct group *group_for(struct summary *s, const char *key[NKEYS])
{
	struct group *g;
	size_t i;
	int k;

	for (i = 0; i < s->ngroups; i++) {
		for (k = 0; k < NKEYS; k++)
			if (strcmp(s->groups[i].key[k], key[k]) != 0)
				break;
		if (k == NKEYS)
			return &s->groups[i];
	}
	g = realloc(s->groups, (s->ngroups + 1) * sizeof(*g));
	if (!g)
		return NULL;
	s->groups = g;
	g = &g[s->ngroups++];
	memset(g, 0, sizeof(*g));
	for (k = 0; k < NKEYS; k++)
		if (!(g->key[k] = strdup(key[k])))
			return NULL;
	return g;
}

static int host_matches(const json_t *r, const char *glob)
{
	const json_t *v;
	size_t i;

	json_array_foreach(json_object_get(r, "hosts"), i,
			   v) if (json_string_value(v) &&
				  fnmatch(glob, json_string_value(v),
					  FNM_CASEFOLD) == 0) return 1;
	return 0;
}

static int wanted(const struct filter *f, const json_t *r)
{
	const char *time = str(r, "time"), *program = str(r, "program");

	if (f->since[0] &&
	    (!time || strncmp(time, f->since, strlen(f->since)) < 0))
		return 0;
	if (f->program && (!program || fnmatch(f->program, program, 0) != 0))
		return 0;
	return !f->host || host_matches(r, f->host);
}

/* libpq's "connection to server at "h" (a), port p failed: " says again
 * what the group says; the reason is what follows. */
static const char *failure_of(const json_t *r)
{
	const char *error = str(r, "error") ?: str(r, "reason");
	const char *p = error ? strstr(error, " failed: ") : NULL;

	if (!error)
		return "(no message)";
	if (p && strncmp(error, "connection to server ", 21) == 0)
		error = p + 9;
	if (strstr(error, "server does not support SSL"))
		return "the server offers no TLS (server does not support "
		       "SSL, but SSL was required)";
	return error;
}

/* What the program asked for: its sslmode, and whether it verified the
 * server itself (a verify mode and a bundle of its own). */
static int add_asked(struct group *g, const json_t *r)
{
	const char *mode = str(r, "sslmode_before") ?: "(unknown)";
	int own = strncmp(mode, "verify-", 7) == 0 &&
		  str(r, "sslrootcert_before") != NULL;
	char text[128];

	g->own_verify += own;
	snprintf(text, sizeof(text), "sslmode %s%s", mode,
		 own ? " with its own bundle" : "");
	return tally(&g->asked, text);
}

static int add_outcome(struct group *g, const json_t *r, const char *decision)
{
	const char *would = str(r, "would"), *outcome = str(r, "outcome");
	const char *mode = str(r, "mode");
	int rc = 0;

	if (would && strcmp(would, "refuse") == 0) {
		g->would_refuse++;
		rc |= tally(&g->reasons, str(r, "reason") ?: "(no reason)");
	} else if (json_is_false(json_object_get(r, "would_verify"))) {
		g->would_not_verify++;
		rc |= tally(&g->reasons,
			    str(r, "would_verify_error") ?: "(no reason)");
	}
	/* Under enforcement: refused, or upgraded or kept and then failed
	 * (a left connection's failure is not enforcement's doing). */
	if (mode && strcmp(mode, "enforce") == 0 &&
	    (strcmp(decision, "refused") == 0 ||
	     (outcome && strcmp(outcome, "failed") == 0 &&
	      strcmp(decision, "left") != 0))) {
		g->failed++;
		rc |= tally(&g->failures, failure_of(r));
	}
	return rc;
}

static int add_ca(struct group *g, const json_t *r)
{
	const char *ca = str(r, "ca"), *id = str(r, "ca_id");
	char text[512];

	if (!ca)
		return 0;
	snprintf(text, sizeof(text), "%s%s%s%s", ca, id ? " [" : "",
		 id ? id : "", id ? "]" : "");
	return tally(&g->cas, text);
}

static int add_record(json_t *r, void *arg)
{
	struct summary *s = arg;
	const char *decision = str(r, "decision"), *time = str(r, "time");
	const char *key[NKEYS];
	char hosts[1024];
	struct group *g;
	int rc;

	if (!wanted(&s->filter, r))
		return 0;
	key_of(r, hosts, sizeof(hosts), key);
	if (!(g = group_for(s, key)))
		return -1;
	for (size_t i = 0; i < NDECISIONS; i++)
		g->decided[i] += strcmp(decision, decisions[i]) == 0;
	rc = add_asked(g, r) | add_outcome(g, r, decision) | add_ca(g, r);
	rc |= keep(&g->soonest, str(r, "cert_not_after"), -1);
	rc |= keep(&g->first, time, -1) | keep(&g->last, time, 1);
	s->records++;
	return rc < 0 ? -1 : 0;
}

static int by_count(const void *a, const void *b)
{
	const struct count *x = a, *y = b;

	return (y->n > x->n) - (y->n < x->n);
}

static void sort_tally(struct tally *t)
{
	/* qsort() must not be given NULL, even for no element. */
	if (t->n)
		qsort(t->items, t->n, sizeof(*t->items), by_count);
}

/* Would enforcing have broken something in this group? */
static long broken(const struct group *g)
{
	return g->would_refuse + g->would_not_verify;
}

static void print_tally(const char *indent, const struct tally *t, size_t most)
{
	for (size_t i = 0; i < t->n && i < most; i++)
		printf("%s%ld x %s\n", indent, t->items[i].n, t->items[i].text);
	if (t->n > most)
		printf("%s(%zu more; see --json)\n", indent, t->n - most);
}

/* "psql (user alice, unit billing.service, on app1)  db port 5432" */
static void print_heading(const struct group *g)
{
	const char *sep = " (";

	printf("%s", g->key[K_PROGRAM]);
	for (int k = K_USER; k <= K_HOSTNAME; k++) {
		if (!*g->key[k])
			continue;
		printf("%s%s%s", sep,
		       k == K_HOSTNAME ? "on "
		       : k == K_USER   ? "user "
				       : "unit ",
		       g->key[k]);
		sep = ", ";
	}
	printf("%s  %s port %s\n", *sep == ',' ? ")" : "", g->key[K_HOSTS],
	       g->key[K_PORT]);
}

static void print_group(const struct group *g)
{
	const char *sep = "  ";

	print_heading(g);
	for (size_t i = 0; i < NDECISIONS; i++)
		if (g->decided[i]) {
			printf("%s%s %ld", sep, decisions[i], g->decided[i]);
			sep = ", ";
		}
	printf("; failed %ld\n", g->failed);
	printf("  asked for:\n");
	print_tally("    ", &g->asked, 4);
	printf("  would refuse %ld, would not verify %ld\n", g->would_refuse,
	       g->would_not_verify);
	print_tally("  ", &g->reasons, 3);
	if (g->failed) {
		printf("  failed under enforcement:\n");
		print_tally("    ", &g->failures, 3);
	}
	for (size_t i = 0; i < g->cas.n; i++)
		printf("  CA %s (%ld)\n", g->cas.items[i].text,
		       g->cas.items[i].n);
	if (g->soonest)
		printf("  soonest certificate expiry %s\n", g->soonest);
	printf("  seen %s to %s\n", g->first ?: "?", g->last ?: "?");
}

static void json_tally(struct json *j, const char *key, const struct tally *t,
		       const char *name)
{
	json_open(j, key, '[');
	for (size_t i = 0; i < t->n; i++) {
		json_open(j, NULL, '{');
		json_str(j, name, t->items[i].text);
		json_int(j, "count", t->items[i].n);
		json_close(j, '}');
	}
	json_close(j, ']');
}

static void json_group(struct json *j, const struct group *g)
{
	json_open(j, NULL, '{');
	for (int k = 0; k < NKEYS; k++)
		json_str(j, key_names[k],
			 *g->key[k] || k >= K_HOSTS ? g->key[k] : NULL);
	json_open(j, "decisions", '{');
	for (size_t i = 0; i < NDECISIONS; i++)
		json_int(j, decisions[i], g->decided[i]);
	json_close(j, '}');
	json_tally(j, "asked", &g->asked, "sslmode");
	json_int(j, "verified_on_its_own", g->own_verify);
	json_int(j, "would_refuse", g->would_refuse);
	json_int(j, "would_not_verify", g->would_not_verify);
	json_tally(j, "reasons", &g->reasons, "reason");
	json_int(j, "failed", g->failed);
	json_tally(j, "failures", &g->failures, "reason");
	json_tally(j, "cas", &g->cas, "ca");
	json_str(j, "soonest_cert_not_after", g->soonest);
	json_str(j, "first_seen", g->first);
	json_str(j, "last_seen", g->last);
	json_close(j, '}');
}

static void print_json(const struct summary *s, long skipped)
{
	struct json j;

	json_init(&j, stdout);
	json_open(&j, NULL, '{');
	json_int(&j, "records", s->records);
	json_int(&j, "skipped_lines", skipped);
	json_open(&j, "groups", '[');
	for (size_t i = 0; i < s->ngroups; i++)
		json_group(&j, &s->groups[i]);
	json_close(&j, ']');
	json_close(&j, '}');
	json_end(&j);
}

static void free_tally(struct tally *t)
{
	for (size_t i = 0; i < t->n; i++)
		free(t->items[i].text);
	free(t->items);
}

static void free_summary(struct summary *s)
{
	for (size_t i = 0; i < s->ngroups; i++) {
		struct group *g = &s->groups[i];
		for (int k = 0; k < NKEYS; k++)
			free(g->key[k]);
		free_tally(&g->asked);
		free_tally(&g->reasons);
		free_tally(&g->failures);
		free_tally(&g->cas);
		free(g->soonest);
		free(g->first);
		free(g->last);
	}
	free(s->groups);
}

static int report(struct summary *s, long skipped, int want_json)
{
	long broke = 0, failed = 0;

	for (size_t i = 0; i < s->ngroups; i++) {
		struct group *g = &s->groups[i];
		sort_tally(&g->asked);
		sort_tally(&g->reasons);
		sort_tally(&g->failures);
		sort_tally(&g->cas);
		broke += broken(g);
		failed += g->failed;
	}
	if (want_json) {
		print_json(s, skipped);
	} else {
		for (size_t i = 0; i < s->ngroups; i++)
			print_group(&s->groups[i]);
		printf("%ld records, %ld would break under enforcement, %ld "
		       "failed under enforcement%s\n",
		       s->records, broke, failed,
		       skipped ? " (some lines were not audit records)" : "");
	}
	return broke || failed ? EXIT_REFUSED : EXIT_OK;
}

/* --since: "YYYY-MM-DD[THH:MM[:SS]][Z]" in UTC (a space for the T), or
 * "N" with m, h or d: that long ago. */
static int parse_since(const char *arg, char out[20])
{
	char unit = 0, extra;
	long n;
	struct tm tm;
	time_t t;

	if (sscanf(arg, "%ld%c%c", &n, &unit, &extra) == 2 && n >= 0 &&
	    (unit == 'm' || unit == 'h' || unit == 'd')) {
		t = time(NULL) - n * (unit == 'm'   ? 60
				      : unit == 'h' ? 3600
						    : 86400);
		gmtime_r(&t, &tm);
		strftime(out, 20, "%Y-%m-%dT%H:%M:%S", &tm);
		return 0;
	}
	memset(&tm, 0, sizeof(tm));
	const char *end = strptime(arg, "%Y-%m-%d", &tm);
	if (end && (*end == 'T' || *end == ' ') && end[1])
		end = strptime(end + 1, "%H:%M", &tm);
	if (end && *end == ':')
		end = strptime(end + 1, "%S", &tm);
	if (!end || (*end && strcmp(end, "Z") != 0))
		return -1;
	strftime(out, 20, "%Y-%m-%dT%H:%M:%S", &tm);
	return 0;
}

static int read_all(struct summary *s, int argc, char **argv, int first,
		    long *skipped)
{
	char err[1200];
	int i = first, rc;

	*skipped = 0;
	do {
		const char *path = i < argc ? argv[i] : "-";
		rc = records_read(path, add_record, s, skipped, err,
				  sizeof(err));
		if (rc == -1)
			fprintf(stderr, "pgverify report: %s\n", err);
		else if (rc)
			fprintf(stderr, "pgverify report: out of memory\n");
		if (rc)
			return -1;
	} while (++i < argc);
	return 0;
}

int cmd_report(int argc, char **argv)
{
	struct cli_opts o;
	struct summary s = {0};
	long skipped = 0;
	int status = EXIT_OK;

	if (cli_options(argc, argv, usage, CLI_JSON | CLI_REPORT, &o, &status) <
	    0)
		return status;
	if (o.since && parse_since(o.since, s.filter.since) < 0) {
		fprintf(stderr,
			"pgverify report: --since takes a UTC date and time "
			"(2026-12-01, 2026-12-01T08:00:00Z) or a time ago "
			"(30m, 12h, 7d), not \"%s\"\n",
			o.since);
		return EXIT_USAGE;
	}
	s.filter.program = o.program;
	s.filter.host = o.host;
	if (read_all(&s, argc, argv, o.first, &skipped) < 0) {
		status = EXIT_USAGE;
	} else if (s.records == 0) {
		fprintf(stderr, "pgverify report: no audit record%s\n",
			o.since || o.program || o.host ? " matched"
						       : " to read");
		status = EXIT_USAGE;
	} else {
		status = report(&s, skipped, o.json);
	}
	free_summary(&s);
	return status;
}
