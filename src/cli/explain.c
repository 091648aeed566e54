/*
 * pgverify explain CONNINFO: what the shim would do with PQconnectdb(CONNINFO)
 * — the same pgverify_plan_conninfo() the shim runs, so no network — with
 * where each value came from.  Passwords are masked.
 */
#include "cli.h"
#include "config.h"
#include "json.h"
#include "mask.h"

#include <libpq-fe.h>
#include <stdlib.h>
#include <string.h>

static const char usage[] = "pgverify explain [-c FILE] [--json] CONNINFO";

static const char *const verdicts[] = {"leave", "enforce", "refuse"};

/* libpq also takes sslmode=require from the deprecated PGREQUIRESSL=1. */
static const char *sslmode_var(void)
{
	const char *v = getenv("PGSSLMODE");

	return v && *v ? "PGSSLMODE" : "PGREQUIRESSL";
}

/* Where a merged value came from (merge.c found it), as words. */
static const char *origin(pgverify_origin from, const char *var)
{
	switch (from) {
	case PGVERIFY_FROM_OPTIONS:
		return "the connection string";
	case PGVERIFY_FROM_SERVICE:
		return "the service file";
	case PGVERIFY_FROM_ENVIRONMENT:
		return var;
	case PGVERIFY_FROM_SERVICE_OR_ENVIRONMENT:
		return "the service file or the environment";
	case PGVERIFY_FROM_DEFAULT:
		return "libpq's default";
	case PGVERIFY_FROM_UNKNOWN:
		break;
	}
	return "unknown";
}

static int needs_quotes(const char *v)
{
	return !*v || strpbrk(v, " \t\n\r\f\v'\\") != NULL;
}

/* keyword=value as libpq reads it, values quoted where needed. */
static void print_conninfo(const char *const *kw, const char *const *val)
{
	const char *sep = "";

	for (size_t i = 0; kw && kw[i]; i++) {
		const char *v = strcmp(kw[i], "password") == 0 && val[i]
				    ? "********"
				    : val[i];
		if (!v)
			continue;
		printf("%s%s=", sep, kw[i]);
		sep = " ";
		if (!needs_quotes(v)) {
			fputs(v, stdout);
			continue;
		}
		putchar('\'');
		for (; *v; v++) {
			/* A control character is shown, never printed: no
			 * value starts a line of its own. */
			if ((unsigned char)*v < 0x20 || *v == 0x7f) {
				printf("\\x%02x", (unsigned char)*v);
				continue;
			}
			if (*v == '\'' || *v == '\\')
				putchar('\\');
			putchar(*v);
		}
		putchar('\'');
	}
	putchar('\n');
}

static void json_forwarded(struct json *j, const char *const *kw,
			   const char *const *val)
{
	json_open(j, "forwarded", '[');
	for (size_t i = 0; kw && kw[i]; i++) {
		if (!val[i])
			continue;
		json_open(j, NULL, '[');
		json_str(j, NULL, kw[i]);
		json_str(j, NULL,
			 strcmp(kw[i], "password") == 0 ? "********" : val[i]);
		json_close(j, ']');
	}
	json_close(j, ']');
}

static void report_json(const pgverify_config *cfg, const pgverify_plan *p)
{
	const pgverify_decision *d = &p->decision;
	struct json j;

	json_init(&j, stdout);
	json_open(&j, NULL, '{');
	json_str(&j, "config", pgverify_config_path(cfg));
	json_str(&j, "decision", verdicts[p->verdict]);
	json_str(&j, "mode", p->would || d->report ? "report" : "enforce");
	json_str(&j, "would", pgverify_would_name(p->would));
	json_str(&j, "hosts", p->hosts[0] ? p->hosts : NULL);
	cli_json_provider(&j, pgv_provider_of_settings(&p->settings));
	json_str(&j, "reason",
		 p->verdict != PGVERIFY_ENFORCE ? p->reason : NULL);
	json_open(&j, "sslmode", '{');
	json_str(&j, "before", d->sslmode_before);
	json_str(&j, "after", d->sslmode_after);
	json_str(&j, "origin", origin(p->settings.sslmode_from, sslmode_var()));
	json_close(&j, '}');
	json_open(&j, "sslrootcert", '{');
	json_str(&j, "value", d->sslrootcert);
	json_str(&j, "source", d->bundle_source);
	json_str(&j, "rule", d->rule);
	json_close(&j, '}');
	json_str(&j, "gssencmode", d->gssencmode);
	json_str(&j, "sslnegotiation", d->sslnegotiation);
	json_bool(&j, "direct_needs_libpq_17", d->direct_unused);
	json_int(&j, "hosts_under_verify_name", (long long)d->aliased);
	json_forwarded(&j, p->verdict == PGVERIFY_REFUSE ? NULL : p->keywords,
		       p->values);
	json_close(&j, '}');
	json_end(&j);
}

