/*
 * What `pgverify check` asks of the host beyond the configuration itself:
 * on a host that preloads pgverify into every program, every user must be
 * able to read the files pgverify trusts (else that user's connections
 * are refused); and audit records must have somewhere to go.
 */
#include "cli.h"
#include "exempt.h"
#include "json.h"

#include <errno.h>
#include <libgen.h>
#include <string.h>
#include <sys/stat.h>

/* The first of `path` and the directories above it that users other than
 * its owner cannot read (or search) into `where`; 0 when none. */
static int hidden_from_others(const char *path, char *where, size_t len)
{
	char buf[4096];
	struct stat st;
	int need = S_IROTH;

	snprintf(buf, sizeof(buf), "%s", path);
	for (char *p = buf;; p = dirname(p)) {
		if (stat(p, &st) < 0)
			return 0; /* said elsewhere: the file is missing */
		if ((st.st_mode & need) != (mode_t)need) {
			snprintf(where, len, "%s", p);
			return 1;
		}
		need = S_IXOTH;
		if (strcmp(p, "/") == 0 || strcmp(p, ".") == 0)
			return 0;
	}
}

int check_readable_by_all(const char *path, const char *what, struct json *j)
{
	char where[4096];
	int file;

	if (!path || !hidden_from_others(path, where, sizeof(where)))
		return 0;
	file = strcmp(where, path) == 0;
	if (j) {
		json_open(j, NULL, '{');
		json_str(j, "file", path);
		json_str(j, "what", what);
		json_str(j, "not_readable", where);
		json_close(j, '}');
		return 1;
	}
	printf("%s %s: NOT READABLE by every user, though %s preloads pgverify "
	       "into every program: their connections would be refused; "
	       "chmod o+%s %s\n",
	       what, path, CLI_LD_SO_PRELOAD, file ? "r" : "x", where);
	return 1;
}

/* Why records cannot be written to file `path`, into `why`; 0 if they
 * can be. */
static int audit_file_problem(const char *path, int host_wide, char *why,
			      size_t len)
{
	char dir[4096];
	struct stat st;

	snprintf(dir, sizeof(dir), "%s", path);
	dirname(dir);
	if (stat(dir, &st) < 0 || !S_ISDIR(st.st_mode)) {
		snprintf(why, len,
			 "its directory %s does not exist: create it for the "
			 "service that writes (install -d -o USER -m 0750 %s), "
			 "or set audit = \"syslog\"",
			 dir, dir);
		return 1;
	}
	if (lstat(path, &st) < 0)
		return errno == ENOENT
			   ? 0
			   : (snprintf(why, len, "%s", strerror(errno)), 1);
	if (!S_ISREG(st.st_mode)) {
		snprintf(why, len,
			 "it is not a regular file (a symbolic link, FIFO or "
			 "directory); records are written only to one");
		return 1;
	}
	if (host_wide && !(st.st_mode & S_IWOTH)) {
		snprintf(why, len,
			 "%s preloads pgverify into every program, and the "
			 "records of users other than its owner would be lost; "
			 "set audit = \"syslog\" (the journal) on hosts where "
			 "programs run as several users",
			 CLI_LD_SO_PRELOAD);
		return 1;
	}
	return 0;
}

int check_audit(const char *audit, int host_wide, struct json *j)
{
	char why[8400] = "";
	int bad = *audit && strcmp(audit, "syslog") != 0 &&
		  audit_file_problem(audit, host_wide, why, sizeof(why));

	if (j)
		json_str(j, "audit_problem", bad ? why : NULL);
	else if (bad)
		printf("audit %s: RECORDS WOULD BE LOST: %s\n", audit, why);
	return bad;
}

/*
 * An exempt entry that covers loopback leaves a local pooler's hop (a
 * pgbouncer, a sidecar on 127.0.0.1) unverified, which is right only if the
 * pooler verifies its own connections to the servers: pgbouncer does not
 * use libpq for them, so pgverify cannot see them.  Said, never a failure.
 */
void check_loopback_exempt(const char *const *exempt, size_t n, struct json *j)
{
	int v4 = pgv_exempt_host(exempt, n, NULL, "127.0.0.1");
	int v6 = pgv_exempt_host(exempt, n, NULL, "::1");
	int name = pgv_exempt_host(exempt, n, "localhost", "127.0.0.1");
	int covered = v4 || v6 || name;

	if (j) {
		json_bool(j, "exempt_loopback", covered);
		return;
	}
	if (covered)
		printf(
		    "exempt covers loopback (%s): a local pooler's hop is left "
		    "unverified; make sure the pooler verifies its own server "
		    "connections (pgbouncer: server_tls_sslmode = verify-full "
		    "and server_tls_ca_file = the bundle), which pgverify "
		    "cannot see\n",
		    name ? "localhost"
		    : v4 ? "127.0.0.1"
			 : "::1");
}
