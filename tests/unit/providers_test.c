/*
 * The provider table (src/core/providers.c): which endpoint names are whose, and
 * that it says what the shipped configuration does: every shipped rule is a
 * provider's glob and names that provider's file, and every provider glob
 * is a shipped rule.  tests/suites/providers.sh holds the README's table to the same
 * rules.
 */
#include "config.h"
#include "providers.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

static const char *provider_name(const char *host)
{
	const struct pgv_provider *p = pgv_provider_of_host(host);

	return p ? p->name : "(none)";
}

static void endpoints_by_name(void **state)
{
	(void)state;
	assert_string_equal(
	    provider_name("myproxy.proxy-c1a2b3c4d5e6.us-east-1.rds."
			  "amazonaws.com"),
	    "Amazon RDS Proxy");
	assert_string_equal(provider_name("db1.abc123.us-east-1.rds."
					  "amazonaws.com"),
			    "Amazon RDS and Aurora");
	assert_string_equal(
	    provider_name("db1.abc123.cn-north-1.rds.amazonaws.com.cn"),
	    "Amazon RDS and Aurora");
	assert_string_equal(provider_name("abcdefghijklmnopqrstuvwxyz.dsql."
					  "us-east-1.on.aws"),
			    "Amazon Aurora DSQL");
	assert_string_equal(
	    provider_name("myserver.postgres.database.azure.com"),
	    "Azure Database for PostgreSQL");
	assert_string_equal(
	    provider_name("ep-cool-darkness-123456.us-east-2.aws.neon.tech"),
	    "Neon");
	assert_string_equal(provider_name("1a2b3c.us-central1.sql.goog"),
			    "Google Cloud SQL");
	assert_string_equal(provider_name("db.abcdefghijklmnop.supabase.co"),
			    "Supabase");
	assert_string_equal(
	    provider_name("aws-0-us-east-1.pooler.supabase.com"), "Supabase");
	assert_string_equal(provider_name("p.abc.db.postgresbridge.com"),
			    "Crunchy Bridge");
	assert_string_equal(provider_name("db-pg-nyc3-1-do-user-1-0.b.db."
					  "ondigitalocean.com"),
			    "DigitalOcean Managed PostgreSQL");
	assert_string_equal(provider_name("pg-x.a.aivencloud.com"),
			    "Aiven for PostgreSQL");
}

/* As the rules match: any case, one trailing dot; only the suffix. */
static void matching_as_the_rules_match(void **state)
{
	(void)state;
	assert_string_equal(provider_name("MyServer.Postgres.Database.Azure."
					  "COM."),
			    "Azure Database for PostgreSQL");
	assert_string_equal(provider_name("evil-neon.tech"), "(none)");
	assert_string_equal(provider_name("neon.tech.example.com"), "(none)");
	assert_string_equal(provider_name("postgres.database.azure.com"),
			    "(none)");
	assert_string_equal(provider_name("ec2-1-2-3-4.compute-1.amazonaws."
					  "com"),
			    "(none)");
	assert_string_equal(provider_name(""), "(none)");
	assert_null(pgv_provider_of_host(NULL));
}

/* The first TCP host given by name; a socket or a bare address is none. */
static void first_named_tcp_host(void **state)
{
	pgverify_settings s = {0};
	const struct pgv_provider *p;

	(void)state;
	s.host = "/var/run/postgresql,x.neon.tech";
	p = pgv_provider_of_settings(&s);
	assert_non_null(p);
	assert_string_equal(p->name, "Neon");
	s.host = NULL;
	s.hostaddr = "10.0.0.1";
	assert_null(pgv_provider_of_settings(&s));
	s.host = "a.sql.goog,b.neon.tech";
	s.hostaddr = "10.0.0.1";
	assert_null(pgv_provider_of_settings(&s)); /* lists differ: none */
}

