/*
 * N connections with PQconnectdb(CONNINFO), each closed at once: run under
 * callgrind with and without pgverify preloaded, and with two values of N,
 * to count the instructions pgverify adds per connection and at start.
 *
 *   connect_bench CONNINFO N
 */
#include <libpq-fe.h>
#include <stdio.h>
#include <stdlib.h>

int main(int argc, char **argv)
{
	int n = argc == 3 ? atoi(argv[2]) : -1;

	if (n < 0) {
		fprintf(stderr, "usage: connect_bench CONNINFO N\n");
		return 2;
	}
	for (int i = 0; i < n; i++) {
		PGconn *conn = PQconnectdb(argv[1]);
		if (PQstatus(conn) != CONNECTION_OK) {
			fprintf(stderr, "%s", PQerrorMessage(conn));
			return 1;
		}
		PQfinish(conn);
	}
	return 0;
}
