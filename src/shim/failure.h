/*
 * What pgverify adds to the message of a connection it verified whose
 * certificate check failed (failure.c).
 */
#ifndef PGV_FAILURE_H
#define PGV_FAILURE_H

#include "core.h"
#include "engine.h"
#include "real.h"

#include <libpq-fe.h>

/* If `conn` (of copy `pq`) failed its certificate check under verify-*,
 * append to its error message, and log once, the bundle it was verified
 * with and where that came from under `config`, what the server presented
 * (as the library's `front` saw the handshake), and the probe command. */
void pgv_explain_failure(const pgverify_config *config,
			 const struct pgv_front *front,
			 const struct pgv_libpq *pq, PGconn *conn);

#endif
