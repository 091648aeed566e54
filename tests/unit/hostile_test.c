/*
 * Hostile input through the shim's own pipeline (pgverify_plan_conninfo:
 * libpq's merge, the policy, the bundle check).  Every case must end in a
 * clear verdict — never a crash, never an empty reason for a refusal, and
 * never "leave alone" for a connection that reaches a TCP host.
 */
#include "core.h"

#include <libgen.h>
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

static char conf_path[] = "/tmp/pgverify-hostile.XXXXXX";
static char bundle_path[600];

/* Allowed outcomes of one input. */
enum { MAY_ENFORCE = 1, MAY_REFUSE = 2, MAY_LEAVE = 4 };

static void expect_plan(const char *conninfo, int allowed, const char *reason)
{
	char err[1024];
	pgverify_config *cfg =
	    pgverify_config_load(conf_path, err, sizeof(err));
	pgverify_plan plan;

	if (!cfg)
		fail_msg("config: %s", err);
	pgverify_plan_conninfo(cfg, conninfo, &plan);
	int got = plan.verdict == PGVERIFY_ENFORCE  ? MAY_ENFORCE
		  : plan.verdict == PGVERIFY_REFUSE ? MAY_REFUSE
						    : MAY_LEAVE;
	if (!(got & allowed))
		fail_msg("verdict %d not allowed (%s)", plan.verdict,
			 plan.reason);
	if (plan.verdict == PGVERIFY_REFUSE && !plan.reason[0])
		fail_msg("a refusal without a reason");
	if (reason && !strstr(plan.reason, reason))
		fail_msg("want \"%s\" in \"%s\"", reason, plan.reason);
	pgverify_plan_clear(&plan);
	pgverify_config_free(cfg);
}

/* "host=" + n hosts "h0,h1,..." + " sslmode=disable". */
static char *many_hosts(size_t n)
{
	char *s = malloc(n * 8 + 64), *p = s;

	p += sprintf(p, "host=");
	for (size_t i = 0; i < n; i++)
		p += sprintf(p, "%sh%zu", i ? "," : "", i);
	sprintf(p, " sslmode=disable");
	return s;
}

static void one_mebibyte_value(void **state)
{
	size_t n = 1 << 20;
	char *s = malloc(n + 64);

	(void)state;
	strcpy(s, "host=db.example.com application_name=");
	memset(s + strlen(s), 'a', n);
	s[strlen("host=db.example.com application_name=") + n] = '\0';
	expect_plan(s, MAY_ENFORCE | MAY_REFUSE, NULL);
	free(s);
}

static void ten_thousand_hosts(void **state)
{
	char *s = many_hosts(10000);

	(void)state;
	expect_plan(s, MAY_ENFORCE, NULL);
	free(s);
}

static void overlong_host_element(void **state)
{
	char *s = malloc(5000);

	(void)state;
	strcpy(s, "host=");
	memset(s + 5, 'a', 4000);
	strcpy(s + 4005, ".example.com");
	expect_plan(s, MAY_REFUSE, "too long");
	free(s);
}

static void overlong_hostaddr_only(void **state)
{
	char *s = malloc(5000);

	(void)state;
	strcpy(s, "hostaddr=");
	memset(s + 9, '1', 3000);
	s[3009] = '\0';
	expect_plan(s, MAY_REFUSE, NULL);
	free(s);
}

static void unbalanced_quotes(void **state)
{
	(void)state;
	expect_plan("host='db.example.com", MAY_REFUSE, "unterminated");
	expect_plan("host=db.example.com sslmode='disable", MAY_REFUSE, NULL);
	expect_plan("host=db.example.com '", MAY_REFUSE, NULL);
}

static void percent_encoding_errors(void **state)
{
	(void)state;
	expect_plan("postgresql://db.example.com/%zz", MAY_REFUSE, NULL);
	expect_plan("postgresql://db.example.com/%4", MAY_REFUSE, NULL);
	expect_plan("postgresql://db.example.com/x?sslmode=%00", MAY_REFUSE,
		    NULL);
	expect_plan("postgresql://%00@db.example.com/", MAY_REFUSE, NULL);
	expect_plan("postgresql://[::1/db", MAY_REFUSE, NULL);
}

static void invalid_utf8(void **state)
{
	(void)state;
	expect_plan("host=\xff\xfe\xc3.example.com sslmode=disable",
		    MAY_ENFORCE | MAY_REFUSE, NULL);
	expect_plan("host=db.example.com application_name=\xc3\x28",
		    MAY_ENFORCE | MAY_REFUSE, NULL);
}

