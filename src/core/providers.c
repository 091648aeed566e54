/*
 * The managed PostgreSQL services pgverify knows, by endpoint name: a
 * table, read by the messages only (providers.h).  The globs are the
 * shipped configuration's (conf/pgverify.conf.in), more specific ones
 * first as there; tests/suites/providers.sh keeps the two and the README's
 * table in step.  Heroku has no row: its databases have EC2 and RDS host names,
 * which no glob can tell from anyone else's.
 */
#include "providers.h"
#include "core.h"

#include <fnmatch.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#define AMAZON_ROOTS "Amazon Root CA 1-4"

static const struct pgv_provider providers[] = {
    {.name = "Amazon RDS Proxy",
     .globs = {"*.proxy-*.rds.amazonaws.com"},
     .trust = PGV_TRUST_PINNED,
     .roots = AMAZON_ROOTS,
     .file = "providers/amazon-root-ca.pem"},
    {.name = "Amazon Aurora DSQL",
     .globs = {"*.dsql.*.on.aws"},
     .trust = PGV_TRUST_PINNED,
     .roots = AMAZON_ROOTS,
     .file = "providers/amazon-root-ca.pem"},
    {.name = "Amazon RDS and Aurora",
     .globs = {"*.rds.amazonaws.com", "*.rds.amazonaws.com.cn"},
     .trust = PGV_TRUST_RDS,
     .roots = "Amazon RDS root CAs, per region",
     .file = "rds/{region}.pem"},
    {.name = "Azure Database for PostgreSQL",
     .globs = {"*.postgres.database.azure.com"},
     .trust = PGV_TRUST_PINNED,
     .roots = "DigiCert Global Root G2, Microsoft RSA Root Certificate "
	      "Authority 2017",
     .file = "providers/azure.pem"},
    {.name = "Neon",
     .globs = {"*.neon.tech"},
     .trust = PGV_TRUST_PINNED,
     .roots = "ISRG Root X1, ISRG Root X2",
     .file = "providers/isrg.pem"},
    {.name = "Google Cloud SQL",
     .globs = {"*.sql.goog"},
     .trust = PGV_TRUST_TENANT,
     .roots = "per instance",
     .file = "providers/cloudsql.pem",
     .download = "gcloud sql ssl server-ca-certs list --instance=INSTANCE "
		 "--format='value(cert)' >server-ca.pem",
     .downloaded = "server-ca.pem"},
    {.name = "Supabase",
     .globs = {"*.supabase.co", "*.pooler.supabase.com"},
     .trust = PGV_TRUST_TENANT,
     .roots = "per project",
     .file = "providers/supabase.pem",
     .download = "download prod-ca-2021.crt from the dashboard (Database "
		 "Settings, SSL Configuration, Download certificate)",
     .downloaded = "prod-ca-2021.crt"},
    {.name = "Crunchy Bridge",
     .globs = {"*.db.postgresbridge.com"},
     .trust = PGV_TRUST_TENANT,
     .roots = "per team",
     .file = "providers/crunchybridge.pem",
     .download = "curl -H \"Authorization: Bearer $CRUNCHY_API_KEY\" "
		 "https://api.crunchybridge.com/teams/TEAM_ID.pem "
		 ">team-ca.pem",
     .downloaded = "team-ca.pem"},
    {.name = "DigitalOcean Managed PostgreSQL",
     .globs = {"*.db.ondigitalocean.com"},
     .trust = PGV_TRUST_TENANT,
     .roots = "per cluster",
     .file = "providers/digitalocean.pem",
     .download = "download ca-certificate.crt from the control panel (the "
		 "cluster's Connection details, Download CA certificate) or "
		 "with doctl databases get-ca CLUSTER_ID",
     .downloaded = "ca-certificate.crt"},
    {.name = "Aiven for PostgreSQL",
     .globs = {"*.aivencloud.com"},
     .trust = PGV_TRUST_TENANT,
     .roots = "per project",
     .file = "providers/aiven.pem",
     .download = "avn project ca-get --project PROJECT --target-filepath "
		 "ca.pem (or download it from the console: the service's "
		 "Overview, CA certificate)",
     .downloaded = "ca.pem"},
};

#define NPROVIDERS (sizeof(providers) / sizeof(providers[0]))

/* Longer than any DNS name libpq accepts. */
#define NAME_MAX_LEN 1024

const struct pgv_provider *pgv_provider_at(size_t i)
{
	return i < NPROVIDERS ? &providers[i] : NULL;
}

const char *pgv_trust_name(enum pgv_trust trust)
{
	switch (trust) {
	case PGV_TRUST_RDS:
		return "RDS CA bundle";
	case PGV_TRUST_PINNED:
		return "pinned roots";
	case PGV_TRUST_TENANT:
		break;
	}
	return "per-tenant CA";
}

/* As the policy matches rules: case-insensitive, one trailing dot off. */
static int name_matches(const char *glob, const char *host)
{
	char bare[NAME_MAX_LEN];
	size_t n = strlen(host);

	if (n > 0 && host[n - 1] == '.')
		n--;
	if (n >= sizeof(bare))
		return 0;
	memcpy(bare, host, n);
	bare[n] = '\0';
	return fnmatch(glob, bare, FNM_CASEFOLD) == 0;
}

const struct pgv_provider *pgv_provider_of_host(const char *host)
{
	for (size_t i = 0; host && *host && i < NPROVIDERS; i++)
		for (size_t g = 0; providers[i].globs[g]; g++)
			if (name_matches(providers[i].globs[g], host))
				return &providers[i];
	return NULL;
}

const struct pgv_provider *pgv_provider_of_settings(const pgverify_settings *s)
{
	pgv_hosts it;
	pgv_host h;

	if (pgv_hosts_begin(s, &it) < 0)
		return NULL;
	while (pgv_hosts_next(&it, &h) > 0)
		if (h.tcp && h.named)
			return pgv_provider_of_host(h.host);
	return NULL;
}

const struct pgv_provider *pgv_provider_of_glob(const char *glob)
{
	for (size_t i = 0; glob && i < NPROVIDERS; i++)
		for (size_t g = 0; providers[i].globs[g]; g++)
			if (strcasecmp(providers[i].globs[g], glob) == 0)
				return &providers[i];
	return NULL;
}

void pgv_provider_hint(const struct pgv_provider *p, const char *file,
		       char *buf, size_t len)
{
	switch (p->trust) {
	case PGV_TRUST_TENANT:
		snprintf(buf, len,
			 "%s's CA is %s: %s, then pgverify bundle --install "
			 "%s %s",
			 p->name, p->roots, p->download, file, p->downloaded);
		return;
	case PGV_TRUST_PINNED:
		snprintf(buf, len,
			 "%s chains to %s, which pgverify ships: pgverify "
			 "bundle --install %s " PGVERIFY_PKGDATADIR "/%s",
			 p->name, p->roots, file, p->file);
		return;
	case PGV_TRUST_RDS:
		break;
	}
	snprintf(buf, len,
		 "%s chains to %s: pgverify bundle --update %s fetches the "
		 "current AWS bundle, pgverify bundle --install "
		 "%s " PGVERIFY_PKGDATADIR "/%s installs pgverify's snapshot",
		 p->name, p->roots, file, file, p->file);
}
