/* What a server presented when its certificate failed; see tlsfail.h. */
#include "tlsfail.h"

#include <stdio.h>
#include <string.h>

/* This thread's last failed handshake: libpq's connection (its SSL's
 * application data) and the names.  Written and read by this thread. */
static __thread struct {
	const void *conn;
	char issuer[256], root[256];
} last;

static void note(const struct pgv_ssl *t, SSL *ssl)
{
	STACK_OF(X509) *chain = t->get_peer_cert_chain(ssl);
	int n = chain ? t->sk_num((const OPENSSL_STACK *)chain) : 0;
	X509 *leaf, *top;

	last.conn = NULL;
	if (n <= 0)
		return;
	leaf = t->sk_value((const OPENSSL_STACK *)chain, 0);
	top = t->sk_value((const OPENSSL_STACK *)chain, n - 1);
	if (!leaf || !top ||
	    !t->name_oneline(t->get_issuer_name(leaf), last.issuer,
			     sizeof(last.issuer)) ||
	    !t->name_oneline(t->get_issuer_name(top), last.root,
			     sizeof(last.root)))
		return;
	/* libpq keeps its PGconn as the SSL's application data. */
	last.conn = t->get_ex_data(ssl, 0);
}

int pgv_tls_connect(const struct pgv_ssl *t, SSL *ssl)
{
	int r = t->connect(ssl);

	if (r <= 0 && t->get_verify_result(ssl) != X509_V_OK)
		note(t, ssl);
	return r;
}

int pgv_tls_failure(const void *conn, char *issuer, size_t issuer_len,
		    char *root, size_t root_len)
{
	if (!conn || last.conn != conn)
		return 0;
	snprintf(issuer, issuer_len, "%s", last.issuer);
	snprintf(root, root_len, "%s", last.root);
	last.conn = NULL;
	return 1;
}
