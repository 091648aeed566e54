/*
 * Hosts verified under a rule's verify_name: the name the certificate
 * carries differs from the name dialled (a CNAME or an internal alias in
 * front of a managed endpoint).
 */
#ifndef PGV_ALIAS_H
#define PGV_ALIAS_H

#include "config.h"
#include "core.h"

#include <stddef.h>

/* The host, hostaddr and port lists for libpq, malloc'd. */
struct pgv_alias_lists {
	char *host, *hostaddr, *port;
};

/*
 * The lists that make libpq verify each host of `s` under its rule's
 * verify_name: such a host is resolved here (the dialled name only gives
 * the addresses; the name to check comes from the rule, never from DNS)
 * and becomes one entry per address, host=<verify_name>
 * hostaddr=<address>; a hostaddr the program gave is kept; every other
 * host, and Unix sockets, stay as they are.  0, or -1 with why in `err`.
 * Release with pgv_alias_free().
 */
int pgv_alias_lists(const pgverify_config *cfg, const pgverify_settings *s,
		    struct pgv_alias_lists *out, char *err, size_t errlen);
void pgv_alias_free(struct pgv_alias_lists *l);

#endif
