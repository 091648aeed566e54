/*
 * An extension as a Python wheel or a PHP module is one: a shared object
 * linked with its own libpq (a renamed copy, libpq-<hash>.so.5), loaded
 * by a host program that links no libpq (tests/clients/vendored.c).
 * Built by tests/suites/matrix.sh against each libpq build.
 *
 * plugin_run(CONNINFO) connects with PQconnectdb() and prints one line:
 *   OK ssl=<0|1> version=<PQlibVersion()> cancel=<PQcancel() result>
 *      [cancel17=<libpq 17's PQcancelBlocking() result>]
 * or FAIL <status> <message>.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE /* dladdr */
#endif
#include <dlfcn.h>
#include <libpq-fe.h>
#include <stdio.h>

/* libpq 17's cancel API, looked up in this object's own libpq (the
 * headers the test is built with may be older). */
static int cancel17(PGconn *conn)
{
	Dl_info info;
	void *h, *(*create)(PGconn *);
	int (*blocking)(void *);
	void (*finish)(void *);
	int rc = -1;

	if (!dladdr((void *)PQlibVersion, &info) ||
	    !(h = dlopen(info.dli_fname, RTLD_LAZY | RTLD_NOLOAD)))
		return -1;
	*(void **)&create = dlsym(h, "PQcancelCreate");
	*(void **)&blocking = dlsym(h, "PQcancelBlocking");
	*(void **)&finish = dlsym(h, "PQcancelFinish");
	if (create && blocking && finish) {
		void *c = create(conn);
		rc = c ? blocking(c) : -1;
		if (c)
			finish(c);
	}
	dlclose(h);
	return rc;
}

int plugin_run(const char *conninfo)
{
	PGconn *conn = PQconnectdb(conninfo);
	char err[256];
	int ok = conn && PQstatus(conn) == CONNECTION_OK;

	if (!conn) {
		printf("FAIL null connection\n");
		return 1;
	}
	if (!ok) {
		printf("FAIL %d %s", PQstatus(conn), PQerrorMessage(conn));
	} else {
		PGcancel *c = PQgetCancel(conn);
		int cancelled = c && PQcancel(c, err, sizeof(err));
		PQfreeCancel(c);
		printf("OK ssl=%d version=%d cancel=%d", PQsslInUse(conn),
		       PQlibVersion(), cancelled);
		if (PQlibVersion() >= 170000)
			printf(" cancel17=%d", cancel17(conn));
		printf("\n");
	}
	PQfinish(conn);
	fflush(stdout);
	return ok ? 0 : 1;
}
