/*
 * The PGHOST race: one thread sets and unsets PGHOST=HOST as fast as it
 * can while the main thread connects ATTEMPTS times with CONNINFO (no host
 * in it), for at most SECONDS. Whatever libpq reads of the environment when
 * pgverify plans a connection must be what it reads when the connection is
 * made: PGHOST appearing in between must not turn a connection pgverify
 * left alone (or refused) into a TCP one it never checked.
 *
 *   envrace ATTEMPTS SECONDS HOST CONNINFO
 *
 * Prints "attempts=A connected=C ssl=S" (C connections came up, S of them
 * over TLS) and, on stderr, the first few distinct error messages.
 */
#include <libpq-fe.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static atomic_int stop;
static const char *host;

static void *toggle(void *arg)
{
	(void)arg;
	while (!atomic_load(&stop)) {
		setenv("PGHOST", host, 1);
		unsetenv("PGHOST");
	}
	return NULL;
}

int main(int argc, char **argv)
{
	char seen[4][256] = {{0}};
	int nseen = 0, attempts = 0, connected = 0, ssl = 0;
	pthread_t t;

	if (argc != 5) {
		fprintf(stderr, "usage: envrace ATTEMPTS SECONDS HOST CONNINFO\n");
		return 2;
	}
	int n = atoi(argv[1]);
	time_t end = time(NULL) + atoi(argv[2]);
	host = argv[3];
	if (pthread_create(&t, NULL, toggle, NULL) != 0)
		return 2;
	while (attempts < n && time(NULL) < end) {
		PGconn *c = PQconnectdb(argv[4]);

		attempts++;
		if (PQstatus(c) == CONNECTION_OK) {
			connected++;
			ssl += PQsslInUse(c);
		} else if (nseen < 4) {
			const char *m = PQerrorMessage(c);
			int dup = 0;

			for (int i = 0; i < nseen; i++)
				dup |= strncmp(seen[i], m, sizeof(seen[i]) - 1) == 0;
			if (!dup) {
				snprintf(seen[nseen++], sizeof(seen[0]), "%s", m);
				fprintf(stderr, "error: %s", m);
			}
		}
		PQfinish(c);
	}
	atomic_store(&stop, 1);
	pthread_join(t, NULL);
	printf("attempts=%d connected=%d ssl=%d\n", attempts, connected, ssl);
	return 0;
}
