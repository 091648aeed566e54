/*
 * libFuzzer target: loading a configuration file (libconfig, then
 * pgverify's key table), then planning a fixed connection under whatever
 * loaded.  A file that loads must give a policy that still verifies.
 */
#include "fuzz.h"

#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerInitialize(int *argc, char ***argv);

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	fuzz_clear_environment();
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = malloc(size + 1);
	pgverify_config *cfg;
	pgverify_plan plan;

	if (!text)
		return 0;
	memcpy(text, data, size);
	text[size] = '\0';
	cfg = fuzz_config(text);
	free(text);
	if (!cfg)
		return 0;
	pgverify_config_view view;
	pgverify_rule_view rule;
	pgverify_config_describe(cfg, &view);
	for (size_t i = 0; i < view.nrules; i++)
		pgverify_config_rule(cfg, i, &rule);
	pgverify_plan_conninfo(
	    cfg, "host=db1.abc123.us-east-1.rds.amazonaws.com sslmode=disable",
	    &plan);
	fuzz_check_plan(&plan, view.exempt, view.nexempt);
	pgverify_plan_clear(&plan);
	pgverify_config_free(cfg);
	return 0;
}
