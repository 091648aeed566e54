/*
 * pgverify report [--json] [FILE...]: audit records summarised per program
 * and host.  Reads the shim's JSON lines, or `journalctl -o json` output
 * whose MESSAGE carries them (audit = "syslog"); parsed with jansson.
 */
#include "cli.h"
#include "json.h"

#include <errno.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

static const char usage[] = "pgverify report [--json] [FILE...]";

#define SYSLOG_PREFIX "pgverify-audit: "

static const char *const decisions[] = {"upgraded", "kept",	"left",
					"refused",  "reported", NULL};
#define NDECISIONS 5

struct count {
	char *text;
	long n;
};

/* The records of one program, host list and port. */
struct group {
	char *program, *hosts, *port;
	long decided[NDECISIONS];
	long would_refuse, would_not_verify, failed;
	struct count *reasons, *cas;
	size_t nreasons, ncas;
	char *soonest, *first, *last; /* RFC 3339 UTC sorts as text */
};

struct summary {
	struct group *groups;
	size_t ngroups;
	long records, skipped;
	int failed; /* out of memory */
};

static const char *str(const json_t *o, const char *key)
{
	return json_string_value(json_object_get(o, key));
}

static int tally(struct count **list, size_t *n, const char *text)
{
	struct count *grown;

	for (size_t i = 0; i < *n; i++)
		if (strcmp((*list)[i].text, text) == 0)
			return (int)++(*list)[i].n;
	grown = realloc(*list, (*n + 1) * sizeof(*grown));
	if (!grown)
		return -1;
	*list = grown;
	if (!(grown[*n].text = strdup(text)))
		return -1;
	grown[(*n)++].n = 1;
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

static struct group *group_for(struct summary *s, const char *program,
			       const char *hosts, const char *port)
{
	struct group *g;

	for (size_t i = 0; i < s->ngroups; i++)
		if (strcmp(s->groups[i].program, program) == 0 &&
		    strcmp(s->groups[i].hosts, hosts) == 0 &&
		    strcmp(s->groups[i].port, port) == 0)
			return &s->groups[i];
	g = realloc(s->groups, (s->ngroups + 1) * sizeof(*g));
	if (!g)
		return NULL;
	s->groups = g;
	g = &g[s->ngroups];
	memset(g, 0, sizeof(*g));
	g->program = strdup(program);
	g->hosts = strdup(hosts);
	g->port = strdup(port);
	if (!g->program || !g->hosts || !g->port) {
		free(g->program);
		free(g->hosts);
		free(g->port);
		return NULL;
	}
	s->ngroups++;
	return g;
}

static int add_record(struct summary *s, const json_t *r)
{
	const char *decision = str(r, "decision"), *would = str(r, "would");
	const char *reason = str(r, "reason"), *time = str(r, "time");
	const char *ca = str(r, "ca"), *why = str(r, "would_verify_error");
	struct group *g = group_for(s, str(r, "program") ?: "(unknown)",
				    str(r, "hosts") ?: "(Unix socket)",
				    str(r, "port") ?: "(default)");
	int rc = 0;

	if (!g)
		return -1;
	for (size_t i = 0; i < NDECISIONS; i++)
		g->decided[i] += strcmp(decision, decisions[i]) == 0;
	g->failed += str(r, "outcome") && !strcmp(str(r, "outcome"), "failed");
	if (would && strcmp(would, "refuse") == 0) {
		g->would_refuse++;
		rc |= reason ? tally(&g->reasons, &g->nreasons, reason) : 0;
	} else if (json_is_false(json_object_get(r, "would_verify"))) {
		g->would_not_verify++;
		rc |= why ? tally(&g->reasons, &g->nreasons, why) : 0;
	}
	if (strcmp(decision, "refused") == 0 && reason)
		rc |= tally(&g->reasons, &g->nreasons, reason);
	rc |= ca ? tally(&g->cas, &g->ncas, ca) : 0;
	rc |= keep(&g->soonest, str(r, "cert_not_after"), -1);
	rc |= keep(&g->first, time, -1) | keep(&g->last, time, 1);
	s->records++;
	return rc < 0 ? -1 : 0;
}

/* One input line: a record, a journal entry whose MESSAGE is one, or
 * something else (counted, skipped). */
static void add_line(struct summary *s, const char *line)
{
	json_t *o = json_loads(line, JSON_REJECT_DUPLICATES, NULL);
	const char *msg = o ? str(o, "MESSAGE") : NULL;
	json_t *r = o;

	if (msg && strncmp(msg, SYSLOG_PREFIX, strlen(SYSLOG_PREFIX)) == 0)
		r = json_loads(msg + strlen(SYSLOG_PREFIX), 0, NULL);
	else if (msg)
		r = NULL; /* another program's journal entry */
	if (json_is_object(r) && str(r, "decision") &&
	    json_is_integer(json_object_get(r, "pid"))) {
		if (add_record(s, r) < 0)
			s->failed = 1;
	} else if (!msg || r) {
		s->skipped++;
	}
	if (r != o)
		json_decref(r);
	json_decref(o);
}

static int read_file(struct summary *s, const char *path)
{
	FILE *f = strcmp(path, "-") == 0 ? stdin : fopen(path, "r");
	char *line = NULL;
	size_t cap = 0;

	if (!f) {
		fprintf(stderr, "pgverify report: cannot read %s: %s\n", path,
			strerror(errno));
		return -1;
	}
	while (getline(&line, &cap, f) > 0)
		add_line(s, line);
	free(line);
	if (f != stdin)
		fclose(f);
	return 0;
}

static int by_count(const void *a, const void *b)
{
	const struct count *x = a, *y = b;

	return (y->n > x->n) - (y->n < x->n);
}

/* Would enforcing have broken something in this group? */
static long broken(const struct group *g)
{
	return g->decided[3] + g->would_refuse + g->would_not_verify;
}

static void print_group(const struct group *g)
{
	const char *sep = "  ";

	printf("%s  %s port %s\n", g->program, g->hosts, g->port);
	for (size_t i = 0; i < NDECISIONS; i++)
		if (g->decided[i]) {
			printf("%s%s %ld", sep, decisions[i], g->decided[i]);
			sep = ", ";
		}
	printf("; failed %ld\n  would refuse %ld, would not verify %ld\n",
	       g->failed, g->would_refuse, g->would_not_verify);
	for (size_t i = 0; i < g->nreasons && i < 3; i++)
		printf("  %ld x %s\n", g->reasons[i].n, g->reasons[i].text);
	for (size_t i = 0; i < g->ncas; i++)
		printf("  CA %s (%ld)\n", g->cas[i].text, g->cas[i].n);
	if (g->soonest)
		printf("  soonest certificate expiry %s\n", g->soonest);
	printf("  seen %s to %s\n", g->first ?: "?", g->last ?: "?");
}

static void json_counts(struct json *j, const char *key, const struct count *c,
			size_t n, const char *name)
{
	json_open(j, key, '[');
	for (size_t i = 0; i < n; i++) {
		json_open(j, NULL, '{');
		json_str(j, name, c[i].text);
		json_int(j, "count", c[i].n);
		json_close(j, '}');
	}
	json_close(j, ']');
}

static void json_group(struct json *j, const struct group *g)
{
	json_open(j, NULL, '{');
	json_str(j, "program", g->program);
	json_str(j, "hosts", g->hosts);
	json_str(j, "port", g->port);
	json_open(j, "decisions", '{');
	for (size_t i = 0; i < NDECISIONS; i++)
		json_int(j, decisions[i], g->decided[i]);
	json_close(j, '}');
	json_int(j, "failed", g->failed);
	json_int(j, "would_refuse", g->would_refuse);
	json_int(j, "would_not_verify", g->would_not_verify);
	json_counts(j, "reasons", g->reasons, g->nreasons, "reason");
	json_counts(j, "cas", g->cas, g->ncas, "ca");
	json_str(j, "soonest_cert_not_after", g->soonest);
	json_str(j, "first_seen", g->first);
	json_str(j, "last_seen", g->last);
	json_close(j, '}');
}

static void print_json(const struct summary *s)
{
	struct json j;

	json_init(&j, stdout);
	json_open(&j, NULL, '{');
	json_int(&j, "records", s->records);
	json_int(&j, "skipped_lines", s->skipped);
	json_open(&j, "groups", '[');
	for (size_t i = 0; i < s->ngroups; i++)
		json_group(&j, &s->groups[i]);
	json_close(&j, ']');
	json_close(&j, '}');
	json_end(&j);
}

static void free_counts(struct count *c, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(c[i].text);
	free(c);
}

static void free_summary(struct summary *s)
{
	for (size_t i = 0; i < s->ngroups; i++) {
		struct group *g = &s->groups[i];
		free(g->program);
		free(g->hosts);
		free(g->port);
		free_counts(g->reasons, g->nreasons);
		free_counts(g->cas, g->ncas);
		free(g->soonest);
		free(g->first);
		free(g->last);
	}
	free(s->groups);
}

static int report(const struct summary *s, int want_json)
{
	long broke = 0, failed = 0;

	for (size_t i = 0; i < s->ngroups; i++) {
		struct group *g = &s->groups[i];
		/* qsort() must not be given NULL, even for no element. */
		if (g->nreasons)
			qsort(g->reasons, g->nreasons, sizeof(*g->reasons),
			      by_count);
		if (g->ncas)
			qsort(g->cas, g->ncas, sizeof(*g->cas), by_count);
		broke += broken(g);
		failed += g->failed;
	}
	if (want_json) {
		print_json(s);
	} else {
		for (size_t i = 0; i < s->ngroups; i++)
			print_group(&s->groups[i]);
		printf("%ld records, %ld would break under enforcement, %ld "
		       "failed%s\n",
		       s->records, broke, failed,
		       s->skipped ? " (some lines were not audit records)"
				  : "");
	}
	return broke ? EXIT_REFUSED : EXIT_OK;
}

int cmd_report(int argc, char **argv)
{
	struct cli_opts o;
	struct summary s = {0};
	int status = EXIT_OK;

	if (cli_options(argc, argv, usage, CLI_JSON, &o, &status) < 0)
		return status;
	if (o.first == argc && read_file(&s, "-") < 0)
		status = EXIT_USAGE;
	for (int i = o.first; i < argc && status == EXIT_OK; i++)
		if (read_file(&s, argv[i]) < 0)
			status = EXIT_USAGE;
	if (status == EXIT_OK && s.failed) {
		fprintf(stderr, "pgverify report: out of memory\n");
		status = EXIT_USAGE;
	}
	if (status == EXIT_OK)
		status = report(&s, o.json);
	free_summary(&s);
	return status;
}