/* The hint is one line with the download and the install command. */
static void hints(void **state)
{
	char buf[1024];

	(void)state;
	pgv_provider_hint(pgv_provider_of_glob("*.sql.goog"), "/etc/x.pem", buf,
			  sizeof(buf));
	assert_string_equal(
	    buf, "Google Cloud SQL's CA is per instance: gcloud sql ssl "
		 "server-ca-certs list --instance=INSTANCE "
		 "--format='value(cert)' >server-ca.pem, then pgverify bundle "
		 "--install /etc/x.pem server-ca.pem");
	pgv_provider_hint(pgv_provider_of_glob("*.neon.tech"), "/etc/i.pem",
			  buf, sizeof(buf));
	assert_string_equal(buf, "Neon chains to ISRG Root X1, ISRG Root X2, "
				 "which pgverify ships: pgverify bundle "
				 "--install /etc/i.pem " PGVERIFY_PKGDATADIR
				 "/providers/isrg.pem");
	for (size_t k = 0; pgv_provider_at(k); k++) {
		pgv_provider_hint(pgv_provider_at(k), "/f", buf, sizeof(buf));
		assert_null(strchr(buf, '\n'));
		assert_non_null(strstr(buf, "pgverify bundle --"));
	}
	pgv_provider_hint(pgv_provider_of_glob("*.supabase.co"), "/f", buf,
			  sizeof(buf));
	assert_non_null(
	    strstr(buf, "pgverify bundle --install /f prod-ca-2021.crt"));
	assert_null(pgv_provider_of_glob("*.example.com"));
	assert_string_equal(pgv_trust_name(PGV_TRUST_TENANT), "per-tenant CA");
}

/* A copy of `path` with mode 0644 (the build's may be group-writable, which
 * the loader refuses); the caller unlinks it. */
static const char *copy_0644(const char *path)
{
	static char copy[] = "/tmp/pgverify-providers-test.XXXXXX";
	char buf[65536];
	size_t n;
	int fd = mkstemp(copy);
	FILE *in = fopen(path, "r"), *out = fd >= 0 ? fdopen(fd, "w") : NULL;

	assert_non_null(in);
	assert_non_null(out);
	while ((n = fread(buf, 1, sizeof(buf), in)) > 0)
		assert_int_equal(fwrite(buf, 1, n, out), n);
	fclose(in);
	fclose(out);
	assert_int_equal(chmod(copy, 0644), 0);
	return copy;
}

/* The shipped configuration and the table say the same. */
static void shipped_rules_are_the_table(void **state)
{
	char path[4200], err[1024], want[4300];
	const char *build = getenv("abs_top_builddir");
	pgverify_config *cfg;
	const char *copy;

	(void)state;
	snprintf(path, sizeof(path), "%s/conf/pgverify.conf",
		 build ? build : ".");
	copy = copy_0644(path);
	cfg = pgverify_config_load(copy, err, sizeof(err));
	unlink(copy);
	if (!cfg)
		fail_msg("%s", err);
	assert_true(cfg->nrules > 0);
	for (size_t i = 0; i < cfg->nrules; i++) {
		const struct pgv_rule *r = &cfg->rules[i];
		const struct pgv_provider *p = pgv_provider_of_glob(r->match);
		if (!p)
			fail_msg("shipped rule %s is no provider's", r->match);
		snprintf(want, sizeof(want), "%s/pgverify/%s",
			 PGVERIFY_SYSCONFDIR, p->file);
		assert_non_null(r->sslrootcert);
		assert_string_equal(r->sslrootcert, want);
	}
	for (size_t k = 0; pgv_provider_at(k); k++) {
		const struct pgv_provider *p = pgv_provider_at(k);
		for (size_t g = 0; p->globs[g]; g++) {
			size_t i = 0;
			while (i < cfg->nrules &&
			       strcmp(cfg->rules[i].match, p->globs[g]) != 0)
				i++;
			if (i == cfg->nrules)
				fail_msg("%s's %s is no shipped rule", p->name,
					 p->globs[g]);
		}
	}
	pgverify_config_free(cfg);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(endpoints_by_name),
	    cmocka_unit_test(matching_as_the_rules_match),
	    cmocka_unit_test(first_named_tcp_host),
	    cmocka_unit_test(hints),
	    cmocka_unit_test(shipped_rules_are_the_table),
	};

	if (getenv("PGVERIFY_UNIT_FILTER"))
		cmocka_set_test_filter(getenv("PGVERIFY_UNIT_FILTER"));
	return cmocka_run_group_tests(tests, NULL, NULL);
}
