/*
 * A libpq client for the integration tests: connects through one entry
 * point and prints one line, "OK ssl=<0|1>" or "FAIL <status> <message>".
 * Built twice: against libpq alone (for LD_PRELOAD) and linked with
 * libpgverify (linked mode).
 *
 *   client connectdb CONNINFO        client start CONNINFO   (async + poll)
 *   client params K=V...             client setdb HOST PORT DBNAME USER
 *   client ping CONNINFO             client threads N CONNINFO
 *   client fork CONNINFO      (connect, fork, connect again in the child)
 *   client query CONNINFO SQL (as psql -XAtq -c SQL CONNINFO: prints the
 *                              first value, errors on stderr, exit 2)
 *   client deepbind CONNINFO  (libpq's PQconnectdb called past any shim, as
 *                              runtimes that load libpq with RTLD_DEEPBIND do)
 *   client fds CONNINFO...    (prints the open descriptors, connects to and
 *                              closes each, then prints them again)
 *   client bypass CONNINFO    (PQconnectStart and PQconnectPoll looked up in
 *                              libpq itself, as Python's ctypes does)
 *   client raw OFFSET CONNINFO (PQconnectStart called at libpq's base plus
 *                              OFFSET, read from the file by nm: past every
 *                              symbol table, as only a hostile program does)
 *   client dlmopen CONNINFO   (libpq loaded again in a new namespace with
 *                              dlmopen(LM_ID_NEWLM), its PQconnectdb used)
 *   client maps               (the libpq files mapped in this process)
 *   client sequence ARG...    (each ARG in turn: a CONNINFO, connected to
 *                              with one report line, or !COMMAND, run by
 *                              the shell: one process, many connections)
 *   client reset CONNINFO     (connect, then PQreset, as psql does after
 *                              losing the server)
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE /* dladdr */
#endif
#include <dirent.h>
#include <dlfcn.h>
#include <libpq-fe.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static int report(PGconn *conn)
{
	int ok = conn && PQstatus(conn) == CONNECTION_OK;

	if (!conn)
		printf("FAIL null connection\n");
	else if (ok)
		printf("OK ssl=%d\n", PQsslInUse(conn));
	else
		printf("FAIL %d %s", PQstatus(conn), PQerrorMessage(conn));
	PQfinish(conn);
	return ok ? 0 : 1;
}

/* Drive a started connection to its end with `poll_fn`. */
static PGconn *poll_until_done(PGconn *conn, __typeof__(PQconnectPoll) *poll_fn)
{
	PostgresPollingStatusType st = PGRES_POLLING_WRITING;

	while (conn && PQstatus(conn) != CONNECTION_BAD &&
	       st != PGRES_POLLING_OK && st != PGRES_POLLING_FAILED) {
		struct pollfd p = {
		    PQsocket(conn),
		    st == PGRES_POLLING_READING ? POLLIN : POLLOUT, 0};
		if (poll(&p, 1, 10000) <= 0)
			break;
		st = poll_fn(conn);
	}
	return conn;
}

/* The asynchronous path: PQconnectStartParams, then PQconnectPoll. */
static PGconn *connect_async(const char *conninfo)
{
	const char *kw[] = {"dbname", NULL};
	const char *val[] = {conninfo, NULL};

	return poll_until_done(PQconnectStartParams(kw, val, 1), PQconnectPoll);
}

static PGconn *connect_params(int argc, char **argv)
{
	const char **kw = calloc((size_t)argc + 1, sizeof(*kw));
	const char **val = calloc((size_t)argc + 1, sizeof(*val));

	for (int i = 0; i < argc; i++) {
		char *eq = strchr(argv[i], '=');
		if (!eq)
			return NULL;
		*eq = '\0';
		kw[i] = argv[i];
		val[i] = eq + 1;
	}
	PGconn *conn = PQconnectdbParams(kw, val, 1);
	free(kw);
	free(val);
	return conn;
}

static PGconn *connect_deepbind(const char *conninfo)
{
	void *h = dlopen("libpq.so.5", RTLD_NOW | RTLD_LOCAL | RTLD_DEEPBIND);
	__typeof__(PQconnectdb) *connectdb =
	    h ? (__typeof__(PQconnectdb) *)dlsym(h, "PQconnectdb") : NULL;

	return connectdb ? connectdb(conninfo) : NULL;
}

