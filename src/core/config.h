/* The loaded configuration: what the file said, fully validated. */
#ifndef PGV_CONFIG_H
#define PGV_CONFIG_H

#include "core.h"

#include <stddef.h>

/* In a rule's sslrootcert: the AWS region its host names. */
#define PGV_REGION "{region}"

struct pgv_rule {
	char *match;	   /* case-insensitive fnmatch(3) glob */
	int sslmode;	   /* enum pgv_sslmode, or -1 when the rule sets none */
	char *sslrootcert; /* NULL when the rule sets none */
	int report;	   /* mode: 1 report, 0 enforce, -1 the global one */
	int direct;	   /* sslnegotiation: 1 direct, 0 postgres, -1 unset */
	char *verify_name; /* the name the certificate carries, or NULL */
};

struct pgverify_config {
	char *path; /* NULL: built-in defaults */
	int sslmode;
	char *sslrootcert;
	int on_disable_refuse;
	int gssencmode_disable;
	int expiry_warning_days;
	int log_level;
	int log_target;
	int report;  /* mode = "report": record, change nothing */
	char *audit; /* NULL: none; "syslog", or an absolute path */
	char **exempt;
	size_t nexempt;
	int lock; /* the administrator's policy: nothing in a process weakens it
		   */
	/* Set by pgverify_config_load_default(): the PGVERIFY_CONFIG a locked
	 * system file made it ignore, for one warning; else NULL. */
	char *ignored_env;
	struct pgv_rule *rules;
	size_t nrules;
};

/* The first rule whose match glob `name` fits (case-insensitive, one
 * trailing dot ignored), or NULL. */
const struct pgv_rule *pgv_rule_for(const pgverify_config *cfg,
				    const char *name);

#endif
