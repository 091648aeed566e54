/*
 * The managed PostgreSQL services pgverify knows by their endpoint names,
 * and the trust each documents.  For what pgverify says (explain, probe,
 * check, a refusal's hint), never for what it decides: the hosts rules of
 * the configuration decide, and the shipped ones carry these globs.
 */
#ifndef PGV_PROVIDERS_H
#define PGV_PROVIDERS_H

#include "core.h"

#include <stddef.h>

enum pgv_trust {
	PGV_TRUST_RDS, /* the AWS RDS CA bundle (pgverify ships a snapshot) */
	PGV_TRUST_PINNED, /* public roots pgverify ships, with provenance */
	PGV_TRUST_TENANT  /* a CA per instance, project or team: downloaded */
};

struct pgv_provider {
	const char *name;     /* "Azure Database for PostgreSQL" */
	const char *globs[3]; /* its endpoint names, NULL-terminated */
	enum pgv_trust trust;
	/* RDS, PINNED: the roots; TENANT: whose CA it is ("per instance") */
	const char *roots;
	/* The file the shipped rule names, under $(sysconfdir)/pgverify/;
	 * for RDS and PINNED, pgverify's copy is the same under
	 * $(pkgdatadir)/ */
	const char *file;
	/* TENANT: where the CA is downloaded, and the file that gives */
	const char *download;
	const char *downloaded;
};

/* Provider `i` of the table (0-based), or NULL past its end. */
const struct pgv_provider *pgv_provider_at(size_t i);

/* "RDS CA bundle", "pinned roots" or "per-tenant CA". */
const char *pgv_trust_name(enum pgv_trust trust);

/* The provider whose endpoint names match `host` (case-insensitive, one
 * trailing dot ignored), or NULL. */
const struct pgv_provider *pgv_provider_of_host(const char *host);

/* The provider of the first TCP host of `s` given by name, or NULL. */
const struct pgv_provider *pgv_provider_of_settings(const pgverify_settings *s);

/* The provider one of whose globs is `glob` itself (a rule that is the
 * shipped rule for it), or NULL. */
const struct pgv_provider *pgv_provider_of_glob(const char *glob);

/*
 * One line, into `buf`: what puts the CA file `file` (as a rule names it)
 * of provider `p` in place: for a per-tenant CA where it is downloaded and
 * the `pgverify bundle --install` command; for pinned roots and the RDS
 * bundle the command that installs pgverify's own copy.
 */
void pgv_provider_hint(const struct pgv_provider *p, const char *file,
		       char *buf, size_t len);

#endif
