/*
 * One set of hooks per libpq copy.  A copy's symbol table and every GOT
 * slot bound to its functions are pointed at its own set (copies.c), so a
 * call that arrives here says by its address alone which libpq it was
 * meant for: no lookup, no guess, on every route (dlsym() on the copy,
 * RTLD_DEEPBIND, dlmopen(), libpq's own internal calls).  The last set
 * belongs to no copy: copies that cannot be given a slot point there, and
 * every connection they are asked for is refused.
 */
#include "copies.h"
#include "hooks.h"

#define RET __builtin_return_address(0)

#define STUBS(k)                                                               \
	static PGconn *connectdb_##k(const char *ci)                           \
	{                                                                      \
		return pgv_hook_connect(                                       \
		    &(struct pgv_call){.entry = PGV_CONNECTDB,                 \
				       .slot = k,                              \
				       .ret = RET,                             \
				       .conninfo = ci});                       \
	}                                                                      \
	static PGconn *connectdb_params_##k(const char *const *kw,             \
					    const char *const *val, int x)     \
	{                                                                      \
		return pgv_hook_connect(                                       \
		    &(struct pgv_call){.entry = PGV_CONNECTDB_PARAMS,          \
				       .slot = k,                              \
				       .ret = RET,                             \
				       .keywords = kw,                         \
				       .values = val,                          \
				       .expand_dbname = x});                   \
	}                                                                      \
	static PGconn *connect_start_##k(const char *ci)                       \
	{                                                                      \
		return pgv_hook_connect(                                       \
		    &(struct pgv_call){.entry = PGV_CONNECT_START,             \
				       .slot = k,                              \
				       .ret = RET,                             \
				       .conninfo = ci});                       \
	}                                                                      \
	static PGconn *connect_start_params_##k(const char *const *kw,         \
						const char *const *val, int x) \
	{                                                                      \
		return pgv_hook_connect(                                       \
		    &(struct pgv_call){.entry = PGV_CONNECT_START_PARAMS,      \
				       .slot = k,                              \
				       .ret = RET,                             \
				       .keywords = kw,                         \
				       .values = val,                          \
				       .expand_dbname = x});                   \
	}                                                                      \
	static PGconn *setdb_login_##k(                                        \
	    const char *h, const char *p, const char *o, const char *t,        \
	    const char *d, const char *l, const char *w)                       \
	{                                                                      \
		return pgv_hook_connect(                                       \
		    &(struct pgv_call){.entry = PGV_SETDB_LOGIN,               \
				       .slot = k,                              \
				       .ret = RET,                             \
				       .host = h,                              \
				       .port = p,                              \
				       .options = o,                           \
				       .tty = t,                               \
				       .dbname = d,                            \
				       .login = l,                             \
				       .pwd = w});                             \
	}                                                                      \
	static PGPing ping_##k(const char *ci)                                 \
	{                                                                      \
		return pgv_hook_ping(&(struct pgv_call){.entry = PGV_PING,     \
							.slot = k,             \
							.ret = RET,            \
							.conninfo = ci});      \
	}                                                                      \
	static PGPing ping_params_##k(const char *const *kw,                   \
				      const char *const *val, int x)           \
	{                                                                      \
		return pgv_hook_ping(                                          \
		    &(struct pgv_call){.entry = PGV_PING_PARAMS,               \
				       .slot = k,                              \
				       .ret = RET,                             \
				       .keywords = kw,                         \
				       .values = val,                          \
				       .expand_dbname = x});                   \
	}                                                                      \
	static PostgresPollingStatusType connect_poll_##k(PGconn *c)           \
	{                                                                      \
		return pgv_hook_poll(                                          \
		    &(struct pgv_call){.entry = PGV_CONNECT_POLL,              \
				       .slot = k,                              \
				       .ret = RET,                             \
				       .conn = c});                            \
	}

#define ROW(k)                                                                 \
	{                                                                      \
		(const void *)connectdb_##k,                                   \
		    (const void *)connectdb_params_##k,                        \
		    (const void *)connect_start_##k,                           \
		    (const void *)connect_start_params_##k,                    \
		    (const void *)setdb_login_##k, (const void *)ping_##k,     \
		    (const void *)ping_params_##k,                             \
		    (const void *)connect_poll_##k                             \
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
