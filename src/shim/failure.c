/*
 * A connection pgverify verified failed its certificate check: say, in its
 * PQerrorMessage() and once in the log, which bundle (from which rule) it
 * was verified with, what the server presented, and the probe command that
 * shows the whole chain.
 */
#include "failure.h"
#include "config.h"
#include "engine.h"
#include "log.h"
#include "mask.h"
#include "merge.h"
#include "plan.h"
#include "rds.h"

#include <stdio.h>
#include <string.h>

/* Whether libpq's message is a failed check of the server's certificate
 * (OpenSSL's verification, or libpq's host name check). */
static int certificate_failed(const char *msg)
{
	return msg && !strstr(msg, "pgverify probe") &&
	       (strstr(msg, "certificate verify failed") ||
		strstr(msg, "does not match host name"));
}

/* Where the bundle of a verified connection came from: the rule or the
 * configuration that names it, else the connection itself. */
static void bundle_origin(const pgverify_config *config,
			  const struct pgv_libpq *pq,
			  const pgverify_settings *s, char *out, size_t len)
{
	pgverify_settings bare = *s;
	pgverify_context ctx = pgv_plan_context(pq->version, NULL);
	pgverify_decision d;

	bare.sslrootcert = NULL;
	pgverify_decide(config, &bare, &ctx, &d);
	if (d.verdict != PGVERIFY_ENFORCE || !d.sslrootcert[0] ||
	    strcmp(d.sslrootcert, s->sslrootcert) != 0)
		snprintf(out, len, "the connection's own");
	else if (d.rule)
		snprintf(out, len, "the rule \"%s\" of %s", d.rule,
			 config->path ? config->path : "the configuration");
	else
		snprintf(out, len, "the sslrootcert of %s",
			 config->path ? config->path : "the built-in defaults");
}

/* ", and it presented ... " when the library saw the handshake fail. */
static void presented(const struct pgv_front *front, PGconn *conn, char *out,
		      size_t len)
{
	char issuer[256], root[256];
	const char *id;

	*out = '\0';
	if (!front->tls_failure(conn, issuer, sizeof(issuer), root,
				sizeof(root)))
		return;
	id = pgv_rds_ca_id(root);
	snprintf(out, len,
		 "; the server presented a certificate issued by %s, whose "
		 "chain names the root %s%s%s%s",
		 issuer, root, id ? " (RDS CA id " : "", id ? id : "",
		 id ? ")" : "");
}

void pgv_explain_failure(const pgverify_config *config,
			 const struct pgv_front *front,
			 const struct pgv_libpq *pq, PGconn *conn)
{
	pgverify_settings s;
	char origin[1200], note[3600], shown[700];

	if (!conn || !config || pq->status(conn) != CONNECTION_BAD ||
	    !certificate_failed(pq->error_message(conn)))
		return;
	memset(&s, 0, sizeof(s));
	if (pgv_settings_from_conn(pq, conn, NULL, &s) == 0 && s.sslmode &&
	    strncmp(s.sslmode, "verify-", 7) == 0 && s.sslrootcert) {
		bundle_origin(config, pq, &s, origin, sizeof(origin));
		presented(front, conn, shown, sizeof(shown));
		snprintf(
		    note, sizeof(note),
		    "pgverify: %s was verified with sslmode=%s against "
		    "%s (%s), and the server's certificate did not pass%s; "
		    "pgverify probe \"host=%s%s%s%s%s\" shows the chain "
		    "the server presents and its RDS CA id",
		    s.host ? s.host : "", s.sslmode, s.sslrootcert, origin,
		    shown, s.host ? s.host : "", s.hostaddr ? " hostaddr=" : "",
		    s.hostaddr ? s.hostaddr : "", s.port ? " port=" : "",
		    s.port ? s.port : "");
		pgv_escape_controls(note, sizeof(note) - 1);
		pgv_log(PGV_LOG_WARNING, "%s", note + strlen("pgverify: "));
		strcat(note, "\n");
		pgv_libpq_append_error(pq, conn, note);
	}
	pgverify_settings_clear(&s);
}
