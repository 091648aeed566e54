/*
 * Checking a live connection's chain the way libpq's verify-ca/verify-full
 * would, without a second connection: report mode asks whether enforcing
 * would have broken a connection, audit records which CA anchored it, and
 * `pgverify probe` reports the same for its own handshake.
 */
#include "chain.h"
#include "core.h"
#include "file.h"
#include "forklock.h"

#include <arpa/inet.h>
#include <openssl/err.h>
#include <openssl/x509v3.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

/* Loaded bundles, by path and file identity; a process names few.  Written
 * and read under `stores_lock`; a store handed out carries its own
 * reference, so it outlives its slot. */
#define STORES 8
static struct {
	char path[1024];
	struct stat st;
	X509_STORE *store;
} stores[STORES];
static size_t next_slot;
static struct pgv_fork_lock stores_lock = PGV_FORK_LOCK_INITIALIZER;

static X509_STORE *load(const char *path)
{
	X509_STORE *store = X509_STORE_new();

	if (store && X509_STORE_load_file(store, path) != 1) {
		X509_STORE_free(store);
		store = NULL;
	}
	return store;
}

/* The store for `path`, with a reference for the caller; NULL if the file
 * cannot be loaded. */
static X509_STORE *store_for(const char *path)
{
	struct stat st;
	X509_STORE *store = NULL;
	size_t i;

	if (stat(path, &st) < 0 || strlen(path) >= sizeof(stores[0].path))
		return NULL;
	pgv_fork_lock(&stores_lock);
	for (i = 0; i < STORES; i++)
		if (stores[i].store && strcmp(stores[i].path, path) == 0)
			break;
	if (i < STORES && pgv_same_file(&stores[i].st, &st)) {
		store = stores[i].store;
	} else if ((store = load(path))) {
		i = i < STORES ? i : next_slot++ % STORES;
		X509_STORE_free(stores[i].store);
		snprintf(stores[i].path, sizeof(stores[i].path), "%s", path);
		stores[i].st = st;
		stores[i].store = store;
	}
	if (store)
		X509_STORE_up_ref(store);
	pgv_fork_unlock(&stores_lock);
	return store;
}

int pgv_is_ip_literal(const char *host)
{
	unsigned char buf[16];

	return inet_pton(AF_INET, host, buf) == 1 ||
	       inet_pton(AF_INET6, host, buf) == 1;
}

static int name_fits(X509 *leaf, const char *host)
{
	if (pgv_is_ip_literal(host))
		return X509_check_ip_asc(leaf, host, 0) == 1;
	return X509_check_host(leaf, host, 0,
			       X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS, NULL) == 1;
}

static void not_after(X509 *leaf, char *buf, size_t len)
{
	struct tm tm;

	if (ASN1_TIME_to_tm(X509_get0_notAfter(leaf), &tm) == 1)
		strftime(buf, len, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

/* The anchor's subject, its name as `pgverify bundle` shows it, and its
 * expiry, for audit records and `pgverify probe`. */
static void anchor_facts(X509 *root, struct pgv_chain *out)
{
	unsigned char *der = NULL;
	int len = i2d_X509(root, &der);
	pgverify_cert c;

	X509_NAME_oneline(X509_get_subject_name(root), out->anchor,
			  sizeof(out->anchor));
	if (len > 0 && pgv_cert_from_der(der, (size_t)len, 0, &c) == 0) {
		snprintf(out->anchor_name, sizeof(out->anchor_name), "%s",
			 c.subject);
		out->anchor_until = c.not_after;
	}
	OPENSSL_free(der);
}

static void verify(X509_STORE *store, X509 *leaf, STACK_OF(X509) * chain,
		   struct pgv_chain *out)
{
	X509_STORE_CTX *ctx = X509_STORE_CTX_new();

	if (!ctx || X509_STORE_CTX_init(ctx, store, leaf, chain) != 1 ||
	    X509_STORE_CTX_set_default(ctx, "ssl_server") != 1) {
		snprintf(out->error, sizeof(out->error), "out of memory");
	} else if (X509_verify_cert(ctx) != 1) {
		snprintf(out->error, sizeof(out->error), "%s",
			 X509_verify_cert_error_string(
			     X509_STORE_CTX_get_error(ctx)));
	} else {
		STACK_OF(X509) *path = X509_STORE_CTX_get0_chain(ctx);
		int n = path ? sk_X509_num(path) : 0;
		out->verified = 1;
		if (n > 0)
			anchor_facts(sk_X509_value(path, n - 1), out);
	}
	X509_STORE_CTX_free(ctx);
}

int pgv_chain_name_fits(SSL *ssl, const char *host)
{
	X509 *leaf = SSL_get1_peer_certificate(ssl);
	int fits = leaf && *host && name_fits(leaf, host);

	X509_free(leaf);
	return fits;
}

void pgv_chain_verify(SSL *ssl, const char *bundle, const char *host,
		      struct pgv_chain *out)
{
	X509 *leaf = ssl ? SSL_get1_peer_certificate(ssl) : NULL;
	X509_STORE *store = leaf ? store_for(bundle) : NULL;

	memset(out, 0, sizeof(*out));
	if (!leaf)
		snprintf(out->error, sizeof(out->error),
			 ssl ? "the server sent no certificate" : "no TLS");
	else if (!store)
		snprintf(out->error, sizeof(out->error),
			 "cannot load CA bundle %s", bundle);
	else
		verify(store, leaf, SSL_get_peer_cert_chain(ssl), out);
	if (leaf)
		not_after(leaf, out->not_after, sizeof(out->not_after));
	if (out->verified && host && !name_fits(leaf, host)) {
		out->verified = 0;
		snprintf(out->error, sizeof(out->error),
			 "server certificate does not match host name \"%s\"",
			 host);
	}
	X509_STORE_free(store);
	X509_free(leaf);
	ERR_clear_error();
}
