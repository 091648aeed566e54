/*
 * Exemptions by name and by address.  The name decides only what libpq
 * resolves itself; where the connection gives a hostaddr, that address is
 * where the bytes go, so it must be exempt as an address too: otherwise
 * `exempt = ["localhost"]` would let `host=localhost hostaddr=10.99.0.1
 * sslmode=disable` send a plain-text startup packet anywhere.
 */
#include "exempt.h"

#include <arpa/inet.h>
#include <fnmatch.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* An address or a block: family, bytes, prefix length in bits. */
struct net {
	int family;
	unsigned char bytes[16];
	int bits;
};

static int parse_address(const char *s, struct net *n)
{
	memset(n, 0, sizeof(*n));
	if (inet_pton(AF_INET, s, n->bytes) == 1) {
		n->family = AF_INET;
		n->bits = 32;
		return 0;
	}
	if (inet_pton(AF_INET6, s, n->bytes) == 1) {
		n->family = AF_INET6;
		n->bits = 128;
		return 0;
	}
	return -1;
}

/* "ADDR" or "ADDR/BITS".  0, or -1 when it is neither. */
static int parse_net(const char *entry, struct net *n)
{
	char buf[64], *end;
	const char *slash = strchr(entry, '/');
	long bits;

	if (!slash)
		return parse_address(entry, n);
	if ((size_t)(slash - entry) >= sizeof(buf))
		return -1;
	memcpy(buf, entry, (size_t)(slash - entry));
	buf[slash - entry] = '\0';
	if (parse_address(buf, n) < 0 || !slash[1])
		return -1;
	bits = strtol(slash + 1, &end, 10);
	if (*end || slash[1] < '0' || slash[1] > '9' || bits < 0 ||
	    bits > n->bits)
		return -1;
	n->bits = (int)bits;
	return 0;
}

static int covers(const struct net *block, const struct net *a)
{
	int full = block->bits / 8, rest = block->bits % 8;

	if (block->family != a->family ||
	    memcmp(block->bytes, a->bytes, (size_t)full) != 0)
		return 0;
	return !rest || ((block->bytes[full] ^ a->bytes[full]) &
			 (0xff << (8 - rest)) & 0xff) == 0;
}

int pgv_exempt_is_address(const char *entry)
{
	struct net n;

	if (parse_net(entry, &n) == 0)
		return 1;
	/* A slash is never part of a host name: a bad block, not a glob. */
	return strchr(entry, '/') ? -1 : 0;
}

static int is_loopback(const struct net *a)
{
	static const unsigned char v6[16] = {[15] = 1};

	return (a->family == AF_INET && a->bytes[0] == 127) ||
	       (a->family == AF_INET6 && memcmp(a->bytes, v6, 16) == 0);
}

/* Whether an address entry (or "localhost", for loopback) covers `addr`. */
static int address_exempt(const char *const *entries, size_t n,
			  const char *addr)
{
	struct net a, block;

	if (parse_address(addr, &a) < 0)
		return 0;
	for (size_t i = 0; i < n; i++) {
		if (parse_net(entries[i], &block) == 0 ? covers(&block, &a)
		    : strcasecmp(entries[i], "localhost") == 0 ? is_loopback(&a)
							       : 0)
			return 1;
	}
	return 0;
}

/* A name glob matches `name`, its trailing dot ignored. */
static int name_exempt(const char *const *entries, size_t n, const char *name)
{
	char bare[1024];
	size_t len = strlen(name);

	if (len > 0 && name[len - 1] == '.')
		len--;
	if (len >= sizeof(bare))
		return 0;
	memcpy(bare, name, len);
	bare[len] = '\0';
	for (size_t i = 0; i < n; i++)
		if (pgv_exempt_is_address(entries[i]) == 0 &&
		    fnmatch(entries[i], bare, FNM_CASEFOLD) == 0)
			return 1;
	return 0;
}

int pgv_exempt_host(const char *const *entries, size_t n, const char *name,
		    const char *addr)
{
	if (name && *name && !name_exempt(entries, n, name) &&
	    !address_exempt(entries, n, name))
		return 0;
	if (addr && *addr)
		return address_exempt(entries, n, addr);
	return name && *name;
}
