/*
 * libFuzzer target: the shim's pipeline (libpq's merge, the policy, the
 * bundle check) on arbitrary connection options, through the same entry
 * the interposed functions use.  The first byte picks the form:
 *   0  a conninfo string or URI, as PQconnectdb() gets it
 *   1  the same after "postgresql://", to reach the URI parser sooner
 *   2  keyword/value arrays, as PQconnectdbParams() gets them: the rest
 *      is keyword\0value\0...; bit 4 of the first byte is expand_dbname
 */
#include "plan.h"
#include "request.h"
#include "fuzz.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define MAX_PAIRS 64

static pgverify_config *cfg;

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char *const exempt[] = {"*.exempt.example"};

static char dir[] = "/tmp/pgverify-fuzz-regions.XXXXXX";
static char link_path[128];

static void remove_regions(void)
{
	unlink(link_path);
	rmdir(dir);
}

/* The policy: a default bundle, an exemption, a {region} rule with one
 * region's file present, a verify-ca rule. */
int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	char text[8192];

	(void)argc;
	(void)argv;
	fuzz_clear_environment();
	if (!mkdtemp(dir))
		return 1;
	snprintf(link_path, sizeof(link_path), "%s/us-east-1.pem", dir);
	atexit(remove_regions);
	if (symlink(pgverify_system_bundle(), link_path) < 0)
		return 1;
	snprintf(text, sizeof(text),
		 "sslrootcert = \"%s\";\n"
		 "exempt = [ \"%s\" ];\n"
		 "hosts = (\n"
		 "  { match = \"*.rds.amazonaws.com\"; sslrootcert = "
		 "\"%s/{region}.pem\"; },\n"
		 "  { match = \"*.corp.example\"; sslmode = \"verify-ca\"; }\n"
		 ");\n",
		 pgverify_system_bundle(), exempt[0], dir);
	cfg = fuzz_config(text);
	return cfg ? 0 : 1;
}

/* Split `buf` (NUL-separated, `len` bytes) into keyword/value arrays. */
static void split_pairs(char *buf, size_t len, const char **kw,
			const char **val)
{
	size_t n = 0;
	char *p = buf, *end = buf + len;

	while (p < end && n < MAX_PAIRS) {
		kw[n] = p;
		p += strlen(p) + 1;
		val[n++] = p < end ? p : "";
		p += p < end ? strlen(p) + 1 : 0;
	}
	kw[n] = val[n] = NULL;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *kw[MAX_PAIRS + 1], *val[MAX_PAIRS + 1];
	struct pgv_request req;
	pgverify_plan plan;
	char *text;

	if (size < 1)
		return 0;
	/* Room for the URI prefix and two terminating NULs. */
	text = malloc(size + 16);
	if (!text)
		return 0;
	memset(text, 0, size + 16);
	if (data[0] % 3 == 1) {
		memcpy(text, "postgresql://", 13);
		memcpy(text + 13, data + 1, size - 1);
	} else {
		memcpy(text, data + 1, size - 1);
	}
	if (data[0] % 3 == 2) {
		split_pairs(text, size - 1, kw, val);
		pgv_request_params(&req, pgv_libpq_linked(), kw, val, (data[0] & 0x10) != 0);
	} else {
		pgv_request_conninfo(&req, pgv_libpq_linked(), text);
	}
	pgv_plan(cfg, &req, &plan);
	fuzz_check_plan(&plan, exempt, 1);
	pgverify_plan_clear(&plan);
	pgv_request_free(&req);
	free(text);
	return 0;
}
