/*
 * pgverify probe CONNINFO: for each TCP host of the connection, send
 * PostgreSQL's SSLRequest, do the TLS handshake, and report the chain the
 * server sent, whether the bundle the policy would use verifies it, and
 * whether the host name matches.  It never sends a startup packet, a user
 * name or a password: after the handshake it closes the connection.
 */
#include "chain.h"
#include "cli.h"
#include "json.h"
#include "rds.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

static const char usage[] = "pgverify probe [-c FILE] [--json] CONNINFO";

#define TIMEOUT_MS 10000
#define ITEM_MAX   1024

struct result {
	char address[INET6_ADDRSTRLEN];
	int tls;	 /* the server accepted the SSLRequest */
	int direct;	 /* it also takes TLS from the first byte (17+) */
	char error[512]; /* why the probe stopped, or "" */
	char protocol[32], cipher[64];
	pgverify_cert chain[16];
	int chain_len;
	int verified;
	char verify_error[256];
	char anchor[256];
	char anchor_name[256];	/* the anchor's CN, else its subject */
	long long anchor_until; /* the anchor's notAfter (verified) */
	int host_match;
	int ok;
	const char *ca_id; /* the RDS CA id of the chain's root, or NULL */
	char region[PGV_REGION_SIZE]; /* an RDS endpoint's region, or "" */
	int trusted[PGV_RDS_IDS];     /* the bundle's roots for that region */
	long long until[PGV_RDS_IDS];
};

/* Connect to the first address of `t` that answers, within the timeout. */
static int tcp_connect(const pgv_host *t, struct result *r)
{
	struct addrinfo hints = {.ai_socktype = SOCK_STREAM}, *ai, *a;
	int fd = -1, rc;

	hints.ai_flags = t->addr[0] ? AI_NUMERICHOST : 0;
	rc = getaddrinfo(t->addr[0] ? t->addr : t->host,
			 t->port[0] ? t->port : "5432", &hints, &ai);
	if (rc) {
		snprintf(r->error, sizeof(r->error),
			 "cannot resolve %.200s: %s",
			 t->addr[0] ? t->addr : t->host, gai_strerror(rc));
		return -1;
	}
	for (a = ai; a && fd < 0; a = a->ai_next) {
		fd = socket(a->ai_family, a->ai_socktype | SOCK_CLOEXEC, 0);
		if (fd < 0)
			continue;
		fcntl(fd, F_SETFL, O_NONBLOCK);
		struct pollfd p = {fd, POLLOUT, 0};
		int soerr = 0;
		socklen_t len = sizeof(soerr);
		if ((connect(fd, a->ai_addr, a->ai_addrlen) < 0 &&
		     (errno != EINPROGRESS || poll(&p, 1, TIMEOUT_MS) != 1)) ||
		    getsockopt(fd, SOL_SOCKET, SO_ERROR, &soerr, &len) < 0 ||
		    soerr) {
			snprintf(r->error, sizeof(r->error),
				 "cannot connect: %s",
				 strerror(soerr	  ? soerr
					  : errno ? errno
						  : ETIMEDOUT));
			close(fd);
			fd = -1;
			continue;
		}
		getnameinfo(a->ai_addr, a->ai_addrlen, r->address,
			    sizeof(r->address), NULL, 0, NI_NUMERICHOST);
		r->error[0] = '\0';
	}
	freeaddrinfo(ai);
	if (fd >= 0) {
		struct timeval tv = {TIMEOUT_MS / 1000, 0};
		fcntl(fd, F_SETFL, 0);
		setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
		setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	}
	return fd;
}

