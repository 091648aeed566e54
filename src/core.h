/*
 * The core's interfaces that the command and the tests use but that are not
 * libpgverify's API (include/pgverify.h): not exported, free to change.
 */
#ifndef PGV_CORE_H
#define PGV_CORE_H

#include "pgverify.h"

#include <stddef.h>

/* One host of a connection, as libpq will try it. */
typedef struct pgv_host {
	char host[1024];  /* the host element (a name, or a socket path) */
	char addr[1024];  /* the hostaddr element, or "" */
	char port[32];	  /* the port element, or "" for libpq's default */
	int tcp;	  /* reached over TCP, so TLS applies */
	int named;	  /* host is a name the certificate can be checked on */
	const char *name; /* host if named, else addr: what rules match */
} pgv_host;

/* Walks the host, hostaddr and port lists in step, as libpq pairs them. */
typedef struct pgv_hosts {
	const char *host, *addr, *port;
	size_t count, done;
	int one_port;
} pgv_hosts;

/* Start a walk over `s` (which must outlive it).  Returns -1 if the host
 * and hostaddr lists differ in length, which libpq rejects. */
int pgv_hosts_begin(const pgverify_settings *s, pgv_hosts *it);
/* The next host: 1, 0 at the end, -1 if an element is too long. */
int pgv_hosts_next(pgv_hosts *it, pgv_host *h);

/*
 * 1 if the `n` bytes at `s` are an AWS region name ("us-east-1",
 * "us-gov-west-1", "cn-north-1"): two letters, words, a number, joined by
 * '-'.  0 otherwise.
 */
int pgv_aws_region(const char *s, size_t n);

/*
 * The region an RDS endpoint names: for "<name>.<id>.<region>.rds.
 * amazonaws.com" (or ".com.cn", any case, a trailing dot allowed) write
 * <region>, lower case, to `out`.  Returns 0, or -1 if `host` is not such
 * an endpoint or `out` is too small.
 */
int pgv_rds_region(const char *host, char *out, size_t outlen);

/* Describe one DER-encoded certificate.  Returns 0, or -1 if it does not
 * parse. */
int pgv_cert_from_der(const unsigned char *der, size_t len, int index,
		      pgverify_cert *out);

#endif
