/*
 * pgverify exec: run a command with libpgverify.so preloaded, keeping any
 * LD_PRELOAD it already had.  The library is $(libdir)/libpgverify.so.0,
 * or $PGVERIFY_LIBRARY.  Nothing runs unprotected: a missing library or a
 * broken configuration stops here, before the command starts.
 */
#include "cli.h"

#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char usage[] = "pgverify exec [-c FILE] [--] COMMAND [ARG...]";

/* LD_PRELOAD with the library first, anything already there after it. */
static char *preload_value(const char *lib)
{
	const char *old = getenv("LD_PRELOAD");
	size_t len = strlen(lib) + (old ? strlen(old) + 1 : 0) + 1;
	char *v = malloc(len);

	if (v)
		snprintf(v, len, "%s%s%s", lib, old && *old ? " " : "",
			 old ? old : "");
	return v;
}

/* -c FILE becomes an absolute PGVERIFY_CONFIG, checked before exec. */
static int export_config(const struct cli_opts *o)
{
	char abs[PATH_MAX], err[1024];
	pgverify_config *cfg;

	if (o->config) {
		if (!realpath(o->config, abs)) {
			fprintf(stderr, "pgverify: %s: %s\n", o->config,
				strerror(errno));
			return -1;
		}
		setenv("PGVERIFY_CONFIG", abs, 1);
	}
	cfg = pgverify_config_load_default(err, sizeof(err));
	if (!cfg) {
		fprintf(stderr, "pgverify: %s\n", err);
		return -1;
	}
	pgverify_config_free(cfg);
	return 0;
}

int cmd_exec(int argc, char **argv)
{
	struct cli_opts o;
	int status, first = cli_options(argc, argv, usage, 0, &o, &status);
	const char *lib = cli_library_path();
	char *preload;

	if (first < 0)
		return status;
	if (first >= argc) {
		fprintf(stderr, "pgverify exec: no command\nusage: %s\n",
			usage);
		return EXIT_USAGE;
	}
	if (access(lib, R_OK) != 0) {
		fprintf(stderr,
			"pgverify: cannot use %s: %s (set PGVERIFY_LIBRARY)\n",
			lib, strerror(errno));
		return EXIT_USAGE;
	}
	if (export_config(&o) < 0)
		return EXIT_USAGE;
	preload = preload_value(lib);
	if (!preload || setenv("LD_PRELOAD", preload, 1) < 0) {
		fprintf(stderr, "pgverify: out of memory\n");
		return EXIT_USAGE;
	}
	free(preload);
	execvp(argv[first], argv + first);
	fprintf(stderr, "pgverify: %s: %s\n", argv[first], strerror(errno));
	return errno == ENOENT ? 127 : 126;
}
