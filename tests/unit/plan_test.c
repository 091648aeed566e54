/*
 * The plan without libpq: settings built by hand, a context given, and
 * pgv_plan_settings() as the shim runs it after the merge (policy, bundle
 * check, report mode), no socket and no libpq call.
 */
#include "plan.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#define RDS "db1.abc123.us-east-1.rds.amazonaws.com"

static char bundle[4096], conf[] = "/tmp/pgverify-plan-test.XXXXXX";

/* A configuration file with `lines` after the bundle; loaded. */
static pgverify_config *config(const char *lines)
{
	char err[1024];
	FILE *f = fopen(conf, "w");
	pgverify_config *cfg;

	assert_non_null(f);
	fprintf(f, "sslrootcert = \"%s\";\n%s\n", bundle, lines);
	fclose(f);
	cfg = pgverify_config_load(conf, err, sizeof(err));
	if (!cfg)
		fail_msg("%s", err);
	return cfg;
}

static void set(char **member, const char *value)
{
	*member = value ? strdup(value) : NULL;
}

/* Plan host `host` with sslmode, sslrootcert, gssencmode as given. */
static pgverify_verdict plan(const char *lines, int libpq, const char *host,
			     const char *sslmode, const char *rootcert,
			     const char *gss, pgverify_plan *p)
{
	pgverify_config *cfg = config(lines);
	pgverify_context ctx = {.libpq_version = libpq,
				.system_bundle = bundle,
				.builtin_bundle = bundle};
	pgverify_verdict v;

	memset(p, 0, sizeof(*p));
	set(&p->settings.host, host);
	set(&p->settings.sslmode, sslmode);
	set(&p->settings.sslrootcert, rootcert);
	set(&p->settings.gssencmode, gss);
	v = pgv_plan_settings(cfg, &ctx, p);
	/* Checked after this: the plan's copies (reason, verify_bundle) and
	 * strings of its settings or of `ctx`, never the freed config's. */
	pgverify_config_free(cfg);
	return v;
}

/* libpq 18's sslkeylogfile on a connection pgverify verifies. */
static pgverify_verdict plan_keylog(const char *lines, pgverify_plan *p)
{
	pgverify_config *cfg = config(lines);
	pgverify_context ctx = {.libpq_version = 180000,
				.system_bundle = bundle,
				.builtin_bundle = bundle};
	pgverify_verdict v;

	memset(p, 0, sizeof(*p));
	set(&p->settings.host, RDS);
	set(&p->settings.sslkeylogfile, "/tmp/keys.log");
	v = pgv_plan_settings(cfg, &ctx, p);
	pgverify_config_free(cfg);
	return v;
}

static void keylog_refused_when_locked(void **state)
{
	pgverify_plan p;

	(void)state;
	assert_int_equal(plan_keylog("lock = true;", &p), PGVERIFY_REFUSE);
	assert_non_null(strstr(p.reason, "sslkeylogfile"));
	assert_non_null(strstr(p.reason, "lock = true"));
	pgverify_plan_clear(&p);
}

static void keylog_said_when_unlocked(void **state)
{
	pgverify_plan p;

	(void)state;
	assert_int_equal(plan_keylog("", &p), PGVERIFY_ENFORCE);
	assert_string_equal(p.decision.keylog, "/tmp/keys.log");
	pgverify_plan_clear(&p);
}

static void enforce_upgrades(void **state)
{
	pgverify_plan p;

	(void)state;
	assert_int_equal(plan("", 150018, RDS, NULL, NULL, NULL, &p),
			 PGVERIFY_ENFORCE);
	assert_true(p.changed);
	assert_int_equal(p.would, PGVERIFY_WOULD_NONE);
	assert_string_equal(p.verify_bundle, bundle);
	assert_true(p.verify_name);
	assert_null(p.keywords); /* forwarded arrays: pgv_plan() only */
	pgverify_plan_clear(&p);
}

static void already_verified_is_kept(void **state)
{
	pgverify_plan p;

	(void)state;
	assert_int_equal(
	    plan("", 150018, RDS, "verify-full", bundle, "disable", &p),
	    PGVERIFY_ENFORCE);
	assert_false(p.changed);
	pgverify_plan_clear(&p);
}

static void report_leaves_and_says_why(void **state)
{
	pgverify_plan p;

	(void)state;
	assert_int_equal(
	    plan("mode = \"report\";", 150018, RDS, NULL, NULL, NULL, &p),
	    PGVERIFY_LEAVE);
	assert_int_equal(p.would, PGVERIFY_WOULD_UPGRADE);
	assert_string_equal(p.verify_bundle, bundle);
	pgverify_plan_clear(&p);
}

static void report_of_a_missing_bundle(void **state)
{
	pgverify_plan p;

	(void)state;
	assert_int_equal(
	    plan("mode = \"report\";\nhosts = ( { match = \"*.rds.amazonaws."
		 "com\"; sslrootcert = \"/nonexistent/rds.pem\"; } );",
		 150018, RDS, NULL, NULL, NULL, &p),
	    PGVERIFY_LEAVE);
	assert_int_equal(p.would, PGVERIFY_WOULD_REFUSE);
	assert_non_null(strstr(p.reason, "cannot read CA bundle "
					 "/nonexistent/rds.pem"));
	pgverify_plan_clear(&p);
}

static void enforce_refuses_a_missing_bundle(void **state)
{
	pgverify_plan p;

	(void)state;
	assert_int_equal(
	    plan("hosts = ( { match = \"*.rds.amazonaws.com\"; sslrootcert = "
		 "\"/nonexistent/rds.pem\"; } );",
		 150018, RDS, NULL, NULL, NULL, &p),
	    PGVERIFY_REFUSE);
	assert_non_null(strstr(p.reason, RDS ": cannot read CA bundle "
					     "/nonexistent/rds.pem"));
	assert_non_null(strstr(p.reason, "(sslrootcert from the rule "));
	pgverify_plan_clear(&p);
}

