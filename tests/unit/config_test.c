/*
 * Configuration loading, data-driven: every file in tests/configs/ starts
 * with "# expect: TEXT", where TEXT is the part of the error it must
 * produce (file name, line, key) or OK.  The shipped sample must load.
 */
#include "core.h"

#include <dirent.h>
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

/* A private copy of `src` with `mode`: the checkout's umask must not
 * decide the result.  Returns the copy's path (static buffer). */
static const char *copy_with_mode(const char *src, mode_t mode)
{
	static char path[] = "/tmp/pgverify-config-test.XXXXXX";
	char buf[4096];
	size_t n;
	int fd;

	strcpy(path, "/tmp/pgverify-config-test.XXXXXX");
	fd = mkstemp(path);
	assert_true(fd >= 0);
	FILE *in = fopen(src, "r"), *out = fdopen(fd, "w");
	assert_non_null(in);
	assert_non_null(out);
	while ((n = fread(buf, 1, sizeof(buf), in)) > 0)
		assert_int_equal(fwrite(buf, 1, n, out), n);
	fclose(in);
	fclose(out);
	assert_int_equal(chmod(path, mode), 0);
	return path;
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
	const char *copy = copy_with_mode(path, 0644);
	expect_load(copy, line + 10);
	unlink(copy);
}

/* OpenSSH's rule: refuse what group or others could have written. */
static void writable_by_others_refused(void **state)
{
	static const mode_t modes[] = {0664, 0646, 0666};
	char good[4200];

	(void)state;
	snprintf(good, sizeof(good), "%s/good-full.conf", dir);
	for (size_t i = 0; i < sizeof(modes) / sizeof(*modes); i++) {
		const char *copy = copy_with_mode(good, modes[i]);
		expect_load(copy, "is writable by group or others");
		unlink(copy);
	}
	const char *copy = copy_with_mode(good, 0600);
	expect_load(copy, "OK");
	unlink(copy);
}

static void owned_by_another_user_refused(void **state)
{
	char good[4200];

	(void)state;
	if (geteuid() != 0)
		skip(); /* only root can give a file away */
	snprintf(good, sizeof(good), "%s/good-full.conf", dir);
	const char *copy = copy_with_mode(good, 0644);
	assert_int_equal(chown(copy, 65534, 65534), 0);
	expect_load(copy, "is owned by uid 65534, neither root nor this user");
	unlink(copy);
}

static void missing_named_file_fails(void **state)
{
	(void)state;
	expect_load("/nonexistent/pgverify.conf", "No such file");
}

/* PGVERIFY_CONFIG naming a FIFO: refused at once, not waited on. */
static void fifo_refused(void **state)
{
	char fifo[64] = "/tmp/pgverify-fifo.XXXXXX";

	(void)state;
	assert_non_null(mkdtemp(fifo));
	strcat(fifo, "/conf");
	assert_int_equal(mkfifo(fifo, 0600), 0);
	expect_load(fifo, "not a regular file");
	unlink(fifo);
	rmdir(dirname(fifo));
}

static void shipped_sample_loads(void **state)
{
	char path[4200];

	(void)state;
	/* Built from conf/pgverify.conf.in with this build's sysconfdir. */
	snprintf(path, sizeof(path), "%s/conf/pgverify.conf",
		 getenv("abs_top_builddir") ? getenv("abs_top_builddir") : ".");
	const char *copy = copy_with_mode(path, 0644);
	expect_load(copy, "OK");
	unlink(copy);
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
	while ((e = readdir(d)) && n < 58) {
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
	size_t nfiles = n;
	tests[n++] =
	    (struct CMUnitTest){"a missing PGVERIFY_CONFIG file is an error",
				missing_named_file_fails, NULL, NULL, NULL};
	tests[n++] = (struct CMUnitTest){"a FIFO as the config is refused",
					 fifo_refused, NULL, NULL, NULL};
	tests[n++] = (struct CMUnitTest){
	    "conf/pgverify.conf loads", shipped_sample_loads, NULL, NULL, NULL};
	tests[n++] = (struct CMUnitTest){
	    "a config writable by group or others is refused",
	    writable_by_others_refused, NULL, NULL, NULL};
	tests[n++] = (struct CMUnitTest){
	    "a config owned by another user is refused",
	    owned_by_another_user_refused, NULL, NULL, NULL};
	/* PGVERIFY_UNIT_FILTER=GLOB runs only the cases it matches. */
	if (getenv("PGVERIFY_UNIT_FILTER"))
		cmocka_set_test_filter(getenv("PGVERIFY_UNIT_FILTER"));
	int failed = _cmocka_run_group_tests("config", tests, n, NULL, NULL);
	for (size_t i = 0; i < nfiles; i++) {
		free(paths[i]);
		free((void *)tests[i].name);
	}
	return failed;
}
