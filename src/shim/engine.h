/*
 * The shim in two files.  libpgverify.so.0, which programs preload or
 * link, holds only what must be there before the program can reach a
 * libpq: the hooks, the binding of each copy, the replay of libpq's
 * inputs; it needs nothing but the C library.  The engine
 * ($(pkglibdir)/pgverify-engine.so, found beside the library as
 * pgverify/pgverify-engine.so) holds the rest (configuration, policy,
 * bundles, audit: libconfig and OpenSSL) and is loaded with the first
 * libpq copy the library binds, so a process without libpq loads
 * neither; the configuration is read at the first connection.
 */
#ifndef PGV_ENGINE_H
#define PGV_ENGINE_H

#include "hooks.h"
#include "layout.h"
#include "real.h"
#include "replay.h"

/* What the engine asks of the library. */
struct pgv_front {
	/* Why every connection on `pq` must be refused, or NULL. */
	const char *(*copy_refusal)(const struct pgv_libpq *pq);
	void (*replay_begin)(struct pgv_replay *r);
	void (*replay_switch)(struct pgv_replay *r);
	void (*replay_end)(struct pgv_replay *r);
	/* What the server of `conn` presented, if its handshake on this
	 * thread just failed the certificate check (tlsfail.h). */
	int (*tls_failure)(const void *conn, char *issuer, size_t issuer_len,
			   char *root, size_t root_len);
};

/* What the library asks of the engine: one call through a hook, for the
 * copy `pq` (hooks.h). */
struct pgv_engine {
	PGconn *(*connect)(const struct pgv_libpq *pq,
			   const struct pgv_call *c);
	PGPing (*ping)(const struct pgv_libpq *pq, const struct pgv_call *c);
	PostgresPollingStatusType (*poll)(const struct pgv_libpq *pq,
					  const struct pgv_call *c);
};

/* The engine's one exported function (PGV_ENGINE_OPEN): called once. */
typedef const struct pgv_engine *
pgv_engine_open_fn(const struct pgv_front *front);
pgv_engine_open_fn pgv_engine_open;

/* The library's side: the engine, loaded once; NULL with why in `err`
 * (if not NULL; every connection is then refused). */
const struct pgv_engine *pgv_engine(char *err, size_t errlen);
/* The library's side: bind the libpq copies loaded since the last call
 * (copies.c), then load the engine if there is one.  Called at start
 * and after every dlopen()/dlmopen(). */
void pgv_engine_refresh(void);

#endif
