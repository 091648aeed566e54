/* libpq's sslmode names, in the order of enum pgv_sslmode. */
#include "sslmode.h"

#include <string.h>

static const char *const sslmode_names[] = {
    "disable", "allow", "prefer", "require", "verify-ca", "verify-full"};

int pgv_sslmode_parse(const char *name)
{
	for (size_t i = 0; i < sizeof(sslmode_names) / sizeof(*sslmode_names);
	     i++)
		if (strcmp(name, sslmode_names[i]) == 0)
			return (int)i;
	return -1;
}

const char *pgv_sslmode_name(int mode)
{
	return sslmode_names[mode];
}
