/*
 * Audit records.  A record is a value: filled from the plan, completed from
 * the finished connection, formatted into one buffer and written with one
 * write(2) to a descriptor opened O_APPEND, so that threads and forked
 * children append whole lines and never tear one (or handed to syslog(3)
 * whole).  Nothing here can stop or delay a connection.
 */
#include "audit.h"
#include "chain.h"
#include "json.h"
#include "mask.h"
#include "process.h"
#include "rds.h"
#include "sslmode.h"

#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <openssl/ssl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

/* Written once by pgv_audit_open() (the shim's init, under its
 * pthread_once) before any record; read by pgv_audit_emit() after.  No
 * descriptor is kept: a program that closes its descriptors and opens its
 * own data file would get the same number, and a record would land in
 * its data (or its socket). */
static char *audit_path;
static int audit_syslog;

/* A record's strings are bounded, but escaping can grow them sixfold. */
#define LINE_MAX_BYTES 65536

static int verifies(const char *sslmode)
{
	return sslmode && pgv_sslmode_parse(sslmode) >= PGV_SSL_VERIFY_CA;
}

static void copy(char *dst, size_t len, const char *src)
{
	snprintf(dst, len, "%s", src ? src : "");
}

static void init_record(struct pgv_audit *a)
{
	memset(a, 0, sizeof(*a));
	a->verified = -1;
	a->would_verify = -1;
}

void pgv_audit_refused(struct pgv_audit *a, const char *reason)
{
	init_record(a);
	a->decision = "refused";
	a->outcome = "failed";
	copy(a->reason, sizeof(a->reason), reason);
}

static const char *enforce_decision(const pgverify_plan *p,
				    pgverify_verdict verdict)
{
	switch (verdict) {
	case PGVERIFY_LEAVE:
		return "left";
	case PGVERIFY_ENFORCE:
		return p->changed && !p->kept ? "upgraded" : "kept";
	case PGVERIFY_REFUSE:
		break;
	}
	return "refused";
}

/* The program's own side of the connection, as libpq merged it. */
static void copy_settings(struct pgv_audit *a, const pgverify_settings *s)
{
	copy(a->hosts, sizeof(a->hosts), s->host);
	copy(a->hostaddrs, sizeof(a->hostaddrs), s->hostaddr);
	copy(a->port, sizeof(a->port), s->port);
	copy(a->application_name, sizeof(a->application_name),
	     s->application_name && *s->application_name
		 ? s->application_name
		 : s->fallback_application_name);
	copy(a->sslrootcert_before, sizeof(a->sslrootcert_before),
	     s->sslrootcert);
}

void pgv_audit_from_plan(struct pgv_audit *a, const pgverify_plan *p,
			 pgverify_verdict verdict)
{
	const pgverify_decision *d = &p->decision;
	int left = d->verdict == PGVERIFY_LEAVE;

	init_record(a);
	a->report = p->would || d->report;
	a->decision = !p->would ? enforce_decision(p, verdict)
		      : left	? "left"
				: "reported";
	a->would = left ? PGVERIFY_WOULD_NONE : p->would;
	/* A refusal is an attempt that failed, before its first byte. */
	if (!p->would && verdict == PGVERIFY_REFUSE)
		a->outcome = "failed";
	a->sslmode_before = d->sslmode_before;
	a->sslmode_after = d->sslmode_after;
	/* What libpq itself does with the options it is given. */
	a->verifying = verdict == PGVERIFY_ENFORCE ||
		       verifies(left || p->would ? d->sslmode_before : NULL);
	copy_settings(a, &p->settings);
	copy(a->sslrootcert, sizeof(a->sslrootcert),
	     d->sslrootcert[0] ? d->sslrootcert : p->settings.sslrootcert);
	if (verdict == PGVERIFY_REFUSE || a->would == PGVERIFY_WOULD_REFUSE)
		copy(a->reason, sizeof(a->reason), p->reason);
	if (verdict == PGVERIFY_ENFORCE || a->would) {
		copy(a->bundle, sizeof(a->bundle), p->verify_bundle);
		a->check_name = p->verify_name;
	}
}

/* libpq's message on one line, without secrets. */
static void set_error(struct pgv_audit *a, const char *msg)
{
	copy(a->error, sizeof(a->error), msg);
	for (char *c = a->error; *c; c++)
		if (*c == '\n')
			*c = c[1] ? ' ' : '\0';
	pgv_mask_secrets(a->error, sizeof(a->error));
}