/* PostgreSQL's SSLRequest: length 8, code 80877103.  1: 'S', 0: 'N'. */
static int ssl_request(int fd, struct result *r)
{
	static const unsigned char req[8] = {0,	   0,	 0,    8,
					     0x04, 0xd2, 0x16, 0x2f};
	char answer = 0;

	if (write(fd, req, sizeof(req)) != (ssize_t)sizeof(req) ||
	    read(fd, &answer, 1) != 1) {
		snprintf(r->error, sizeof(r->error),
			 "no answer to the SSLRequest: %s",
			 errno ? strerror(errno) : "connection closed");
		return -1;
	}
	if (answer == 'N')
		snprintf(r->error, sizeof(r->error),
			 "the server does not support TLS (answered N)");
	else if (answer != 'S')
		snprintf(r->error, sizeof(r->error),
			 "unexpected answer to the SSLRequest: 0x%02x",
			 (unsigned char)answer);
	return answer == 'S' ? 1 : answer == 'N' ? 0 : -1;
}

static void record_chain(SSL *ssl, struct result *r)
{
	STACK_OF(X509) *chain = SSL_get_peer_cert_chain(ssl);

	for (int i = 0; chain && i < sk_X509_num(chain) && r->chain_len < 16;
	     i++) {
		unsigned char *der = NULL;
		int len = i2d_X509(sk_X509_value(chain, i), &der);
		if (len > 0 && pgv_cert_from_der(der, (size_t)len, i,
						 &r->chain[r->chain_len]) == 0)
			r->chain_len++;
		OPENSSL_free(der);
	}
}

/* The chain against `bundle`, and the certificate against the host name,
 * reported apart. */
static void check_chain(SSL *ssl, const pgv_host *t, const char *bundle,
			struct result *r)
{
	struct pgv_chain c;

	pgv_chain_verify(ssl, bundle, NULL, &c);
	r->verified = c.verified;
	snprintf(r->verify_error, sizeof(r->verify_error), "%s", c.error);
	snprintf(r->anchor, sizeof(r->anchor), "%s", c.anchor);
	snprintf(r->anchor_name, sizeof(r->anchor_name), "%s", c.anchor_name);
	r->anchor_until = c.anchor_until;
	r->host_match = t->named && pgv_chain_name_fits(ssl, t->host);
}

static void handshake(int fd, const pgv_host *t, const char *bundle,
		      struct result *r)
{
	SSL_CTX *ctx = SSL_CTX_new(TLS_client_method());
	SSL *ssl = ctx ? SSL_new(ctx) : NULL;

	if (!ssl) {
		snprintf(r->error, sizeof(r->error), "out of memory");
	} else {
		/* libpq 15's defaults: TLS 1.2 or later, SNI on. */
		SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
		SSL_set_verify(ssl, SSL_VERIFY_NONE, NULL);
		if (t->named && !pgv_is_ip_literal(t->host))
			SSL_set_tlsext_host_name(ssl, t->host);
		SSL_set_fd(ssl, fd);
		if (SSL_connect(ssl) != 1) {
			snprintf(r->error, sizeof(r->error),
				 "TLS handshake failed: %s",
				 ERR_reason_error_string(ERR_peek_last_error())
				     ?: "connection closed");
		} else {
			snprintf(r->protocol, sizeof(r->protocol), "%s",
				 SSL_get_version(ssl));
			snprintf(r->cipher, sizeof(r->cipher), "%s",
				 SSL_get_cipher_name(ssl));
			record_chain(ssl, r);
			check_chain(ssl, t, bundle, r);
			SSL_shutdown(ssl);
		}
	}
	SSL_free(ssl);
	SSL_CTX_free(ctx);
	ERR_clear_error();
}

/*
 * The RDS CA id of the root that anchored the chain (or, if none did, of
 * the root the chain names), and for an RDS endpoint which of its region's
 * G1 ids the bundle trusts: what `rotation` answers offline.
 */
static void rds_facts(const pgv_host *t, const char *bundle, struct result *r)
{
	char err[512];

	if (r->verified)
		r->ca_id = pgv_rds_ca_id(r->anchor);
	else if (r->chain_len > 0)
		r->ca_id = pgv_rds_ca_id(r->chain[r->chain_len - 1].issuer);
	if (!t->named ||
	    pgv_rds_region(t->host, r->region, sizeof(r->region)) < 0 ||
	    pgv_rds_trust(bundle, r->region, (long long)time(NULL), r->trusted,
			  r->until, err, sizeof(err)) < 0)
		r->region[0] = '\0';
}

