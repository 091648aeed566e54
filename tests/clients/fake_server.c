/*
 * A fake PostgreSQL server for the tests: it listens on 127.0.0.1 (or
 * ADDRESS), answers the client's SSLRequest with 'N' (no TLS) and counts
 * every byte the client sends after that, which must be zero when pgverify
 * is loaded: a startup packet or a password sent in clear text is exactly
 * what it prevents.  A client that starts with anything but an SSLRequest
 * (sslmode=disable) is in clear text from its first byte: every byte
 * counts.
 *
 *   fake_server PORTFILE COUNTFILE [WAIT [ADDRESS]]
 *
 * It writes its port to PORTFILE, serves one client and writes the count to
 * COUNTFILE; if no client connects within WAIT seconds (default 30) it
 * writes "none" instead: what a refusal that never touched the network
 * leaves behind.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

static int write_number(const char *path, long n)
{
	FILE *f = fopen(path, "w");

	if (!f)
		return -1;
	fprintf(f, "%ld\n", n);
	return fclose(f);
}

/* Read what the client sends within 5 s of silence; count the bytes. */
static long drain(int fd)
{
	char buf[4096];
	long total = 0;
	struct pollfd p = {fd, POLLIN, 0};

	while (poll(&p, 1, 5000) > 0) {
		ssize_t n = read(fd, buf, sizeof(buf));
		if (n <= 0)
			break;
		total += n;
	}
	return total;
}

int main(int argc, char **argv)
{
	struct sockaddr_in a = {.sin_family = AF_INET};
	socklen_t len = sizeof(a);
	unsigned char req[8];
	int one = 1, s, c;

	if (argc < 3 || argc > 5)
		return 2;
	int wait_ms = (argc >= 4 ? atoi(argv[3]) : 30) * 1000;
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (argc == 5 && inet_pton(AF_INET, argv[4], &a.sin_addr) != 1)
		return 2;
	s = socket(AF_INET, SOCK_STREAM, 0);
	setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(s, (struct sockaddr *)&a, sizeof(a)) < 0 || listen(s, 1) < 0 ||
	    getsockname(s, (struct sockaddr *)&a, &len) < 0)
		return 1;
	write_number(argv[1], ntohs(a.sin_port));
	struct pollfd p = {s, POLLIN, 0};
	if (poll(&p, 1, wait_ms) == 0) {
		FILE *f = fopen(argv[2], "w");
		return f ? fputs("none\n", f) < 0 || fclose(f) != 0 : 1;
	}
	if ((c = accept(s, NULL, NULL)) < 0)
		return 1;
	long after = -1;
	ssize_t got = recv(c, req, sizeof(req), MSG_WAITALL);
	/* 8 bytes: length 8, then the SSLRequest code 80877103. */
	if (got == (ssize_t)sizeof(req) &&
	    memcmp(req, "\0\0\0\x08\x04\xd2\x16\x2f", 8) == 0) {
		if (write(c, "N", 1) == 1)
			after = drain(c);
	} else if (got > 0) {
		after = got + drain(c);
	}
	write_number(argv[2], after);
	close(c);
	close(s);
	return after < 0;
}