/* A provider's shipped rule whose file is missing: the refusal says, on
 * its line, where that CA comes from and the command that installs it. */
static void missing_provider_bundle_says_where_from(void **state)
{
	pgverify_plan p;

	(void)state;
	assert_int_equal(
	    plan("hosts = ( { match = \"*.sql.goog\"; sslrootcert = "
		 "\"/nonexistent/cloudsql.pem\"; } );",
		 150018, "a1.us-central1.sql.goog", NULL, NULL, NULL, &p),
	    PGVERIFY_REFUSE);
	assert_non_null(strstr(p.reason, "cannot read CA bundle "
					 "/nonexistent/cloudsql.pem"));
	assert_non_null(strstr(p.reason, "; Google Cloud SQL's CA is per "
					 "instance: gcloud sql ssl "
					 "server-ca-certs list"));
	assert_non_null(strstr(p.reason, "then pgverify bundle --install "
					 "/nonexistent/cloudsql.pem "
					 "server-ca.pem"));
	assert_null(strchr(p.reason, '\n'));
	pgverify_plan_clear(&p);
	assert_int_equal(
	    plan("hosts = ( { match = \"*.neon.tech\"; sslrootcert = "
		 "\"/nonexistent/isrg.pem\"; } );",
		 150018, "ep-1.us-east-2.aws.neon.tech", NULL, NULL, NULL, &p),
	    PGVERIFY_REFUSE);
	assert_non_null(strstr(p.reason,
			       "which pgverify ships: pgverify "
			       "bundle --install "
			       "/nonexistent/isrg.pem " PGVERIFY_PKGDATADIR
			       "/providers/isrg.pem"));
	pgverify_plan_clear(&p);
}

/* A rule of the administrator's own names a CA pgverify cannot know: no
 * provider's hint, and none for the connection's own bundle either. */
static void own_rule_gets_no_provider_hint(void **state)
{
	pgverify_plan p;

	(void)state;
	assert_int_equal(
	    plan("hosts = ( { match = \"a1.*.sql.goog\"; sslrootcert = "
		 "\"/nonexistent/mine.pem\"; } );",
		 150018, "a1.us-central1.sql.goog", NULL, NULL, NULL, &p),
	    PGVERIFY_REFUSE);
	assert_non_null(strstr(p.reason, "/nonexistent/mine.pem"));
	assert_null(strstr(p.reason, "gcloud"));
	pgverify_plan_clear(&p);
	assert_int_equal(
	    plan("hosts = ( { match = \"*.sql.goog\"; sslrootcert = "
		 "\"/nonexistent/cloudsql.pem\"; } );",
		 150018, "a1.us-central1.sql.goog", NULL,
		 "/nonexistent/own.pem", NULL, &p),
	    PGVERIFY_REFUSE);
	assert_non_null(strstr(p.reason, "/nonexistent/own.pem"));
	assert_null(strstr(p.reason, "gcloud"));
	pgverify_plan_clear(&p);
}

static void unix_socket_is_left(void **state)
{
	pgverify_plan p;

	(void)state;
	assert_int_equal(plan("", 150018, "/tmp", NULL, NULL, NULL, &p),
			 PGVERIFY_LEAVE);
	assert_non_null(strstr(p.reason, "Unix-domain"));
	assert_string_equal(p.verify_bundle, "");
	pgverify_plan_clear(&p);
}

/* "system" is OpenSSL's file, checked as such, on every libpq version;
 * libpq 16 gets the word itself. */
static void system_bundle_by_libpq_version(void **state)
{
	pgverify_plan p;

	(void)state;
	assert_int_equal(plan("", 150018, RDS, NULL, "system", NULL, &p),
			 PGVERIFY_ENFORCE);
	assert_string_equal(p.decision.sslrootcert, bundle);
	pgverify_plan_clear(&p);
	assert_int_equal(plan("", 160000, RDS, NULL, "system", NULL, &p),
			 PGVERIFY_ENFORCE);
	assert_string_equal(p.decision.sslrootcert, "system");
	assert_string_equal(p.verify_bundle, bundle);
	pgverify_plan_clear(&p);
}

int main(void)
{
	const char *srcdir = getenv("srcdir");
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(keylog_refused_when_locked),
	    cmocka_unit_test(keylog_said_when_unlocked),
	    cmocka_unit_test(enforce_upgrades),
	    cmocka_unit_test(already_verified_is_kept),
	    cmocka_unit_test(report_leaves_and_says_why),
	    cmocka_unit_test(report_of_a_missing_bundle),
	    cmocka_unit_test(enforce_refuses_a_missing_bundle),
	    cmocka_unit_test(missing_provider_bundle_says_where_from),
	    cmocka_unit_test(own_rule_gets_no_provider_hint),
	    cmocka_unit_test(unix_socket_is_left),
	    cmocka_unit_test(system_bundle_by_libpq_version),
	};
	int fd = mkstemp(conf), rc;

	if (fd < 0)
		return 1;
	snprintf(bundle, sizeof(bundle), "%s/data/rds-global-bundle.pem",
		 srcdir ? srcdir : ".");
	if (bundle[0] != '/') {
		char cwd[2048];
		if (!getcwd(cwd, sizeof(cwd)))
			return 1;
		snprintf(bundle, sizeof(bundle),
			 "%s/%s/data/rds-global-bundle.pem", cwd,
			 srcdir ? srcdir : ".");
	}
	rc = cmocka_run_group_tests(tests, NULL, NULL);
	unlink(conf);
	return rc;
}