/*
 * Whether the server takes TLS from the first byte (sslnegotiation=direct,
 * PostgreSQL 17+): a handshake on a second connection, with the ALPN
 * protocol "postgresql" that such servers require.  Older servers read
 * the ClientHello as a startup packet and close the connection.
 */
static int takes_direct_tls(const pgv_host *t)
{
	static const unsigned char alpn[] = "\x0apostgresql";
	struct result scratch = {0};
	int fd = tcp_connect(t, &scratch), ok = 0;
	SSL_CTX *ctx = fd >= 0 ? SSL_CTX_new(TLS_client_method()) : NULL;
	SSL *ssl = ctx ? SSL_new(ctx) : NULL;
	const unsigned char *chosen = NULL;
	unsigned int len = 0;

	if (ssl && SSL_set_alpn_protos(ssl, alpn, sizeof(alpn) - 1) == 0) {
		SSL_set_verify(ssl, SSL_VERIFY_NONE, NULL);
		if (t->named && !pgv_is_ip_literal(t->host))
			SSL_set_tlsext_host_name(ssl, t->host);
		SSL_set_fd(ssl, fd);
		if (SSL_connect(ssl) == 1) {
			SSL_get0_alpn_selected(ssl, &chosen, &len);
			ok = len == 10 && memcmp(chosen, "postgresql", 10) == 0;
			SSL_shutdown(ssl);
		}
	}
	SSL_free(ssl);
	SSL_CTX_free(ctx);
	ERR_clear_error();
	if (fd >= 0)
		close(fd);
	return ok;
}

static void probe_target(const pgv_host *t, const char *bundle, int need_name,
			 struct result *r)
{
	int fd = tcp_connect(t, r);

	if (fd < 0)
		return;
	r->tls = ssl_request(fd, r) == 1;
	if (r->tls)
		handshake(fd, t, bundle, r);
	close(fd);
	r->direct = r->tls && takes_direct_tls(t);
	r->ok = r->tls && !r->error[0] && r->verified &&
		(!need_name || r->host_match);
	rds_facts(t, bundle, r);
}

/*
 * The root CA the chain leads to: the bundle's CA that anchored it, or,
 * unverified, the one the chain names (its last certificate's issuer), with
 * its expiry where it is known (the anchor, or a root the server sent).
 * Named by its CN where it has one.  0 if there is no chain.
 */
static int root_ca(const struct result *r, char name[256], long long *until)
{
	const pgverify_cert *last =
	    r->chain_len ? &r->chain[r->chain_len - 1] : NULL;

	*until = 0;
	if (r->verified && r->anchor[0]) {
		snprintf(name, 256, "%s",
			 r->anchor_name[0] ? r->anchor_name : r->anchor);
		*until = r->anchor_until;
		return 1;
	}
	if (!last)
		return 0;
	snprintf(name, 256, "%s", last->issuer);
	if (strcmp(last->subject, last->issuer) == 0)
		*until = last->not_after;
	return 1;
}

static void print_root(const struct result *r)
{
	char name[256], date[16];
	long long until;

	if (!root_ca(r, name, &until))
		return;
	printf("  root CA    %s%s", name,
	       r->verified ? "" : " (named by the chain; not verified)");
	if (until)
		printf(", until %s (%lld days)", cli_date(until, date),
		       cli_days_left(until));
	putchar('\n');
}

static void print_rds(const struct result *r)
{
	char until[16];

	if (r->ca_id)
		printf("  RDS CA     %s%s\n", r->ca_id,
		       r->verified ? ""
				   : " (named by the chain; not verified)");
	if (!r->region[0])
		return;
	for (size_t i = 0; i < PGV_RDS_G1_IDS; i++)
		printf("  %-10s %s %s%s\n", i ? "" : r->region, pgv_rds_ids[i],
		       r->trusted[i] ? "trusted until " : "NOT in the bundle",
		       r->trusted[i] ? cli_date(r->until[i], until) : "");
}

