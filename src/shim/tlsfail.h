/*
 * What a server presented when libpq's handshake failed its certificate
 * check.  libpq frees the connection's SSL before PQconnectPoll() returns,
 * so its SSL_connect() is routed here (store.c, stubs.c) and the peer's
 * chain is noted, on the thread that ran the handshake, for the failure
 * message the engine writes when that poll returns.
 */
#ifndef PGV_TLSFAIL_H
#define PGV_TLSFAIL_H

#include "ssl.h"

#include <stddef.h>

/* SSL_connect(ssl) on OpenSSL `t`; a failed verification is noted. */
int pgv_tls_connect(const struct pgv_ssl *t, SSL *ssl);

/* If the last handshake this thread failed was `conn`'s: 1, with the
 * issuer of the server's certificate and the root its chain names (one-line
 * names), and the note cleared; else 0. */
int pgv_tls_failure(const void *conn, char *issuer, size_t issuer_len,
		    char *root, size_t root_len);

#endif
