/* pgverify: run programs with libpgverify and inspect what it would do. */
#include "cli.h"

#include <string.h>

static const char help[] =
    "usage: pgverify COMMAND [ARGS]\n"
    "\n"
    "  exec [-c FILE] [--] COMMAND [ARG...]  run COMMAND with libpgverify "
    "preloaded\n"
    "  check [-c FILE] [--json]              validate the config and "
    "its bundles\n"
    "  explain [-c FILE] [--json] CONNINFO   the decision and the "
    "rewritten options;\n"
    "                                        no network, passwords "
    "masked\n"
    "  probe [-c FILE] [--json] CONNINFO     TLS handshake only: the "
    "server's chain,\n"
    "                                        whether the bundle verifies "
    "it, name,\n"
    "                                        expiry (no login, no "
    "password sent)\n"
    "  bundle [--json] FILE...               list certificates: "
    "subject, issuer,\n"
    "                                        validity, days left, "
    "SHA-256 fingerprint\n"
    "  bundle [--json] --split DIR FILE      split by AWS region: "
    "DIR/<region>.pem\n"
    "  bundle [--json] --install DEST FILE   check FILE, list the CAs "
    "added, removed;\n"
    "                                        replace DEST atomically\n"
    "  report [--json] [FILE...]             summarise audit records "
    "(stdin without\n"
    "                                        FILE) per program and host\n"
    "  --version | --help\n"
    "\n"
    "-c FILE   use FILE instead of $PGVERIFY_CONFIG or " PGVERIFY_SYSCONFDIR
    "/pgverify.conf\n"
    "--json    one JSON document on stdout, for scripts\n"
    "\n"
    "Exit status: 0 success; 1 refused, does not verify, expired, or (report)\n"
    "would break; 2 usage or configuration error; exec: COMMAND's status.\n"
    "See pgverify(1), pgverify.conf(5), libpgverify(3).\n";

static const struct command {
	const char *name;
	int (*run)(int, char **);
} commands[] = {
    {"exec", cmd_exec},	  {"check", cmd_check},	  {"explain", cmd_explain},
    {"probe", cmd_probe}, {"bundle", cmd_bundle}, {"report", cmd_report},
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
	for (size_t i = 0; i < sizeof(commands) / sizeof(*commands); i++)
		if (strcmp(argv[1], commands[i].name) == 0)
			return commands[i].run(argc - 1, argv + 1);
	fprintf(stderr, "pgverify: unknown command \"%s\"\n\n%s", argv[1],
		help);
	return EXIT_USAGE;
}
