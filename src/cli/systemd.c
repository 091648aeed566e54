/*
 * pgverify enable/disable UNIT: the systemd drop-in that preloads pgverify
 * into one service, by the soname the loader finds on every distribution's
 * library path (a path that does not exist would be ignored silently, and
 * the service would run unprotected).
 */
#include "cli.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define UNIT_DIR "/etc/systemd/system"

static const char dropin[] =
    "# Written by pgverify enable: libpgverify preloaded into this service\n"
    "# (pgverify disable UNIT removes it).  It replaces an LD_PRELOAD the\n"
    "# unit sets itself.\n"
    "[Service]\n"
    "Environment=LD_PRELOAD=libpgverify.so.0\n";

/* UNIT with ".service" when it names no type; -1 for a name that is no
 * unit's (a slash, a leading dot, too long). */
static int unit_name(const char *arg, char *out, size_t len)
{
	const char *dot = strrchr(arg, '.');

	if (!*arg || strchr(arg, '/') || arg[0] == '.' ||
	    strspn(arg, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
			"0123456789:-_.@\\") != strlen(arg))
		return -1;
	return (size_t)snprintf(out, len, "%s%s", arg, dot ? "" : ".service") <
		       len
		   ? 0
		   : -1;
}

/* The drop-in directory and file of the unit named `unit`. */
static int unit_paths(const char *unit, char *dir, char *file, size_t len)
{
	return (size_t)snprintf(dir, len, UNIT_DIR "/%s.d", unit) < len &&
		       (size_t)snprintf(file, len, "%s/pgverify.conf", dir) <
			   len
		   ? 0
		   : -1;
}

static int dropin_path(const char *arg, char *dir, char *file, size_t len)
{
	char unit[256];

	if (unit_name(arg, unit, sizeof(unit)) < 0) {
		fprintf(stderr, "pgverify: \"%s\" is not a systemd unit name\n",
			arg);
		return -1;
	}
	return unit_paths(unit, dir, file, len);
}

/* The drop-in, written whole or not at all. */
static int write_dropin(const char *dir, const char *file)
{
	char tmp[PATH_MAX];
	int fd;

	if (mkdir(dir, 0755) < 0 && errno != EEXIST)
		return -1;
	if ((size_t)snprintf(tmp, sizeof(tmp), "%s.tmp", file) >= sizeof(tmp))
		return -1;
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW,
		  0644);
	if (fd < 0)
		return -1;
	if (write(fd, dropin, sizeof(dropin) - 1) !=
		(ssize_t)(sizeof(dropin) - 1) ||
	    fsync(fd) < 0) {
		close(fd);
		unlink(tmp);
		return -1;
	}
	close(fd);
	return rename(tmp, file);
}

int cmd_enable(int argc, char **argv)
{
	char dir[PATH_MAX], file[PATH_MAX];
	int dry = argc == 3 && strcmp(argv[1], "--dry-run") == 0;
	const char *unit = argv[argc - 1];

	if (argc == 2 &&
	    (strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0)) {
		fputs(cli_help_of("enable"), stdout);
		return EXIT_OK;
	}
	if ((argc != 2 && !dry) || unit[0] == '-') {
		fprintf(stderr, "usage: pgverify enable [--dry-run] UNIT\n");
		return EXIT_USAGE;
	}
	if (dropin_path(unit, dir, file, sizeof(dir)) < 0)
		return EXIT_USAGE;
	if (dry) {
		printf("would write %s:\n%s", file, dropin);
		return EXIT_OK;
	}
	if (write_dropin(dir, file) < 0) {
		fprintf(stderr, "pgverify: cannot write %s: %s\n", file,
			strerror(errno));
		return EXIT_USAGE;
	}
	printf("wrote %s\nnow run: systemctl daemon-reload && systemctl "
	       "restart %s\n",
	       file, unit);
	return EXIT_OK;
}

int cmd_disable(int argc, char **argv)
{
	char dir[PATH_MAX], file[PATH_MAX];

	if (argc == 2 &&
	    (strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0)) {
		fputs(cli_help_of("disable"), stdout);
		return EXIT_OK;
	}
	if (argc != 2 || argv[1][0] == '-') {
		fprintf(stderr, "usage: pgverify disable UNIT\n");
		return EXIT_USAGE;
	}
	if (dropin_path(argv[1], dir, file, sizeof(dir)) < 0)
		return EXIT_USAGE;
	if (unlink(file) < 0) {
		if (errno == ENOENT) {
			printf("%s: pgverify was not enabled there\n", argv[1]);
			return EXIT_OK;
		}
		fprintf(stderr, "pgverify: cannot remove %s: %s\n", file,
			strerror(errno));
		return EXIT_USAGE;
	}
	rmdir(dir); /* only if nothing else is there */
	printf("removed %s\nnow run: systemctl daemon-reload && systemctl "
	       "restart %s\n",
	       file, argv[1]);
	return EXIT_OK;
}

int cli_dropin_enabled(const char *unit)
{
	char dir[PATH_MAX], file[PATH_MAX], u[256];

	return unit_name(unit, u, sizeof(u)) == 0 &&
	       unit_paths(u, dir, file, sizeof(dir)) == 0 &&
	       access(file, F_OK) == 0;
}