static void print_human(const pgv_host *t, const struct result *r,
			const char *bundle, int need_name, int report)
{
	char until[16];

	printf("%s port %s%s%s%s\n", t->named ? t->host : t->addr,
	       t->port[0] ? t->port : "5432", r->address[0] ? " (" : "",
	       r->address, r->address[0] ? ")" : "");
	cli_print_provider(t->named ? pgv_provider_of_host(t->host) : NULL,
			   "  provider   ");
	if (r->error[0] && !r->protocol[0]) {
		printf("  REFUSED    %s\n", r->error);
		return;
	}
	printf("  tls        %s, %s\n", r->protocol, r->cipher);
	printf("  direct TLS %s\n",
	       r->direct ? "yes: a hosts rule may set sslnegotiation = "
			   "\"direct\" (one round trip less, libpq 17+)"
			 : "no: keep the classic negotiation (PostgreSQL 16 or "
			   "older, or a proxy that does not take it)");
	for (int i = 0; i < r->chain_len; i++) {
		const pgverify_cert *c = &r->chain[i];
		printf("  %s %d  %s, issued by %s, until %s (%lld days)\n",
		       i ? "          " : "chain     ", i, c->subject,
		       c->issuer, cli_date(c->not_after, until),
		       cli_days_left(c->not_after));
	}
	printf("  bundle     %s\n", bundle);
	if (r->verified)
		printf("  verified   yes, anchored by %s\n", r->anchor);
	else
		printf("  verified   NO: %s\n", r->verify_error);
	print_root(r);
	print_rds(r);
	printf("  host name  %s %s%s\n",
	       r->host_match ? "matches" : "does NOT match",
	       t->named ? t->host : "(none given)",
	       need_name || r->host_match ? "" : " (not needed for verify-ca)");
	/* Report mode changes nothing: say what enforcement would do. */
	printf("  result     %s\n",
	       r->ok	? "ok: pgverify lets this connection through"
	       : report ? "would be refused under enforcement (report mode: "
			  "the connection goes ahead as the program asks)"
			: "REFUSED: libpq would reject this server");
}

static void json_root(struct json *j, const struct result *r)
{
	char name[256], date[16];
	long long until;

	if (!root_ca(r, name, &until)) {
		json_str(j, "root_ca", NULL);
		return;
	}
	json_open(j, "root_ca", '{');
	json_str(j, "name", name);
	json_bool(j, "verified", r->verified);
	json_str(j, "not_after", until ? cli_date(until, date) : NULL);
	if (until)
		json_int(j, "days_left", cli_days_left(until));
	else
		json_str(j, "days_left", NULL);
	json_close(j, '}');
}

static void json_result(struct json *j, const pgv_host *t,
			const struct result *r)
{
	char date[16];

	json_open(j, NULL, '{');
	json_str(j, "host", t->named ? t->host : NULL);
	json_str(j, "hostaddr", t->addr[0] ? t->addr : NULL);
	json_str(j, "port", t->port[0] ? t->port : "5432");
	json_str(j, "address", r->address[0] ? r->address : NULL);
	cli_json_provider(j, t->named ? pgv_provider_of_host(t->host) : NULL);
	json_bool(j, "tls", r->tls);
	json_bool(j, "direct_tls", r->direct);
	json_str(j, "protocol", r->protocol[0] ? r->protocol : NULL);
	json_str(j, "cipher", r->cipher[0] ? r->cipher : NULL);
	json_open(j, "chain", '[');
	for (int i = 0; i < r->chain_len; i++) {
		json_open(j, NULL, '{');
		json_str(j, "subject", r->chain[i].subject);
		json_str(j, "issuer", r->chain[i].issuer);
		json_str(j, "not_before",
			 cli_date(r->chain[i].not_before, date));
		json_str(j, "not_after", cli_date(r->chain[i].not_after, date));
		json_int(j, "days_left", cli_days_left(r->chain[i].not_after));
		json_str(j, "sha256", r->chain[i].sha256);
		json_close(j, '}');
	}
	json_close(j, ']');
	json_bool(j, "verified", r->verified);
	json_str(j, "verify_error",
		 r->verify_error[0] ? r->verify_error : NULL);
	json_str(j, "anchor", r->anchor[0] ? r->anchor : NULL);
	json_bool(j, "host_match", r->host_match);
	json_root(j, r);
	json_str(j, "ca_id", r->ca_id);
	json_str(j, "rds_region", r->region[0] ? r->region : NULL);
	json_open(j, "rds_cas", '[');
	for (size_t i = 0; r->region[0] && i < PGV_RDS_G1_IDS; i++) {
		json_open(j, NULL, '{');
		json_str(j, "id", pgv_rds_ids[i]);
		json_bool(j, "trusted", r->trusted[i]);
		json_str(j, "until",
			 r->trusted[i] ? cli_date(r->until[i], date) : NULL);
		json_close(j, '}');
	}
	json_close(j, ']');
	json_str(j, "error", r->error[0] ? r->error : NULL);
	json_bool(j, "ok", r->ok);
	json_close(j, '}');
}

