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
 *
 * The thread sets and unsets PGHOST by pointing `environ` at one of two
 * complete arrays, the environment with it and without: setenv() and
 * unsetenv() while another thread reads the environment can crash glibc's
 * getenv() (the array is reallocated under it), which would end the test
 * for a reason that is not the one under test.
 */
#include <libpq-fe.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

extern char **environ;

static atomic_int stop;
static char **with, **without; /* made before the thread starts, then read */

static void *toggle(void *arg)
{
	(void)arg;
	while (!atomic_load(&stop)) {
		__atomic_store_n(&environ, with, __ATOMIC_SEQ_CST);
		__atomic_store_n(&environ, without, __ATOMIC_SEQ_CST);
	}
	return NULL;
}

/* The current environment without PGHOST, and with PGHOST=host. */
static int make_environments(const char *host)
{
	static char entry[1024];
	size_t n = 0, k = 0;

	while (environ[n])
		n++;
	with = calloc(n + 2, sizeof(*with));
	without = calloc(n + 1, sizeof(*without));
	if (!with || !without)
		return -1;
	for (size_t i = 0; i < n; i++)
		if (strncmp(environ[i], "PGHOST=", 7) != 0) {
			with[k] = environ[i];
			without[k++] = environ[i];
		}
	snprintf(entry, sizeof(entry), "PGHOST=%s", host);
	with[k] = entry;
	return 0;
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
	char **saved = environ;

	if (make_environments(argv[3]) < 0 ||
	    pthread_create(&t, NULL, toggle, NULL) != 0)
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
	environ = saved;
	free(with);
	free(without);
	printf("attempts=%d connected=%d ssl=%d\n", attempts, connected, ssl);
	return 0;
}
