/*
 * pgv_mask_secrets(): no password survives in a message that quotes a
 * connection string, whatever form the password takes, and nothing else
 * changes.
 */
#include "mask.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

static void expect_masked(const char *in, const char *want)
{
	char buf[512];

	strcpy(buf, in);
	pgv_mask_secrets(buf, sizeof(buf));
	assert_string_equal(buf, want);
}

static void uri_userinfo(void **state)
{
	(void)state;
	expect_masked("invalid URI: \"postgresql://u:secret@[::1/db\"",
		      "invalid URI: \"postgresql://u:***@[::1/db\"");
	expect_masked("postgres://app:p%40ss@h1,h2:5433/db?x=1",
		      "postgres://app:***@h1,h2:5433/db?x=1");
	/* A user without a password, and an @ past the authority. */
	expect_masked("postgresql://u@host/db", "postgresql://u@host/db");
	expect_masked("postgresql://host/db?application_name=a:b@c",
		      "postgresql://host/db?application_name=a:b@c");
}

static void password_keyword(void **state)
{
	(void)state;
	expect_masked("host=x password=secret port=1",
		      "host=x password=*** port=1");
	expect_masked("host=x password='se cret \\' more' port=1",
		      "host=x password=*** port=1");
	expect_masked("postgresql://h/db?sslmode=prefer&password=secret&x=1",
		      "postgresql://h/db?sslmode=prefer&password=***&x=1");
	expect_masked("\"PASSWORD=secret\"", "\"PASSWORD=***\"");
	expect_masked("password= secret", "password=***");
	expect_masked("password=", "password=");
}

static void nothing_else_changes(void **state)
{
	(void)state;
	expect_masked("host=db1 port=5432 sslmode=verify-full",
		      "host=db1 port=5432 sslmode=verify-full");
	expect_masked("", "");
}

static void truncated_at_the_buffer(void **state)
{
	char buf[16] = "password=abcdef";

	(void)state;
	pgv_mask_secrets(buf, 12);
	assert_string_equal(buf, "password=**");
	assert_null(strstr(buf, "abc"));
}

static void controls_escaped(void **state)
{
	char buf[64] = "evil\npgverify: forged\033[2J\r";

	(void)state;
	pgv_escape_controls(buf, sizeof(buf));
	assert_string_equal(buf, "evil\\x0apgverify: forged\\x1b[2J\\x0d");
}

static void escaping_cut_at_the_buffer(void **state)
{
	char buf[10] = "ab\n\ncd";

	(void)state;
	pgv_escape_controls(buf, sizeof(buf));
	assert_string_equal(buf, "ab\\x0a");
}

static void libpq_quote_cut(void **state)
{
	char buf[256] = "invalid percent-encoded token: \"Pct1%ZZSecretA\"\n";

	(void)state;
	pgv_cut_libpq_quote(buf, sizeof(buf));
	assert_null(strstr(buf, "Secret"));
	assert_non_null(strstr(buf, "invalid percent-encoded token (libpq's "
				    "message is cut"));
}

/* Random bytes: after escaping no control character is left, after the
 * cut no quote (and so nothing libpq quoted), and no overflow. */
static void random_inputs(void **state)
{
	unsigned seed = 12345;

	(void)state;
	for (int round = 0; round < 20000; round++) {
		char buf[64];
		size_t n = (size_t)(rand_r(&seed) % (sizeof(buf) - 1));
		for (size_t i = 0; i < n; i++)
			buf[i] = (char)(1 + rand_r(&seed) % 255);
		buf[n] = '\0';
		pgv_escape_controls(buf, sizeof(buf));
		assert_true(strlen(buf) < sizeof(buf));
		for (const char *c = buf; *c; c++)
			assert_true((unsigned char)*c >= 0x20 && *c != 0x7f);
		pgv_cut_libpq_quote(buf, sizeof(buf));
		assert_null(strchr(buf, '"'));
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(uri_userinfo),
	    cmocka_unit_test(password_keyword),
	    cmocka_unit_test(nothing_else_changes),
	    cmocka_unit_test(truncated_at_the_buffer),
	    cmocka_unit_test(controls_escaped),
	    cmocka_unit_test(escaping_cut_at_the_buffer),
	    cmocka_unit_test(libpq_quote_cut),
	    cmocka_unit_test(random_inputs),
	};
	/* PGVERIFY_UNIT_FILTER=GLOB runs only the cases it matches. */
	if (getenv("PGVERIFY_UNIT_FILTER"))
		cmocka_set_test_filter(getenv("PGVERIFY_UNIT_FILTER"));
	return cmocka_run_group_tests(tests, NULL, NULL);
}
