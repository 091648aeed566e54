/* pgverify: run programs with libpgverify and inspect what it would do. */
#include "cli.h"

#include <string.h>

static const char help[] =
    "usage: pgverify COMMAND [ARGS]      (pgverify help COMMAND: options, "
    "examples)\n"
    "\n"
    "  exec [-c FILE] COMMAND [ARG...]      run COMMAND with libpgverify "
    "preloaded\n"
    "  enable [--dry-run] UNIT | disable UNIT   preload it into a systemd "
    "service\n"
    "  status [--json] [PID|UNIT]           loaded? each libpq bound? (no "
    "arg: host)\n"
    "  check [-c FILE] [--json]             validate the config and its "
    "bundles\n"
    "  explain [-c FILE] [--json] CONNINFO  decision and rewritten options, "
    "offline\n"
    "  probe [-c FILE] [--json] CONNINFO    TLS handshake only: chain, "
    "name, CA id\n"
    "  bundle [--json] FILE...              list certificates, expiry, "
    "fingerprints\n"
    "  bundle [--json] --split DIR FILE | --install DEST FILE |\n"
    "         --update DEST [--from URL|FILE] [--timeout SECONDS]\n"
    "  rotation [-c FILE] [--to CA_ID] [--json] (ENDPOINT...|--aws FILE)\n"
    "                                       offline: ready for an RDS CA "
    "change?\n"
    "  report [--json] [FILE...]            summarise audit records (stdin: "
    "no FILE)\n"
    "  help [COMMAND] | --version | --help\n"
    "\n"
    "-c FILE   use FILE instead of $PGVERIFY_CONFIG or " PGVERIFY_SYSCONFDIR
    "/pgverify.conf\n"
    "--json    one JSON document on stdout, for scripts\n"
    "Exit status: 0 success; 1 refused, does not verify, expired, not ready, "
    "or\n"
    "(report) would break; 2 usage or configuration error; exec: COMMAND's "
    "status.\n"
    "See pgverify(1), pgverify.conf(5), libpgverify(3).\n";

static const struct command {
	const char *name;
	int (*run)(int, char **);
} commands[] = {
    {"exec", cmd_exec},		{"check", cmd_check},
    {"explain", cmd_explain},	{"probe", cmd_probe},
    {"bundle", cmd_bundle},	{"report", cmd_report},
    {"rotation", cmd_rotation}, {"status", cmd_status},
    {"enable", cmd_enable},	{"disable", cmd_disable},
};

int main(int argc, char **argv)
{
	if (argc < 2) {
		fputs(help, stderr);
		return EXIT_USAGE;
	}
	if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
		fputs(help, stdout);
		return EXIT_OK;
	}
	if (strcmp(argv[1], "--version") == 0) {
		printf("pgverify %s\n", PACKAGE_VERSION);
		return EXIT_OK;
	}
	if (strcmp(argv[1], "help") == 0) {
		const char *h = argc > 2 ? cli_help_of(argv[2]) : help;
		if (!h) {
			fprintf(stderr, "pgverify: no command \"%s\"\n\n%s",
				argv[2], help);
			return EXIT_USAGE;
		}
		fputs(h, stdout);
		return EXIT_OK;
	}
	for (size_t i = 0; i < sizeof(commands) / sizeof(*commands); i++)
		if (strcmp(argv[1], commands[i].name) == 0)
			return commands[i].run(argc - 1, argv + 1);
	fprintf(stderr, "pgverify: unknown command \"%s\"\n\n%s", argv[1],
		help);
	return EXIT_USAGE;
}