/* Whether the copy's SSL objects are of pgverify's OpenSSL (a copy that
 * ships its own, as npm's do, is not read for chain details). */
static int shares_openssl(const struct pgv_libpq *pq)
{
	void *h = dlopen(pq->path, RTLD_LAZY | RTLD_NOLOAD);
	int same = h && dlsym(h, "SSL_CTX_new") == (void *)SSL_CTX_new;

	if (h)
		dlclose(h);
	return same;
}

static void end_tls(struct pgv_audit *a, const struct pgv_libpq *pq,
		    PGconn *conn, void *ssl)
{
	struct pgv_chain c;

	a->verified = a->verifying;
	if (!a->bundle[0])
		return;
	if (!shares_openssl(pq)) {
		copy(a->would_verify_error, sizeof(a->would_verify_error),
		     "not checked: this libpq carries its own OpenSSL");
		return;
	}
	pgv_chain_verify(ssl, a->bundle, a->check_name ? pq->host(conn) : NULL,
			 &c);
	if (c.verified)
		copy(a->ca, sizeof(a->ca), c.anchor);
	copy(a->not_after, sizeof(a->not_after), c.not_after);
	if (a->would) {
		a->would_verify = c.verified;
		copy(a->would_verify_error, sizeof(a->would_verify_error),
		     c.error);
	}
}

/* A server without TLS told apart from a program that did not ask for it. */
static void no_tls_reason(struct pgv_audit *a)
{
	if (a->sslmode_before &&
	    pgv_sslmode_parse(a->sslmode_before) < PGV_SSL_PREFER)
		snprintf(a->would_verify_error, sizeof(a->would_verify_error),
			 "no TLS: the program asked for none (sslmode=%s)",
			 a->sslmode_before);
	else
		copy(a->would_verify_error, sizeof(a->would_verify_error),
		     "no TLS: the server offered none");
}

void pgv_audit_end(struct pgv_audit *a, const struct pgv_libpq *pq,
		   PGconn *conn)
{
	void *ssl;

	if (!conn || pq->status(conn) != CONNECTION_OK) {
		a->outcome = "failed";
		set_error(a, conn ? pq->error_message(conn) : "out of memory");
		/* Enforcement would not have connected either. */
		if (a->would) {
			a->would_verify = 0;
			snprintf(a->would_verify_error,
				 sizeof(a->would_verify_error),
				 "the connection failed before a verified "
				 "handshake");
		}
		return;
	}
	a->outcome = "connected";
	a->tls = pq->ssl_in_use(conn) != 0;
	ssl = a->tls ? pq->ssl_struct(conn, "OpenSSL") : NULL;
	if (ssl) {
		end_tls(a, pq, conn, ssl);
		return;
	}
	a->verified = 0;
	if (a->would) {
		a->would_verify = 0;
		no_tls_reason(a);
	}
}

void pgv_audit_end_ping(struct pgv_audit *a, PGPing ping)
{
	a->outcome =
	    ping == PQPING_OK || ping == PQPING_REJECT ? "connected" : "failed";
	/* A ping's TLS is known only where libpq had to use it. */
	a->tls = *a->outcome == 'f' ? 0 : a->verifying ? 1 : -1;
}

static void put_tristate(struct json *j, const char *key, int v)
{
	if (v < 0)
		json_str(j, key, NULL);
	else
		json_bool(j, key, v);
}

static const char *or_null(const char *s)
{
	return s && *s ? s : NULL;
}

static void put_time(struct json *j)
{
	struct timespec ts;
	struct tm tm;
	char date[32], buf[48];

	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	strftime(date, sizeof(date), "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(buf, sizeof(buf), "%s.%03dZ", date,
		 (int)(ts.tv_nsec / 1000000 % 1000));
	json_str(j, "time", buf);
}

/* A libpq list ("a,b") as a JSON array; null when empty and `null_if_empty`. */
static void put_list(struct json *j, const char *key, const char *list,
		     int null_if_empty)
{
	char item[512];
	const char *p = list;
	size_t n;

	if (!*list && null_if_empty) {
		json_str(j, key, NULL);
		return;
	}
	json_open(j, key, '[');
	while (*p) {
		n = strcspn(p, ",");
		snprintf(item, sizeof(item), "%.*s", (int)n, p);
		json_str(j, NULL, item);
		p += n + (p[n] == ',');
	}
	json_close(j, ']');
}

