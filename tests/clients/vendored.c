/*
 * A host program that links no libpq and reaches a libpq copy the ways
 * vendored copies are reached (tests/suites/matrix.sh):
 *
 *   vendored plugin local|deepbind PLUGIN.so CONNINFO
 *        dlopen() an extension linked with its own libpq (plugin.c),
 *        RTLD_LOCAL, or RTLD_LOCAL|RTLD_DEEPBIND as PHP loads modules
 *   vendored two PLUGIN_A.so PLUGIN_B.so CONNINFO
 *        two extensions with two libpq copies in one process, each used
 *   vendored dlsym local|deepbind LIBPQ CONNINFO
 *        dlopen() a libpq copy by path and drive PQconnectStart and
 *        PQconnectPoll found with dlsym() on it, as ctypes and cffi do
 *   vendored dlmopen LIBPQ CONNINFO
 *        dlmopen(LM_ID_NEWLM) a libpq copy by path, its PQconnectdb used
 *
 * Each prints the plugin's line, or "OK ssl=<0|1> version=<N>" /
 * "FAIL <status> <message>", and then "maps: FILE..." (every libpq file
 * mapped, from /proc/self/maps), so the test sees which copy was used.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <dlfcn.h>
#include <libpq-fe.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void print_maps(void)
{
	FILE *f = fopen("/proc/self/maps", "r");
	char line[4096], last[4096] = "";

	printf("maps:");
	while (f && fgets(line, sizeof(line), f)) {
		char *path = strchr(line, '/');
		if (!path || !strstr(path, "libpq"))
			continue;
		path[strcspn(path, "\n")] = '\0';
		if (strcmp(path, last) != 0)
			printf(" %s", path);
		snprintf(last, sizeof(last), "%s", path);
	}
	printf("\n");
	if (f)
		fclose(f);
}

static int run_plugin(const char *path, int mode, const char *conninfo)
{
	void *h = dlopen(path, mode);
	int (*run)(const char *);

	if (!h) {
		printf("FAIL dlopen: %s\n", dlerror());
		return 1;
	}
	*(void **)&run = dlsym(h, "plugin_run");
	return run ? run(conninfo) : 1;
}

#define LOOKUP(h, name) __typeof__(name) *name##_ = dlsym(h, #name)

static int drive(void *h, const char *conninfo)
{
	LOOKUP(h, PQconnectStart);
	LOOKUP(h, PQconnectPoll);
	LOOKUP(h, PQstatus);
	LOOKUP(h, PQsocket);
	LOOKUP(h, PQerrorMessage);
	LOOKUP(h, PQsslInUse);
	LOOKUP(h, PQlibVersion);
	LOOKUP(h, PQfinish);
	PostgresPollingStatusType st = PGRES_POLLING_WRITING;
	PGconn *conn;

	if (!PQconnectStart_ || !PQconnectPoll_ || !PQfinish_) {
		printf("FAIL missing symbols\n");
		return 1;
	}
	conn = PQconnectStart_(conninfo);
	while (conn && PQstatus_(conn) != CONNECTION_BAD &&
	       st != PGRES_POLLING_OK && st != PGRES_POLLING_FAILED) {
		struct pollfd p = {
		    PQsocket_(conn),
		    st == PGRES_POLLING_READING ? POLLIN : POLLOUT, 0};
		if (poll(&p, 1, 10000) <= 0)
			break;
		st = PQconnectPoll_(conn);
	}
	if (!conn)
		printf("FAIL null connection\n");
	else if (PQstatus_(conn) == CONNECTION_OK)
		printf("OK ssl=%d version=%d\n", PQsslInUse_(conn),
		       PQlibVersion_());
	else
		printf("FAIL %d %s", PQstatus_(conn), PQerrorMessage_(conn));
	int ok = conn && PQstatus_(conn) == CONNECTION_OK;
	if (conn)
		PQfinish_(conn);
	return ok ? 0 : 1;
}

static int run_dlmopen(const char *path, const char *conninfo)
{
	void *h = dlmopen(LM_ID_NEWLM, path, RTLD_NOW);

	if (!h) {
		printf("FAIL dlmopen: %s\n", dlerror());
		return 1;
	}
	return drive(h, conninfo);
}

int main(int argc, char **argv)
{
	int rc = 2;

	setvbuf(stdout, NULL, _IOLBF, 0);
	if (argc == 5 && strcmp(argv[1], "plugin") == 0)
		rc = run_plugin(
		    argv[3],
		    RTLD_NOW | RTLD_LOCAL |
			(strcmp(argv[2], "deepbind") == 0 ? RTLD_DEEPBIND : 0),
		    argv[4]);
	else if (argc == 5 && strcmp(argv[1], "two") == 0)
		rc = run_plugin(argv[2], RTLD_NOW | RTLD_LOCAL, argv[4]) |
		     run_plugin(argv[3], RTLD_NOW | RTLD_LOCAL, argv[4]);
	else if (argc == 5 && strcmp(argv[1], "dlsym") == 0) {
		void *h = dlopen(
		    argv[3],
		    RTLD_NOW | RTLD_LOCAL |
			(strcmp(argv[2], "deepbind") == 0 ? RTLD_DEEPBIND : 0));
		if (!h)
			printf("FAIL dlopen: %s\n", dlerror());
		rc = h ? drive(h, argv[4]) : 1;
	} else if (argc == 4 && strcmp(argv[1], "dlmopen") == 0)
		rc = run_dlmopen(argv[2], argv[3]);
	else
		fprintf(stderr, "usage: see tests/clients/vendored.c\n");
	print_maps();
	return rc;
}