/* Hosts a rule verifies under its verify_name: resolved only when the
 * program connects, so here named, not resolved. */
static void print_aliases(const pgverify_config *cfg,
			  const pgverify_settings *s)
{
	const struct pgv_rule *r;
	pgv_hosts it;
	pgv_host h;

	if (pgv_hosts_begin(s, &it) < 0)
		return;
	while (pgv_hosts_next(&it, &h) > 0)
		if (h.tcp && (r = pgv_rule_for(cfg, h.name)) && r->verify_name)
			printf("verify_name:  %s is verified as %s (hosts rule "
			       "\"%s\"): libpq gets host=%s hostaddr=%s\n",
			       h.name, r->verify_name, r->match, r->verify_name,
			       h.addr[0]
				   ? h.addr
				   : "<each address of the name, "
				     "resolved when the program connects>");
}

static void report_human(const pgverify_config *cfg, const pgverify_plan *p)
{
	const pgverify_decision *d = &p->decision;
	const char *path = pgverify_config_path(cfg);
	char rootcert[PATH_MAX];

	snprintf(rootcert, sizeof(rootcert), "%s", d->sslrootcert);
	pgv_escape_controls(rootcert, sizeof(rootcert));

	printf("decision:     %s\n", verdicts[p->verdict]);
	if (p->would)
		printf("mode:         report: forwarded as asked; enforcement "
		       "would %s\n",
		       pgverify_would_name(p->would));
	if (p->hosts[0])
		printf("hosts:        %s\n", p->hosts);
	cli_print_provider(pgv_provider_of_settings(&p->settings),
			   "provider:     ");
	if (p->verdict != PGVERIFY_ENFORCE && p->reason[0]) {
		printf("reason:       %s\n", p->reason);
		if (p->verdict == PGVERIFY_REFUSE)
			return;
	}
	if (p->verdict == PGVERIFY_ENFORCE) {
		printf("sslmode:      %s -> %s (the connection's own from %s; "
		       "minimum from %s)\n",
		       d->sslmode_before, d->sslmode_after,
		       origin(p->settings.sslmode_from, sslmode_var()),
		       path ? path : "the built-in defaults");
		if (strcmp(d->bundle_source, "connection") == 0)
			printf("sslrootcert:  %s (the connection's own, from "
			       "%s)\n",
			       rootcert,
			       origin(p->settings.sslrootcert_from,
				      "PGSSLROOTCERT"));
		else if (d->rule)
			printf("sslrootcert:  %s (hosts rule \"%s\")\n",
			       rootcert, d->rule);
		else
			printf("sslrootcert:  %s (sslrootcert of %s)\n",
			       rootcert, path ? path : "the built-in defaults");
		if (d->gssencmode)
			printf("gssencmode:   %s (gssencmode = \"disable\")\n",
			       d->gssencmode);
		if (d->aliased)
			print_aliases(cfg, &p->settings);
		if (d->sslnegotiation)
			printf("sslnegotiation: direct (the hosts rule)\n");
		else if (d->direct_unused)
			printf("sslnegotiation: postgres (the hosts rule asks "
			       "for direct, which this libpq, %d, lacks; "
			       "programs with libpq 17 or later get it)\n",
			       PQlibVersion());
	}
	printf("forwarded:    ");
	print_conninfo(p->keywords, p->values);
}

static int explain(const pgverify_config *cfg, const struct cli_opts *o,
		   const pgverify_plan *p)
{
	if (o->json)
		report_json(cfg, p);
	else
		report_human(cfg, p);
	/* Report mode forwards it, but the policy would refuse it. */
	return p->verdict == PGVERIFY_REFUSE ||
		       p->would == PGVERIFY_WOULD_REFUSE
		   ? EXIT_REFUSED
		   : EXIT_OK;
}

int cmd_explain(int argc, char **argv)
{
	return cli_with_plan(argc, argv, usage, explain);
}