/* Probe every TCP host; returns the exit status. */
static int probe_all(const pgverify_plan *p, const char *bundle, int want_json)
{
	pgv_hosts it;
	pgv_host t;
	struct result r;
	struct json j;
	int need_name = strcmp(p->decision.sslmode_after, "verify-full") == 0;
	/* Report mode probes what enforcement would do. */
	int ok = p->verdict == PGVERIFY_ENFORCE ||
		 (p->would && p->would != PGVERIFY_WOULD_REFUSE);

	json_init(&j, stdout);
	if (want_json) {
		json_open(&j, NULL, '{');
		json_str(&j, "sslmode", p->decision.sslmode_after);
		json_str(&j, "sslrootcert", bundle);
		json_str(&j, "refused", ok ? NULL : p->reason);
		json_open(&j, "hosts", '[');
	} else if (!ok) {
		printf("pgverify %s this connection: %s\n",
		       p->would ? "(report mode) would refuse" : "refuses",
		       p->reason);
	}
	/* The policy accepted these settings, so the walk is well-formed. */
	pgv_hosts_begin(&p->settings, &it);
	while (pgv_hosts_next(&it, &t) > 0) {
		if (!t.tcp)
			continue;
		memset(&r, 0, sizeof(r));
		probe_target(&t, bundle, need_name, &r);
		ok &= r.ok;
		if (want_json)
			json_result(&j, &t, &r);
		else
			print_human(&t, &r, bundle, need_name, p->would != 0);
	}
	if (want_json) {
		json_close(&j, ']');
		json_bool(&j, "ok", ok);
		json_close(&j, '}');
		json_end(&j);
	}
	return ok ? EXIT_OK : EXIT_REFUSED;
}

/* The policy leaves the connection alone or refuses it outright. */
static int not_probed(const pgverify_plan *p, int want_json)
{
	int leave = p->verdict == PGVERIFY_LEAVE;
	struct json j;

	if (want_json) {
		json_init(&j, stdout);
		json_open(&j, NULL, '{');
		json_str(&j, "refused", leave ? NULL : p->reason);
		json_str(&j, "not_enforced", leave ? p->reason : NULL);
		json_open(&j, "hosts", '[');
		json_close(&j, ']');
		json_bool(&j, "ok", leave);
		json_close(&j, '}');
		json_end(&j);
	} else {
		printf("%s: %s\n", leave ? "not enforced" : "refused",
		       p->reason);
	}
	return leave ? EXIT_OK : EXIT_REFUSED;
}

static int probe(const pgverify_config *cfg, const struct cli_opts *o,
		 const pgverify_plan *p)
{
	(void)cfg;
	if (p->decision.verdict == PGVERIFY_ENFORCE)
		return probe_all(p, p->verify_bundle, o->json);
	return not_probed(p, o->json);
}

int cmd_probe(int argc, char **argv)
{
	return cli_with_plan(argc, argv, usage, probe);
}