static void absurd_ports(void **state)
{
	(void)state;
	expect_plan("host=db.example.com port=99999999999999999999999",
		    MAY_ENFORCE | MAY_REFUSE, NULL);
	expect_plan("host=db.example.com port=-1", MAY_ENFORCE | MAY_REFUSE,
		    NULL);
	expect_plan("host=a,b port=1,2,3", MAY_REFUSE, NULL);
}

static void empty_values(void **state)
{
	(void)state;
	/* Empty host and hostaddr are libpq's default: the Unix socket. */
	expect_plan("host='' hostaddr='' port='' sslmode='' sslrootcert=''",
		    MAY_LEAVE, NULL);
	expect_plan("host=,,, sslmode=disable", MAY_LEAVE, NULL);
	expect_plan("host=,db.example.com sslmode=disable", MAY_ENFORCE, NULL);
	expect_plan("", MAY_LEAVE, NULL);
	/* libpq skips blanks after '=': this host is named "hostaddr=". */
	expect_plan("host= hostaddr= sslmode=disable", MAY_ENFORCE, NULL);
}

static void garbage_keywords(void **state)
{
	(void)state;
	expect_plan("=", MAY_REFUSE, NULL);
	expect_plan("host", MAY_REFUSE, NULL);
	expect_plan("nosuchkeyword=1 host=db.example.com", MAY_REFUSE,
		    "invalid connection option");
	expect_plan("postgresql://", MAY_LEAVE, NULL);
	expect_plan("postgres://?host=db.example.com&sslmode=disable",
		    MAY_ENFORCE, NULL);
}

/* A FIFO or a device as sslrootcert: refused at once, never read from. */
static void bundle_not_a_regular_file(void **state)
{
	char fifo[64] = "/tmp/pgverify-fifo.XXXXXX", conninfo[256];

	(void)state;
	assert_non_null(mkdtemp(fifo));
	strcat(fifo, "/bundle");
	assert_int_equal(mkfifo(fifo, 0600), 0);
	snprintf(conninfo, sizeof(conninfo),
		 "host=db.example.com sslrootcert=%s", fifo);
	expect_plan(conninfo, MAY_REFUSE, "not a regular file");
	expect_plan("host=db.example.com sslrootcert=/dev/zero", MAY_REFUSE,
		    "not a regular file");
	unlink(fifo);
	rmdir(dirname(fifo));
}

/* 100 distinct bundles, one connection each, then the first again: the
 * bundle cache drops old entries and reads a dropped file afresh. */
static void many_distinct_bundles(void **state)
{
	char dir[64] = "/tmp/pgverify-bundles.XXXXXX", path[128], conn[256];

	(void)state;
	assert_non_null(mkdtemp(dir));
	for (int round = 0; round < 2; round++)
		for (int i = 0; i < (round ? 1 : 100); i++) {
			snprintf(path, sizeof(path), "%s/%d.pem", dir, i);
			if (!round)
				assert_int_equal(symlink(bundle_path, path), 0);
			snprintf(conn, sizeof(conn),
				 "host=db.example.com sslrootcert=%s", path);
			expect_plan(conn, MAY_ENFORCE, NULL);
		}
	for (int i = 0; i < 100; i++) {
		snprintf(path, sizeof(path), "%s/%d.pem", dir, i);
		unlink(path);
	}
	rmdir(dir);
}

static int setup(void **state)
{
	FILE *f;
	int fd;

	(void)state;
	fd = mkstemp(conf_path);
	if (fd < 0)
		return -1;
	/* A real bundle, so that ENFORCE gets through the bundle check. */
	snprintf(bundle_path, sizeof(bundle_path), "%s",
		 pgverify_system_bundle());
	f = fdopen(fd, "w");
	fprintf(f, "sslrootcert = \"%s\";\n", bundle_path);
	fclose(f);
	chmod(conf_path, 0644);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	return remove(conf_path);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(one_mebibyte_value),
	    cmocka_unit_test(ten_thousand_hosts),
	    cmocka_unit_test(overlong_host_element),
	    cmocka_unit_test(overlong_hostaddr_only),
	    cmocka_unit_test(unbalanced_quotes),
	    cmocka_unit_test(percent_encoding_errors),
	    cmocka_unit_test(invalid_utf8),
	    cmocka_unit_test(absurd_ports),
	    cmocka_unit_test(empty_values),
	    cmocka_unit_test(garbage_keywords),
	    cmocka_unit_test(bundle_not_a_regular_file),
	    cmocka_unit_test(many_distinct_bundles),
	};
	unsetenv("PGHOST");
	unsetenv("PGHOSTADDR");
	unsetenv("PGSERVICE");
	unsetenv("PGSSLMODE");
	unsetenv("PGSSLROOTCERT");
	return cmocka_run_group_tests_name("hostile", tests, setup, teardown);
}
