/*
 * A connection opened inside a libpq callback: the outer connection's
 * client key is encrypted, and libpq asks PQsetSSLKeyPassHook_OpenSSL's hook
 * for the passphrase while that connection is being made; the hook first
 * opens a connection of its own to INNER (PQconnectdb, as a program that
 * fetches the passphrase from a database would), then answers.
 *
 *   keypass OUTER INNER PASSPHRASE
 *
 * Prints "inner: " and the inner connection's outcome (entries.h: "ssl=t",
 * "FAIL ..."), "outer: " and the outer one's, then "hook calls=N". Exits
 * with the outer connection's status.
 */
#define LIBPQ(f) f
#include "entries.h"

static const char *inner, *passphrase;
static int calls;

static int hook(char *buf, int size, PGconn *conn)
{
	(void)conn;
	if (calls++ == 0) {
		printf("inner: ");
		entry_report(PQconnectdb(inner));
	}
	snprintf(buf, (size_t)size, "%s", passphrase);
	return (int)strlen(buf);
}

int main(int argc, char **argv)
{
	if (argc != 4) {
		fprintf(stderr, "usage: keypass OUTER INNER PASSPHRASE\n");
		return 2;
	}
	inner = argv[2];
	passphrase = argv[3];
	PQsetSSLKeyPassHook_OpenSSL(hook);
	PGconn *outer = PQconnectdb(argv[1]);
	printf("outer: ");
	int rc = entry_report(outer);
	printf("hook calls=%d\n", calls);
	return rc;
}