/* PQconnectStart and PQconnectPoll looked up in libpq itself. */
static PGconn *connect_bypass(const char *conninfo)
{
	void *h = dlopen("libpq.so.5", RTLD_NOW | RTLD_LOCAL);
	__typeof__(PQconnectStart) *start =
	    h ? (__typeof__(PQconnectStart) *)dlsym(h, "PQconnectStart") : NULL;
	__typeof__(PQconnectPoll) *poll_fn =
	    h ? (__typeof__(PQconnectPoll) *)dlsym(h, "PQconnectPoll") : NULL;

	return start && poll_fn ? poll_until_done(start(conninfo), poll_fn)
				: NULL;
}

/* PQconnectStart at its file offset from libpq's base: no symbol lookup. */
static PGconn *connect_raw(const char *offset, const char *conninfo)
{
	Dl_info info;
	__typeof__(PQconnectStart) *start;

	if (!dladdr((void *)PQlibVersion, &info))
		return NULL;
	start = (__typeof__(PQconnectStart) *)((char *)info.dli_fbase +
						strtoul(offset, NULL, 16));
	return poll_until_done(start(conninfo), PQconnectPoll);
}

/* A second libpq in its own namespace; report() cannot be used on its
 * connections, which belong to that copy. */
static int connect_dlmopen(const char *conninfo)
{
	void *h = dlmopen(LM_ID_NEWLM, "libpq.so.5", RTLD_NOW);
	__typeof__(PQconnectdb) *connectdb = h ? dlsym(h, "PQconnectdb") : NULL;
	__typeof__(PQstatus) *status = h ? dlsym(h, "PQstatus") : NULL;
	__typeof__(PQsslInUse) *ssl = h ? dlsym(h, "PQsslInUse") : NULL;
	__typeof__(PQerrorMessage) *error = h ? dlsym(h, "PQerrorMessage") : NULL;
	__typeof__(PQfinish) *finish = h ? dlsym(h, "PQfinish") : NULL;
	PGconn *conn;
	int ok;

	if (!connectdb || !status || !ssl || !error || !finish) {
		printf("FAIL dlmopen: %s\n", h ? "missing symbols" : dlerror());
		return 1;
	}
	conn = connectdb(conninfo);
	ok = conn && status(conn) == CONNECTION_OK;
	if (ok)
		printf("OK ssl=%d\n", ssl(conn));
	else
		printf("FAIL %s", conn ? error(conn) : "null connection\n");
	finish(conn);
	return ok ? 0 : 1;
}

static int print_maps(void)
{
	char line[4096];
	FILE *f = fopen("/proc/self/maps", "r");

	while (f && fgets(line, sizeof(line), f))
		if (strstr(line, "libpq"))
			fputs(strchr(line, '/') ? strchr(line, '/') : line,
			      stdout);
	return f ? fclose(f) : 1;
}

/* What psql -XAtq -c SQL CONNINFO does, for builds where psql cannot run. */
static int query(const char *conninfo, const char *sql)
{
	const char *kw[] = {"dbname", NULL};
	const char *val[] = {conninfo, NULL};
	PGconn *conn = PQconnectdbParams(kw, val, 1);
	PGresult *res = NULL;
	int rc = 2;

	if (PQstatus(conn) != CONNECTION_OK) {
		fprintf(stderr, "client: error: %s", PQerrorMessage(conn));
	} else if (PQresultStatus(res = PQexec(conn, sql)) != PGRES_TUPLES_OK) {
		fprintf(stderr, "client: error: %s", PQerrorMessage(conn));
	} else {
		if (PQntuples(res) > 0)
			printf("%s\n", PQgetvalue(res, 0, 0));
		rc = 0;
	}
	PQclear(res);
	PQfinish(conn);
	return rc;
}

/* The shim initialises in the parent; the child must still enforce. */
static int connect_fork(const char *conninfo)
{
	int status;

	if (report(PQconnectdb(conninfo)) != 0)
		return 1;
	pid_t pid = fork();
	if (pid == 0)
		_exit(report(PQconnectdb(conninfo)));
	if (pid < 0 || waitpid(pid, &status, 0) != pid)
		return 1;
	return WIFEXITED(status) ? WEXITSTATUS(status) : 1;
}

static const char *thread_conninfo;

