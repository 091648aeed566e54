/*
 * The concurrency test's client (built with -fsanitize=thread, linked with
 * a ThreadSanitizer build of libpgverify): N threads wait at a barrier, so
 * that the process's first connections through the shim start together,
 * then each makes ROUNDS rounds of three connections: to the good server
 * (must verify), to the forged one (must fail) and one pgverify refuses
 * before connecting.  Prints the tally; exit 0 if every outcome was right.
 *
 *   race N ROUNDS GOOD FORGED REFUSED       (three conninfo strings)
 *
 * With -DRACE_CONTROL the threads also bump an unguarded counter: a race
 * ThreadSanitizer must report, which shows the detector is live.
 */
#include <libpq-fe.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static pthread_barrier_t start;
static const char *good, *forged, *refused;
static int rounds;
#ifdef RACE_CONTROL
static int unguarded;
#endif

/* 1 if connecting to `conninfo` ended as `want_ok` says it must. */
static int attempt(const char *conninfo, int want_ok, const char *want_text)
{
	PGconn *conn = PQconnectdb(conninfo);
	int ok = PQstatus(conn) == CONNECTION_OK && PQsslInUse(conn);
	int right =
	    want_ok ? ok : !ok && strstr(PQerrorMessage(conn), want_text);

	if (!right)
		fprintf(stderr, "unexpected: %s\n", PQerrorMessage(conn));
	PQfinish(conn);
	return right;
}

static void *thread_main(void *arg)
{
	long right = 0;

	(void)arg;
	pthread_barrier_wait(&start);
	for (int r = 0; r < rounds; r++) {
		right += attempt(good, 1, "");
		right += attempt(forged, 0, "certificate verify failed");
		right +=
		    attempt(refused, 0, "pgverify refused this connection");
#ifdef RACE_CONTROL
		unguarded++;
#endif
	}
	return (void *)right;
}

int main(int argc, char **argv)
{
	pthread_t t[64];
	long right = 0;
	int n;

	if (argc != 6 || (n = atoi(argv[1])) < 1 || n > 64)
		return 2;
	rounds = atoi(argv[2]);
	good = argv[3];
	forged = argv[4];
	refused = argv[5];
	pthread_barrier_init(&start, NULL, (unsigned)n);
	for (int i = 0; i < n; i++)
		pthread_create(&t[i], NULL, thread_main, NULL);
	for (int i = 0; i < n; i++) {
		void *r;
		pthread_join(t[i], &r);
		right += (long)r;
	}
	printf("%s %d threads x %d rounds: %ld of %ld outcomes right\n",
	       right == 3L * n * rounds ? "OK" : "FAIL", n, rounds, right,
	       3L * n * rounds);
	return right == 3L * n * rounds ? 0 : 1;
}
