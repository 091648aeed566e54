/*
 * The entry points the bypass clients (deepbind_mod.c, dlmopen.c) call, one
 * per ENTRY word, each against CONNINFO:
 *
 *   connectdb     PQconnectdb(CONNINFO)
 *   params        PQconnectdbParams(keywords, values, 0), CONNINFO parsed
 *   setdb         PQsetdbLogin(host, port, NULL, NULL,
 *                   "dbname=D hostaddr=A", user, password)
 *   start         PQconnectStart(CONNINFO), then a PQconnectPoll loop
 *   startparams   PQconnectStartParams(keywords, values, 0), then the loop
 *   ping          PQping(CONNINFO)
 *   pingparams    PQpingParams(keywords, values, 0)
 *   where         where libpq's PQfinish and the PQconnectdb this caller
 *                 binds live (dladdr): "libpq=PATH", "PQconnectdb=PATH"
 *
 * A connection prints "ssl=t" or "ssl=f" (pg_stat_ssl for its own backend)
 * and returns 0, or "FAIL <message>" and returns 1; a ping prints
 * "ping=OK", "ping=REJECT", "ping=NO_RESPONSE" or "ping=NO_ATTEMPT" and
 * returns 0 only for OK.
 *
 * The includer defines LIBPQ(f), the way it reaches libpq's function f:
 * the name itself (a direct call, bound by the dynamic linker) or a pointer
 * it filled in with dlsym.
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

#define ENTRY_SSLQ "SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()"

static int entry_report(PGconn *conn)
{
	int ok = conn && LIBPQ(PQstatus)(conn) == CONNECTION_OK;

	if (!conn) {
		printf("FAIL no connection object\n");
		return 1;
	}
	if (ok) {
		PGresult *r = LIBPQ(PQexec)(conn, ENTRY_SSLQ);

		if (LIBPQ(PQresultStatus)(r) == PGRES_TUPLES_OK && LIBPQ(PQntuples)(r) == 1)
			printf("ssl=%s\n", LIBPQ(PQgetvalue)(r, 0, 0));
		else {
			printf("FAIL query: %s", LIBPQ(PQerrorMessage)(conn));
			ok = 0;
		}
		LIBPQ(PQclear)(r);
	} else
		printf("FAIL %s", LIBPQ(PQerrorMessage)(conn));
	LIBPQ(PQfinish)(conn);
	fflush(stdout);
	return ok ? 0 : 1;
}

static int entry_ping(PGPing p)
{
	static const char *names[] = {"OK", "REJECT", "NO_RESPONSE", "NO_ATTEMPT"};

	printf("ping=%s\n", (unsigned)p < 4 ? names[p] : "?");
	fflush(stdout);
	return p == PQPING_OK ? 0 : 1;
}

/* Drive a started connection to its end, waiting on its socket. */
static PGconn *entry_poll(PGconn *conn)
{
	PostgresPollingStatusType st = PGRES_POLLING_WRITING;

	while (conn && LIBPQ(PQstatus)(conn) != CONNECTION_BAD &&
	       st != PGRES_POLLING_OK && st != PGRES_POLLING_FAILED) {
		struct pollfd p = {LIBPQ(PQsocket)(conn),
				   st == PGRES_POLLING_READING ? POLLIN : POLLOUT, 0};

		if (p.fd >= 0 && poll(&p, 1, 30000) <= 0)
			break;
		st = LIBPQ(PQconnectPoll)(conn);
	}
	return conn;
}

/* CONNINFO as keyword and value arrays (NULL-terminated), by libpq itself. */
struct entry_kv {
	PQconninfoOption *opts;
	const char *kw[64], *val[64];
};

static int entry_parse(const char *conninfo, struct entry_kv *kv)
{
	char *err = NULL;
	int n = 0;

	kv->opts = LIBPQ(PQconninfoParse)(conninfo, &err);
	if (!kv->opts) {
		printf("FAIL PQconninfoParse: %s", err ? err : "out of memory\n");
		return -1;
	}
	for (PQconninfoOption *o = kv->opts; o->keyword && n < 63; o++)
		if (o->val) {
			kv->kw[n] = o->keyword;
			kv->val[n++] = o->val;
		}
	kv->kw[n] = kv->val[n] = NULL;
	return 0;
}

static const char *entry_get(const struct entry_kv *kv, const char *k)
{
	for (int i = 0; kv->kw[i]; i++)
		if (strcmp(kv->kw[i], k) == 0)
			return kv->val[i];
	return NULL;
}

static void entry_where(const char *what, void *addr)
{
	Dl_info info;

	if (addr && dladdr(addr, &info) && info.dli_fname)
		printf("%s=%s\n", what, info.dli_fname);
	else
		printf("%s=?\n", what);
}

__attribute__((unused)) static int run_entry(const char *entry, const char *conninfo)
{
	struct entry_kv kv;
	int rc = 2;

	if (strcmp(entry, "connectdb") == 0)
		return entry_report(LIBPQ(PQconnectdb)(conninfo));
	if (strcmp(entry, "start") == 0)
		return entry_report(entry_poll(LIBPQ(PQconnectStart)(conninfo)));
	if (strcmp(entry, "ping") == 0)
		return entry_ping(LIBPQ(PQping)(conninfo));
	if (strcmp(entry, "where") == 0) {
		entry_where("libpq", (void *)LIBPQ(PQfinish));
		entry_where("PQconnectdb", (void *)LIBPQ(PQconnectdb));
		fflush(stdout);
		return 0;
	}
	if (entry_parse(conninfo, &kv) < 0)
		return 1;
	if (strcmp(entry, "params") == 0)
		rc = entry_report(LIBPQ(PQconnectdbParams)(kv.kw, kv.val, 0));
	else if (strcmp(entry, "startparams") == 0)
		rc = entry_report(entry_poll(LIBPQ(PQconnectStartParams)(kv.kw, kv.val, 0)));
	else if (strcmp(entry, "pingparams") == 0)
		rc = entry_ping(LIBPQ(PQpingParams)(kv.kw, kv.val, 0));
	else if (strcmp(entry, "setdb") == 0) {
		/* host, port and user as arguments, the rest as a conninfo dbName. */
		char db[512];
		const char *addr = entry_get(&kv, "hostaddr");

		snprintf(db, sizeof(db), "dbname=%s%s%s",
			 entry_get(&kv, "dbname") ? entry_get(&kv, "dbname") : "postgres",
			 addr ? " hostaddr=" : "", addr ? addr : "");
		rc = entry_report(LIBPQ(PQsetdbLogin)(entry_get(&kv, "host"), entry_get(&kv, "port"),
						      NULL, NULL, db, entry_get(&kv, "user"),
						      entry_get(&kv, "password")));
	} else
		fprintf(stderr, "unknown entry %s\n", entry);
	LIBPQ(PQconninfoFree)(kv.opts);
	return rc;
}
