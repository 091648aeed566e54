/*
 * pgv_mask_secrets(): no password survives in a message that quotes a
 * connection string, whatever form the password takes, and nothing else
 * changes.
 */
#include "../../src/mask.h"

#include <setjmp.h>
#include <stdlib.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
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

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(uri_userinfo),
	    cmocka_unit_test(password_keyword),
	    cmocka_unit_test(nothing_else_changes),
	    cmocka_unit_test(truncated_at_the_buffer),
	};
	/* PGVERIFY_UNIT_FILTER=GLOB runs only the cases it matches. */
	if (getenv("PGVERIFY_UNIT_FILTER"))
		cmocka_set_test_filter(getenv("PGVERIFY_UNIT_FILTER"));
	return cmocka_run_group_tests(tests, NULL, NULL);
}
