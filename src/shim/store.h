/*
 * One trust store per bundle file per process, used by libpq's own
 * handshake.  libpq makes a new SSL_CTX for every connection and loads
 * its sslrootcert into it with SSL_CTX_load_verify_locations(), parsing
 * the whole file each time (108 certificates for the RDS bundle).  Each
 * bound copy's calls to that function, and to the two that change a
 * store afterwards (a CRL), come here (bind.c): the file is loaded once
 * per OpenSSL while it is unchanged, and the store is shared; a
 * connection that would change its store gets a private one first.
 */
#ifndef PGV_STORE_H
#define PGV_STORE_H

#include "hooks.h"
#include "ssl.h"

/* In this order in every table of these hooks (stubs.c). */
enum pgv_store_entry {
	PGV_STORE_CTX_LOAD, /* SSL_CTX_load_verify_locations */
	PGV_STORE_LOAD,	    /* X509_STORE_load_locations */
	PGV_STORE_FLAGS,    /* X509_STORE_set_flags */
	PGV_STORE_CONNECT,  /* SSL_connect (tlsfail.c) */
	PGV_NSTORE_HOOKS
};

/* stubs.c: each slot's hooks, and the names they replace. */
extern const void *const pgv_store_stubs[PGV_COPIES_MAX][PGV_NSTORE_HOOKS];
extern const char *const pgv_store_hook_names[PGV_NSTORE_HOOKS];

/* The copy of `slot` calls `ssl`: set once, before its GOT names the
 * slot's hooks. */
void pgv_store_attach(int slot, const struct pgv_ssl *ssl);

/*
 * The hooks' bodies.  Each returns what libpq's call would have returned,
 * and leaves every store that other connections share as it was.
 */
int pgv_store_ctx_load_verify(int slot, SSL_CTX *ctx, const char *file,
			      const char *dir);
int pgv_store_load_locations(int slot, X509_STORE *store, const char *file,
			     const char *dir);
int pgv_store_set_flags(int slot, X509_STORE *store, unsigned long flags);

/* libpq's SSL_connect(), on the slot's OpenSSL: its key share first
 * (keyshare.c), then through tlsfail.c. */
int pgv_store_connect(int slot, SSL *ssl);

#endif
