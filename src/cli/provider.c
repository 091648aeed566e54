/*
 * How explain, probe and check name the provider of a host (providers.h):
 * one human line and one JSON object, the same in each subcommand.
 */
#include "cli.h"
#include "json.h"

void cli_print_provider(const struct pgv_provider *p, const char *label)
{
	if (p)
		printf("%s%s (%s: %s)\n", label, p->name,
		       pgv_trust_name(p->trust), p->roots);
}

void cli_json_provider(struct json *j, const struct pgv_provider *p)
{
	if (!p) {
		json_str(j, "provider", NULL);
		return;
	}
	json_open(j, "provider", '{');
	json_str(j, "name", p->name);
	json_str(j, "trust", pgv_trust_name(p->trust));
	json_str(j, "roots", p->roots);
	json_str(j, "file", p->file);
	json_close(j, '}');
}
