/* Option parsing and configuration loading shared by the subcommands. */
#include "cli.h"

#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* 1 to 3600 seconds, digits only. */
static int seconds(const char *s, long *out)
{
	char *end;
	long v = strtol(s, &end, 10);

	if (!*s || *end || v < 1 || v > 3600)
		return -1;
	*out = v;
	return 0;
}

/* Append `item` to a list of option values; -1 out of memory. */
static int append(const char ***list, size_t *n, const char *item)
{
	const char **grown = realloc(*list, (*n + 1) * sizeof(*grown));

	if (!grown)
		return -1;
	grown[(*n)++] = item;
	*list = grown;
	return 0;
}

int cli_options(int argc, char **argv, const char *usage, int allowed,
		struct cli_opts *o, int *status)
{
	static const struct option longopts[] = {
	    {"config", required_argument, NULL, 'c'},
	    {"json", no_argument, NULL, 'j'},
	    {"split", required_argument, NULL, 's'},
	    {"install", required_argument, NULL, 'i'},
	    {"to", required_argument, NULL, 't'},
	    {"aws", required_argument, NULL, 'a'},
	    {"update", no_argument, NULL, 'u'},
	    {"from", required_argument, NULL, 'f'},
	    {"timeout", required_argument, NULL, 'T'},
	    {"force", no_argument, NULL, 'F'},
	    {"dry-run", no_argument, NULL, 'D'},
	    {"since", required_argument, NULL, 'S'},
	    {"program", required_argument, NULL, 'P'},
	    {"host", required_argument, NULL, 'H'},
	    {"audit", required_argument, NULL, 'A'},
	    {"long", no_argument, NULL, 'L'},
	    {"help", no_argument, NULL, 'h'},
	    {NULL, 0, NULL, 0}};
	int c;

	memset(o, 0, sizeof(*o));
	optind = 1;
	/* '+': stop at the first operand (exec's COMMAND has its own options).
	 */
	while ((c = getopt_long(argc, argv, "+c:h", longopts, NULL)) != -1) {
		if (c == 'c') {
			o->config = optarg;
		} else if (c == 'j' && (allowed & CLI_JSON)) {
			o->json = 1;
		} else if (c == 's' && (allowed & CLI_SPLIT)) {
			o->split = optarg;
		} else if (c == 'i' && (allowed & CLI_INSTALL)) {
			o->install = optarg;
		} else if (c == 't' && (allowed & CLI_ROTATION)) {
			o->to = optarg;
		} else if (c == 'a' && (allowed & CLI_ROTATION) &&
			   append(&o->aws, &o->naws, optarg) == 0) {
			/* one more --aws FILE */
		} else if (c == 'A' && (allowed & CLI_ROTATION) &&
			   append(&o->audit, &o->naudit, optarg) == 0) {
			/* one more --audit FILE */
		} else if (c == 'u' && (allowed & CLI_UPDATE)) {
			o->update = 1;
		} else if (c == 'f' && (allowed & CLI_UPDATE)) {
			o->from = optarg;
		} else if (c == 'T' && (allowed & CLI_UPDATE) &&
			   seconds(optarg, &o->timeout) == 0) {
			/* o->timeout is set */
		} else if (c == 'F' && (allowed & (CLI_INSTALL | CLI_UPDATE))) {
			o->force = 1;
		} else if (c == 'D' && (allowed & (CLI_INSTALL | CLI_UPDATE))) {
			o->dry_run = 1;
		} else if (c == 'S' && (allowed & CLI_REPORT)) {
			o->since = optarg;
		} else if (c == 'P' && (allowed & CLI_REPORT)) {
			o->program = optarg;
		} else if (c == 'H' && (allowed & CLI_REPORT)) {
			o->host = optarg;
		} else if (c == 'L' && (allowed & (CLI_LONG | CLI_ROTATION))) {
			o->long_list = 1;
		} else if (c == 'h') {
			if (cli_help_of(argv[0]))
				fputs(cli_help_of(argv[0]), stdout);
			else
				printf("usage: %s\n", usage);
			*status = EXIT_OK;
			return -1;
		} else {
			if (c == 'j')
				fprintf(stderr, "pgverify: --json is not an "
						"option of this command\n");
			fprintf(stderr, "usage: %s\n", usage);
			*status = EXIT_USAGE;
			return -1;
		}
	}
	o->first = optind;
	return optind;
}

void cli_opts_free(struct cli_opts *o)
{
	free(o->aws);
	free(o->audit);
	o->aws = o->audit = NULL;
	o->naws = o->naudit = 0;
}

pgverify_config *cli_config(const struct cli_opts *o, char *err, size_t errlen)
{
	return o->config ? pgverify_config_load(o->config, err, errlen)
			 : pgverify_config_load_default(err, errlen);
}

pgverify_config *cli_start(int argc, char **argv, const char *usage,
			   int operands, struct cli_opts *o, int *status)
{
	char err[1024];
	pgverify_config *cfg;
	int first = cli_options(argc, argv, usage, CLI_JSON, o, status);

	if (first < 0)
		return NULL;
	if (argc - first != operands) {
		fprintf(stderr, "usage: %s\n", usage);
		*status = EXIT_USAGE;
		return NULL;
	}
	cfg = cli_config(o, err, sizeof(err));
	if (!cfg) {
		fprintf(stderr, "pgverify: %s\n", err);
		*status = EXIT_USAGE;
	}
	return cfg;
}

int cli_with_plan(int argc, char **argv, const char *usage,
		  int (*fn)(const pgverify_config *cfg,
			    const struct cli_opts *o, const pgverify_plan *p))
{
	struct cli_opts o;
	pgverify_plan plan;
	int status;
	pgverify_config *cfg = cli_start(argc, argv, usage, 1, &o, &status);

	if (!cfg)
		return status;
	pgverify_plan_conninfo(cfg, argv[o.first], &plan);
	status = fn(cfg, &o, &plan);
	pgverify_plan_clear(&plan);
	pgverify_config_free(cfg);
	return status;
}

long long cli_days_left(long long t)
{
	long long d = t - (long long)time(NULL);

	return d >= 0 ? d / 86400 : -((-d + 86399) / 86400);
}

const char *cli_date(long long t, char buf[16])
{
	time_t tt = (time_t)t;
	struct tm tm;

	if (!gmtime_r(&tt, &tm) || !strftime(buf, 16, "%Y-%m-%d", &tm))
		strcpy(buf, "?");
	return buf;
}

const char *cli_library_path(void)
{
	const char *env = getenv("PGVERIFY_LIBRARY");

	return env && *env ? env : PGVERIFY_LIBDIR "/libpgverify.so.0";
}

int cli_preload_line(char *line, size_t len)
{
	FILE *f = fopen(CLI_LD_SO_PRELOAD, "re");
	int found = 0;

	while (f && !found && fgets(line, (int)len, f))
		found = strstr(line, "libpgverify") != NULL;
	if (f)
		fclose(f);
	if (found)
		line[strcspn(line, "\n")] = '\0';
	return found;
}
