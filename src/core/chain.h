/* A server's certificate chain checked against a bundle, as libpq would. */
#ifndef PGV_CHAIN_H
#define PGV_CHAIN_H

#include <openssl/ssl.h>

struct pgv_chain {
	int verified;	  /* the chain verifies and (if asked) the name fits */
	char error[256];  /* why not, or "" */
	char anchor[256]; /* subject of the bundle's CA that anchored it */
	char anchor_name[256];	/* its CN, else its whole subject */
	long long anchor_until; /* its notAfter, in seconds since 1970 */
	char not_after[32];	/* the server certificate's, RFC 3339 UTC */
};

/*
 * Verify the peer chain of `ssl` (a finished client handshake) against the
 * CA file `bundle` for an SSL server, and, if `host` is not NULL, the
 * server certificate against `host` by libpq's rules (IP literals against
 * IP SANs, names against DNS names, a wildcard only as a whole leftmost
 * label).  Bundles are loaded once per process until their file changes.
 */
void pgv_chain_verify(SSL *ssl, const char *bundle, const char *host,
		      struct pgv_chain *out);

/* Whether the server certificate of `ssl` fits `host` by those rules. */
int pgv_chain_name_fits(SSL *ssl, const char *host);

/* Whether `host` is an IPv4 or IPv6 address literal. */
int pgv_is_ip_literal(const char *host);

#endif
