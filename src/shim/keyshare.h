/*
 * The TLS 1.3 key share a PostgreSQL server accepts at once.  OpenSSL
 * 1.1.1 to 3.4 offer one key share, X25519's; PostgreSQL 13 to 17 servers
 * default to ssl_ecdh_curve = prime256v1 and accept no other, so every
 * handshake costs a HelloRetryRequest: one more round trip and one more
 * key generation.  Offering P-256's share first, with the same groups
 * OpenSSL offers by default, saves it: a server that prefers X25519
 * (PostgreSQL 18's default list) accepts P-256 from the client's share
 * alone.  Nothing is weakened (both give 128-bit security), and nothing
 * is changed where the choice is someone else's:
 *  - OpenSSL 3.5 and later, which send several shares, a post-quantum
 *    hybrid first;
 *  - an OpenSSL configuration that sets Groups or Curves for every
 *    program (system_default in its ssl_conf section);
 *  - a connection whose SSL is not in its first handshake step.
 */
#ifndef PGV_KEYSHARE_H
#define PGV_KEYSHARE_H

#include "ssl.h"

/* Before libpq's first SSL_connect() on `ssl` through OpenSSL `t`. */
void pgv_keyshare_prepare(const struct pgv_ssl *t, SSL *ssl);

#endif