static void *thread_main(void *arg)
{
	PGconn *conn = PQconnectdb(thread_conninfo);
	int ok = PQstatus(conn) == CONNECTION_OK && PQsslInUse(conn);

	(void)arg;
	PQfinish(conn);
	return (void *)(long)ok;
}

static int run_threads(int n, const char *conninfo)
{
	pthread_t t[64];
	int ok = 0;

	thread_conninfo = conninfo;
	if (n < 1 || n > 64)
		return 2;
	for (int i = 0; i < n; i++)
		pthread_create(&t[i], NULL, thread_main, NULL);
	for (int i = 0; i < n; i++) {
		void *r;
		pthread_join(t[i], &r);
		ok += (int)(long)r;
	}
	printf("%s %d/%d verified\n", ok == n ? "OK" : "FAIL", ok, n);
	return ok == n ? 0 : 1;
}

/* The open file descriptors, as "0 1 2 ...", from /proc/self/fd (which
 * lists them in order), leaving out the one reading the directory. */
static void list_fds(const char *label)
{
	DIR *d = opendir("/proc/self/fd");
	struct dirent *e;

	printf("%s:", label);
	while (d && (e = readdir(d)))
		if (e->d_name[0] != '.' && atoi(e->d_name) != dirfd(d))
			printf(" %s", e->d_name);
	printf("\n");
	if (d)
		closedir(d);
}

static int connect_each(int argc, char **argv)
{
	list_fds("before");
	for (int i = 0; i < argc; i++)
		PQfinish(PQconnectdb(argv[i]));
	list_fds("after");
	return 0;
}

/* Every argument in turn; the exit status says whether all connected. */
static int run_sequence(int argc, char **argv)
{
	int failed = 0;

	for (int i = 0; i < argc; i++) {
		if (argv[i][0] == '!')
			failed |= system(argv[i] + 1) != 0;
		else
			failed |= report(PQconnectdb(argv[i]));
	}
	return failed;
}

int main(int argc, char **argv)
{
	const char *mode = argc > 1 ? argv[1] : "";

	setvbuf(stdout, NULL, _IOLBF, 0);
	if (strcmp(mode, "connectdb") == 0 && argc == 3)
		return report(PQconnectdb(argv[2]));
	if (strcmp(mode, "start") == 0 && argc == 3)
		return report(connect_async(argv[2]));
	if (strcmp(mode, "params") == 0)
		return report(connect_params(argc - 2, argv + 2));
	if (strcmp(mode, "setdb") == 0 && argc == 6)
		return report(PQsetdbLogin(argv[2], argv[3], NULL, NULL,
					   argv[4], argv[5], NULL));
	if (strcmp(mode, "ping") == 0 && argc == 3) {
		static const char *const names[] = {
		    "OK", "REJECT", "NO_RESPONSE", "NO_ATTEMPT"};
		printf("PING %s\n", names[PQping(argv[2])]);
		return 0;
	}
	if (strcmp(mode, "query") == 0 && argc == 4)
		return query(argv[2], argv[3]);
	if (strcmp(mode, "fork") == 0 && argc == 3)
		return connect_fork(argv[2]);
	if (strcmp(mode, "deepbind") == 0 && argc == 3)
		return report(connect_deepbind(argv[2]));
	if (strcmp(mode, "reset") == 0 && argc == 3) {
		PGconn *conn = PQconnectdb(argv[2]);
		if (PQstatus(conn) == CONNECTION_OK)
			PQreset(conn);
		return report(conn);
	}
	if (strcmp(mode, "bypass") == 0 && argc == 3)
		return report(connect_bypass(argv[2]));
	if (strcmp(mode, "dlmopen") == 0 && argc == 3)
		return connect_dlmopen(argv[2]);
	if (strcmp(mode, "maps") == 0)
		return print_maps();
	if (strcmp(mode, "sequence") == 0)
		return run_sequence(argc - 2, argv + 2);
	if (strcmp(mode, "raw") == 0 && argc == 4)
		return report(connect_raw(argv[2], argv[3]));
	if (strcmp(mode, "fds") == 0)
		return connect_each(argc - 2, argv + 2);
	if (strcmp(mode, "threads") == 0 && argc == 4)
		return run_threads(atoi(argv[2]), argv[3]);
	fprintf(stderr, "usage: see the comment at the top of client.c\n");
	return 2;
}
