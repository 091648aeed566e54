/* The pgverify command: shared helpers of its subcommands. */
#ifndef PGV_CLI_H
#define PGV_CLI_H

#include "core.h"
#include "providers.h"

#include <stdio.h>

struct json;

/* Exit status, as the contract fixes it. */
enum { EXIT_OK = 0, EXIT_REFUSED = 1, EXIT_USAGE = 2 };

struct cli_opts {
	const char *config;  /* -c FILE */
	int json;	     /* --json */
	const char *split;   /* --split DIR (bundle) */
	const char *install; /* --install DEST (bundle) */
	const char *to;	     /* --to CA_ID (rotation) */
	int update;	     /* --update (bundle) */
	const char *from;    /* --from URL|FILE (bundle --update) */
	long timeout;	   /* --timeout SECONDS (bundle --update), 0: default */
	int force;	   /* --force (bundle --install/--update) */
	int dry_run;	   /* --dry-run (bundle --install/--update) */
	const char *since; /* --since TIME (report) */
	const char *program; /* --program NAME (report) */
	const char *host;    /* --host GLOB (report) */
	int long_list;	     /* --long (bundle, rotation) */
	int first;	     /* index of the first operand */

	/* rotation: each --aws FILE and --audit FILE (cli_opts_free()) */
	const char **aws, **audit;
	size_t naws, naudit;
};

/* What a subcommand accepts beyond -c and -h. */
enum {
	CLI_JSON = 1,
	CLI_SPLIT = 2,
	CLI_INSTALL = 4,
	CLI_ROTATION = 8, /* --to, --aws, --audit, --long */
	CLI_UPDATE = 16,  /* --update, --from, --timeout */
	CLI_REPORT = 32,  /* --since, --program, --host */
	CLI_LONG = 64	  /* --long */
};

/*
 * Parse the options of the subcommands (-c FILE, -h, and what `allowed`
 * says).  Returns the index of the first operand, or -1 after printing to
 * stderr (usage error) or stdout (-h).  `*status` says which.
 */
int cli_options(int argc, char **argv, const char *usage, int allowed,
		struct cli_opts *o, int *status);

/* Release the lists cli_options() made (--aws, --audit). */
void cli_opts_free(struct cli_opts *o);

/* Load -c FILE, else what the shim loads; NULL after printing why. */
pgverify_config *cli_config(const struct cli_opts *o, char *err, size_t errlen);

/*
 * The start of a subcommand that takes options, exactly `operands`
 * operands and the configuration.  Returns the configuration, or NULL with
 * the exit status in *status after printing why (or the help).
 */
pgverify_config *cli_start(int argc, char **argv, const char *usage,
			   int operands, struct cli_opts *o, int *status);

/*
 * A subcommand over one connection string: cli_start(), its plan, then
 * `fn`, whose result is the exit status.
 */
int cli_with_plan(int argc, char **argv, const char *usage,
		  int (*fn)(const pgverify_config *cfg,
			    const struct cli_opts *o, const pgverify_plan *p));

/* The library `exec` preloads: $PGVERIFY_LIBRARY, else
 * $(libdir)/libpgverify.so.0. */
const char *cli_library_path(void);

/* Where host-wide preloading is configured. */
#define CLI_LD_SO_PRELOAD "/etc/ld.so.preload"

/* Whether CLI_LD_SO_PRELOAD names pgverify: 1 with that line (no newline)
 * in `line`, else 0. */
int cli_preload_line(char *line, size_t len);

/* Days from now until `t`, rounded down (negative once past). */
long long cli_days_left(long long t);

/* "YYYY-MM-DD" in UTC. */
const char *cli_date(long long t, char buf[16]);

/* "LABEL<name> (<trust>: <roots>)" on a line of its own; nothing for NULL. */
void cli_print_provider(const struct pgv_provider *p, const char *label);

/* Member "provider": {name, trust, roots, file}, or null. */
void cli_json_provider(struct json *j, const struct pgv_provider *p);

/* checkhost.c: on a host that preloads pgverify everywhere, whether
 * every user can read `path` (the `what`: "config", "bundle"); 1, said,
 * when some cannot. */
int check_readable_by_all(const char *path, const char *what, struct json *j);

/* Whether audit records can be written where `audit` says; 1, said, when
 * they would be lost. */
int check_audit(const char *audit, int host_wide, struct json *j);

/* Says whether `exempt` leaves loopback (a local pooler) unverified. */
void check_loopback_exempt(const char *const *exempt, size_t n, struct json *j);

int cmd_exec(int argc, char **argv);
int cmd_check(int argc, char **argv);
int cmd_explain(int argc, char **argv);
int cmd_probe(int argc, char **argv);
int cmd_bundle(int argc, char **argv);
int cmd_report(int argc, char **argv);
int cmd_rotation(int argc, char **argv);
int cmd_status(int argc, char **argv);
int cmd_enable(int argc, char **argv);
int cmd_disable(int argc, char **argv);

/* The full help of `command` (options, examples), or NULL. */
const char *cli_help_of(const char *command);

/* Whether `pgverify enable UNIT` has written its drop-in. */
int cli_dropin_enabled(const char *unit);

/* pgverify bundle --split DIR FILE: see split.c. */
int bundle_split(const char *dir, const char *file, int json);

/* pgverify bundle --install DEST FILE: see install.c.  Messages name the
 * source `shown` (FILE, or the URL it was fetched from). */
int bundle_install(const char *dest, const char *src, const char *shown,
		   const struct cli_opts *o);

/* pgverify bundle --update [--from URL|FILE] DEST: see update.c. */
int bundle_update(const struct cli_opts *o, const char *dest);

#endif
