/*
 * One set of hooks per libpq copy.  A copy's symbol table and every GOT
 * slot bound to its functions are pointed at its own set (copies.c), so a
 * call that arrives here says by its address alone which libpq it was
 * meant for: no lookup, no guess, on every route (dlsym() on the copy,
 * RTLD_DEEPBIND, dlmopen(), libpq's own internal calls).  The last set
 * belongs to no copy: copies that cannot be given a slot point there, and
 * every connection they are asked for is refused.
 */
#include "hooks.h"
#include "store.h"

#define SLOT_NAME(piece, k) piece##_##k
#define STUBS(k)	    PGV_HOOKS(static, SLOT_NAME, k, k)

#define ROW(k)                                                                 \
	{                                                                      \
		(const void *)connectdb_##k,                                   \
		    (const void *)connectdbParams_##k,                         \
		    (const void *)connectStart_##k,                            \
		    (const void *)connectStartParams_##k,                      \
		    (const void *)setdbLogin_##k, (const void *)ping_##k,      \
		    (const void *)pingParams_##k,                              \
		    (const void *)connectPoll_##k                              \
	}

STUBS(0)
STUBS(1)
STUBS(2)
STUBS(3)
STUBS(4)
STUBS(5)
STUBS(6)
STUBS(7)
STUBS(8)

_Static_assert(PGV_COPIES_MAX == 8, "one STUBS() and ROW() per slot");

const void *const pgv_stubs[PGV_COPIES_MAX + 1][PGV_NHOOKS] = {
    ROW(0), ROW(1), ROW(2), ROW(3), ROW(4), ROW(5), ROW(6), ROW(7), ROW(8),
};

const char *const pgv_hook_names[PGV_NHOOKS] = {
    "PQconnectdb",	    "PQconnectdbParams", "PQconnectStart",
    "PQconnectStartParams", "PQsetdbLogin",	 "PQping",
    "PQpingParams",	    "PQconnectPoll",
};

/*
 * The same for libpq's loading of its root certificates (store.c): each
 * bound copy's GOT slots for these three OpenSSL functions point at its
 * slot's set, so store.c knows which copy's OpenSSL to call.
 */
#define STORE_STUBS(k)                                                         \
	static int ctx_load_##k(SSL_CTX *ctx, const char *file,                \
				const char *dir)                               \
	{                                                                      \
		return pgv_store_ctx_load_verify(k, ctx, file, dir);           \
	}                                                                      \
	static int store_load_##k(X509_STORE *store, const char *file,         \
				  const char *dir)                             \
	{                                                                      \
		return pgv_store_load_locations(k, store, file, dir);          \
	}                                                                      \
	static int store_flags_##k(X509_STORE *store, unsigned long flags)     \
	{                                                                      \
		return pgv_store_set_flags(k, store, flags);                   \
	}                                                                      \
	static int connect_##k(SSL *ssl)                                       \
	{                                                                      \
		return pgv_store_connect(k, ssl);                              \
	}

#define STORE_ROW(k)                                                           \
	{                                                                      \
		(const void *)ctx_load_##k, (const void *)store_load_##k,      \
		    (const void *)store_flags_##k, (const void *)connect_##k   \
	}

STORE_STUBS(0)
STORE_STUBS(1)
STORE_STUBS(2)
STORE_STUBS(3)
STORE_STUBS(4)
STORE_STUBS(5)
STORE_STUBS(6)
STORE_STUBS(7)

const void *const pgv_store_stubs[PGV_COPIES_MAX][PGV_NSTORE_HOOKS] = {
    STORE_ROW(0), STORE_ROW(1), STORE_ROW(2), STORE_ROW(3),
    STORE_ROW(4), STORE_ROW(5), STORE_ROW(6), STORE_ROW(7),
};

const char *const pgv_store_hook_names[PGV_NSTORE_HOOKS] = {
    "SSL_CTX_load_verify_locations",
    "X509_STORE_load_locations",
    "X509_STORE_set_flags",
    "SSL_connect",
};
