/*
 * Configuration loading, data-driven: every file in tests/configs/ starts
 * with "# expect: TEXT", where TEXT is the part of the error it must
 * produce (file name, line, key) or OK.  The shipped sample must load.
 */
#include "pgverify.h"

#include <dirent.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

static char dir[4096];

static void expect_load(const char *path, const char *expect)
{
	char err[1024] = "";
	pgverify_config *cfg = pgverify_config_load(path, err, sizeof(err));

	if (strcmp(expect, "OK") == 0) {
		if (!cfg)
			fail_msg("%s should load, got: %s", path, err);
	} else if (cfg) {
		fail_msg("%s should fail with \"%s\" but loaded", path, expect);
	} else if (!strstr(err, path) || !strstr(err, expect)) {
		fail_msg("%s: want \"%s\" (and the file name), got \"%s\"",
			 path, expect, err);
	}
	pgverify_config_free(cfg);
}

static void config_file(void **state)
{
	const char *path = *state;
	char line[512] = "";
	FILE *f = fopen(path, "r");

	assert_non_null(f);
	assert_non_null(fgets(line, sizeof(line), f));
	fclose(f);
	assert_int_equal(strncmp(line, "# expect: ", 10), 0);
	line[strcspn(line, "\n")] = '\0';
	expect_load(path, line + 10);
}

static void missing_named_file_fails(void **state)
{
	(void)state;
	expect_load("/nonexistent/pgverify.conf", "No such file");
}

static void shipped_sample_loads(void **state)
{
	char path[4200];

	(void)state;
	snprintf(path, sizeof(path), "%s/../../conf/pgverify.conf", dir);
	expect_load(path, "OK");
}

int main(void)
{
	const char *src = getenv("abs_top_srcdir");
	struct CMUnitTest tests[64];
	char *paths[64];
	size_t n = 0;
	struct dirent *e;
	DIR *d;

	snprintf(dir, sizeof(dir), "%s/tests/configs", src ? src : ".");
	if (!(d = opendir(dir)))
		return 1;
	while ((e = readdir(d)) && n < 62) {
		size_t len = strlen(e->d_name);
		if (len < 6 || strcmp(e->d_name + len - 5, ".conf") != 0)
			continue;
		paths[n] = malloc(strlen(dir) + len + 2);
		sprintf(paths[n], "%s/%s", dir, e->d_name);
		tests[n] = (struct CMUnitTest){e->d_name, config_file, NULL,
					       NULL, paths[n]};
		tests[n].name = strdup(e->d_name);
		n++;
	}
	closedir(d);
	tests[n++] =
	    (struct CMUnitTest){"a missing PGVERIFY_CONFIG file is an error",
				missing_named_file_fails, NULL, NULL, NULL};
	tests[n++] = (struct CMUnitTest){
	    "conf/pgverify.conf loads", shipped_sample_loads, NULL, NULL, NULL};
	int failed = _cmocka_run_group_tests("config", tests, n, NULL, NULL);
	for (size_t i = 0; i < n - 2; i++) {
		free(paths[i]);
		free((void *)tests[i].name);
	}
	return failed;
}
