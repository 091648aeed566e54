/*
 * Exemptions: which hosts are left exactly as the program asked.  An
 * `exempt` entry is a case-insensitive name glob, an IP address or a CIDR
 * block; a name never exempts an arbitrary address (contract,
 * "Exemptions").
 */
#ifndef PGV_EXEMPT_H
#define PGV_EXEMPT_H

#include <stddef.h>

/* Whether `entry` is an IP address or a CIDR block (else a glob); -1 for
 * something that looks like a CIDR block and is not one (config error). */
int pgv_exempt_is_address(const char *entry);

/*
 * Whether the host is exempt under `entries`: `name` (NULL or "" when the
 * host is given by its address alone) must match a glob, or be an address
 * an address entry covers; and `addr` (the hostaddr, or "" when libpq
 * resolves the name) must be covered by an address or CIDR entry, the
 * entry "localhost" covering 127.0.0.0/8 and ::1.  Pure: no DNS.
 */
int pgv_exempt_host(const char *const *entries, size_t n, const char *name,
		    const char *addr);

#endif