static void put_process(struct json *j)
{
	struct pgv_process p;

	pgv_process_get(&p);
	json_str(j, "program", program_invocation_short_name);
	json_str(j, "hostname", or_null(p.hostname));
	json_int(j, "uid", (long long)p.uid);
	json_str(j, "user", or_null(p.user));
	json_str(j, "unit", or_null(p.unit));
}

static void put_record(struct json *j, const struct pgv_audit *a)
{
	json_open(j, NULL, '{');
	put_time(j);
	json_int(j, "pid", (long long)getpid());
	put_process(j);
	json_str(j, "application_name", or_null(a->application_name));
	put_list(j, "hosts", a->hosts, 0);
	put_list(j, "hostaddrs", a->hostaddrs, 1);
	json_str(j, "port", or_null(a->port));
	json_str(j, "mode", a->report ? "report" : "enforce");
	json_str(j, "decision", a->decision);
	json_str(j, "sslmode_before", a->sslmode_before);
	json_str(j, "sslmode_after", a->sslmode_after);
	json_str(j, "sslrootcert_before", or_null(a->sslrootcert_before));
	json_str(j, "sslrootcert", or_null(a->sslrootcert));
	json_str(j, "reason", or_null(a->reason));
	if (a->report) {
		json_str(j, "would",
			 a->would ? pgverify_would_name(a->would) : "nothing");
		put_tristate(j, "would_verify", a->would_verify);
		json_str(j, "would_verify_error",
			 or_null(a->would_verify_error));
	}
	json_str(j, "outcome", a->outcome);
	json_str(j, "error", or_null(a->error));
	put_tristate(j, "tls", a->tls);
	put_tristate(j, "verified", a->verified);
	json_str(j, "ca", or_null(a->ca));
	json_str(j, "ca_id", a->ca[0] ? pgv_rds_ca_id(a->ca) : NULL);
	json_str(j, "cert_not_after", or_null(a->not_after));
	json_close(j, '}');
}

/* The record as one JSON line, newline included, into `out`; the length,
 * or -1 (out of memory, or longer than `len`). */
static long format(const struct pgv_audit *a, char *out, size_t len)
{
	FILE *f = fmemopen(out, len, "w");
	struct json j;
	long n;

	if (!f)
		return -1;
	json_init(&j, f);
	put_record(&j, a);
	json_end(&j);
	n = ferror(f) ? -1 : ftell(f);
	fclose(f);
	/* fmemopen() truncates silently: a full buffer is a cut record. */
	return n > 0 && (size_t)n < len ? n : -1;
}

int pgv_audit_open(const char *target)
{
	if (target && strcmp(target, "syslog") == 0)
		audit_syslog = 1;
	else if (target && !(audit_path = strdup(target)))
		return -1;
	return 0;
}

int pgv_audit_enabled(void)
{
	return audit_syslog || audit_path;
}

/*
 * The audit file, opened for one record: the file the configuration names
 * and nothing else (no symbolic link followed, no FIFO, device or
 * directory, never waiting for a reader).  -1 with why in `err`.
 */
static int open_record_file(char *err, size_t errlen)
{
	int fd = open(audit_path,
		      O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NOFOLLOW |
			  O_NONBLOCK | O_NOCTTY,
		      0600);
	struct stat st;

	if (fd < 0) {
		snprintf(
		    err, errlen, "cannot open audit file %s: %s", audit_path,
		    errno == ELOOP   ? "it is a symbolic link"
		    : errno == ENXIO ? "it is a FIFO (a regular file is needed)"
				     : strerror(errno));
		return -1;
	}
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		snprintf(err, errlen,
			 "audit file %s is not a regular file; records are "
			 "written only to one",
			 audit_path);
		close(fd);
		return -1;
	}
	return fd;
}

int pgv_audit_emit(const struct pgv_audit *a, char *err, size_t errlen)
{
	char *line = pgv_audit_enabled() ? malloc(LINE_MAX_BYTES) : NULL;
	long n = line ? format(a, line, LINE_MAX_BYTES) : -1;
	int fd, rc = 0;

	if (n > 0 && audit_syslog) {
		syslog(LOG_USER | LOG_INFO, "pgverify-audit: %.*s", (int)n - 1,
		       line);
	} else if (n > 0) {
		rc = fd = open_record_file(err, errlen);
		/* A full disk loses records, never connections. */
		if (fd >= 0 && write(fd, line, (size_t)n) != n) {
			snprintf(err, errlen,
				 "cannot write to audit file %s: %s",
				 audit_path, strerror(errno));
			rc = -1;
		}
		if (fd >= 0)
			close(fd);
	}
	free(line);
	return rc < 0 ? -1 : 0;
}
