/*
 * Configuration loading.  One table of keys drives it; an unknown key, a
 * wrong type or a bad value is an error naming the file, the line and the
 * key.  The whole configuration is built before it is returned, so nobody
 * ever sees a half-loaded one.
 */
#include "config.h"
#include "exempt.h"
#include "file.h"
#include "log.h"
#include "sslmode.h"

#include <ctype.h>
#include <errno.h>
#include <fnmatch.h>
#include <libconfig.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define DEFAULT_BUNDLE PGVERIFY_SYSCONFDIR "/pgverify/rds-global-bundle.pem"

struct load_error {
	const char *file;
	char *buf;
	size_t len;
};

/* The key a setting stands under; list elements have none of their own. */
static const char *setting_name(const config_setting_t *s)
{
	for (; s; s = config_setting_parent(s))
		if (config_setting_name(s))
			return config_setting_name(s);
	return "(top level)";
}

/* Write "file:line: key: message" into the caller's error buffer. */
__attribute__((format(printf, 3, 4))) static int
fail(struct load_error *e, const config_setting_t *s, const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	snprintf(e->buf, e->len, "%s:%d: %s: %s", e->file,
		 config_setting_source_line(s), setting_name(s), msg);
	return -1;
}

static const char *type_name(int type)
{
	switch (type) {
	case CONFIG_TYPE_GROUP:
		return "a group";
	case CONFIG_TYPE_INT:
	case CONFIG_TYPE_INT64:
		return "an integer";
	case CONFIG_TYPE_FLOAT:
		return "a number";
	case CONFIG_TYPE_STRING:
		return "a string";
	case CONFIG_TYPE_BOOL:
		return "a boolean";
	case CONFIG_TYPE_ARRAY:
		return "an array";
	case CONFIG_TYPE_LIST:
		return "a list";
	default:
		return "something else";
	}
}

static int need_type(struct load_error *e, const config_setting_t *s, int type,
		     const char *what)
{
	if (config_setting_type(s) == type)
		return 0;
	return fail(e, s, "must be %s, not %s", what,
		    type_name(config_setting_type(s)));
}

/* Returns the index of the string value in `names`, or -1 after fail(). */
static int need_choice(struct load_error *e, const config_setting_t *s,
		       const char *const *names, size_t n)
{
	if (need_type(e, s, CONFIG_TYPE_STRING, "a string") < 0)
		return -1;
	const char *v = config_setting_get_string(s);
	for (size_t i = 0; i < n; i++)
		if (strcmp(v, names[i]) == 0)
			return (int)i;
	char allowed[256] = "";
	for (size_t i = 0; i < n; i++) {
		strncat(allowed, i ? ", \"" : "\"",
			sizeof(allowed) - strlen(allowed) - 1);
		strncat(allowed, names[i],
			sizeof(allowed) - strlen(allowed) - 1);
		strncat(allowed, "\"", sizeof(allowed) - strlen(allowed) - 1);
	}
	return fail(e, s, "\"%s\" is not one of %s", v, allowed);
}

#define CHOICE(e, s, names)                                                    \
	need_choice(e, s, names, sizeof(names) / sizeof(*names))

static int parse_min_sslmode(struct load_error *e, const config_setting_t *s,
			     int *out)
{
	static const char *const modes[] = {"verify-ca", "verify-full"};
	int i = CHOICE(e, s, modes);
	if (i < 0)
		return -1;
	*out = i == 0 ? PGV_SSL_VERIFY_CA : PGV_SSL_VERIFY_FULL;
	return 0;
}

/* A bundle is "system" or an absolute path: a relative one would depend on
 * the working directory of whatever program the shim is loaded into.  A
 * rule's path may hold PGV_REGION once, in its last component, for the
 * region an RDS endpoint names; the global bundle applies to every host, so
 * there it is an error. */
static int parse_bundle(struct load_error *e, const config_setting_t *s,
			char **out, int rule)
{
	if (need_type(e, s, CONFIG_TYPE_STRING, "a string") < 0)
		return -1;
	const char *v = config_setting_get_string(s);
	const char *region = strstr(v, PGV_REGION);
	if (strcmp(v, "system") != 0 && v[0] != '/')
		return fail(e, s,
			    "\"%s\" must be an absolute path or \"system\"", v);
	if (region && !rule)
		return fail(e, s,
			    "\"%s\": " PGV_REGION " is allowed only in a hosts "
			    "rule, where the host names its region",
			    v);
	if (region && (strstr(region + 1, PGV_REGION) || strchr(region, '/')))
		return fail(e, s,
			    "\"%s\": " PGV_REGION " may appear once, in the "
			    "file name",
			    v);
	free(*out);
	*out = strdup(v);
	return *out ? 0 : fail(e, s, "out of memory");
}

static int key_sslmode(pgverify_config *c, const config_setting_t *s,
		       struct load_error *e)
{
	return parse_min_sslmode(e, s, &c->sslmode);
}

static int key_sslrootcert(pgverify_config *c, const config_setting_t *s,
			   struct load_error *e)
{
	return parse_bundle(e, s, &c->sslrootcert, 0);
}

static int key_on_disable(pgverify_config *c, const config_setting_t *s,
			  struct load_error *e)
{
	static const char *const v[] = {"upgrade", "refuse"};
	int i = CHOICE(e, s, v);
	c->on_disable_refuse = i == 1;
	return i < 0 ? -1 : 0;
}

static int key_gssencmode(pgverify_config *c, const config_setting_t *s,
			  struct load_error *e)
{
	static const char *const v[] = {"disable", "prefer"};
	int i = CHOICE(e, s, v);
	c->gssencmode_disable = i == 0;
	return i < 0 ? -1 : 0;
}

static int key_expiry_warning_days(pgverify_config *c,
				   const config_setting_t *s,
				   struct load_error *e)
{
	if (need_type(e, s, CONFIG_TYPE_INT, "an integer") < 0)
		return -1;
	int v = config_setting_get_int(s);
	if (v < 0 || v > 36500)
		return fail(e, s, "%d is not between 0 and 36500", v);
	c->expiry_warning_days = v;
	return 0;
}

static int key_log_level(pgverify_config *c, const config_setting_t *s,
			 struct load_error *e)
{
	int i = need_choice(e, s, pgv_log_level_names, PGV_LOG_LEVELS);
	c->log_level = i;
	return i < 0 ? -1 : 0;
}

static int key_log_target(pgverify_config *c, const config_setting_t *s,
			  struct load_error *e)
{
	static const char *const v[] = {"stderr", "syslog"};
	int i = CHOICE(e, s, v);
	c->log_target = i == 1 ? PGV_LOG_SYSLOG : PGV_LOG_STDERR;
	return i < 0 ? -1 : 0;
}

static int key_lock(pgverify_config *c, const config_setting_t *s,
		    struct load_error *e)
{
	if (need_type(e, s, CONFIG_TYPE_BOOL, "true or false") < 0)
		return -1;
	c->lock = config_setting_get_bool(s);
	return 0;
}

static int parse_mode(struct load_error *e, const config_setting_t *s,
		      int *report)
{
	static const char *const v[] = {"enforce", "report"};
	int i = CHOICE(e, s, v);
	*report = i == 1;
	return i < 0 ? -1 : 0;
}

static int key_mode(pgverify_config *c, const config_setting_t *s,
		    struct load_error *e)
{
	return parse_mode(e, s, &c->report);
}

/* A relative audit path would depend on each program's working directory. */
static int key_audit(pgverify_config *c, const config_setting_t *s,
		     struct load_error *e)
{
	if (need_type(e, s, CONFIG_TYPE_STRING, "a string") < 0)
		return -1;
	const char *v = config_setting_get_string(s);
	if (*v && strcmp(v, "syslog") != 0 && v[0] != '/')
		return fail(e, s,
			    "\"%s\" must be \"\", \"syslog\" or an absolute "
			    "path",
			    v);
	free(c->audit);
	c->audit = *v ? strdup(v) : NULL;
	return !*v || c->audit ? 0 : fail(e, s, "out of memory");
}

static int need_list(struct load_error *e, const config_setting_t *s,
		     int allow_array)
{
	int t = config_setting_type(s);
	if (t == CONFIG_TYPE_LIST || (allow_array && t == CONFIG_TYPE_ARRAY))
		return 0;
	return fail(e, s, "must be %s, not %s",
		    allow_array ? "an array of strings" : "a list of groups",
		    type_name(t));
}

static int key_exempt(pgverify_config *c, const config_setting_t *s,
		      struct load_error *e)
{
	if (need_list(e, s, 1) < 0)
		return -1;
	int n = config_setting_length(s);
	c->exempt = calloc((size_t)n + 1, sizeof(*c->exempt));
	if (!c->exempt)
		return fail(e, s, "out of memory");
	for (int i = 0; i < n; i++) {
		const config_setting_t *el =
		    config_setting_get_elem(s, (unsigned)i);
		const char *v = config_setting_get_string(el);
		if (!v || !*v)
			return fail(e, s,
				    "element %d must be a non-empty string",
				    i + 1);
		if (pgv_exempt_is_address(v) < 0)
			return fail(e, s,
				    "element %d (\"%s\") is neither a host "
				    "name glob nor an IP address or CIDR block "
				    "(such as \"10.0.0.0/8\")",
				    i + 1, v);
		if (!(c->exempt[i] = strdup(v)))
			return fail(e, s, "out of memory");
		c->nexempt++;
	}
	return 0;
}

static int rule_match(struct pgv_rule *r, const config_setting_t *s,
		      struct load_error *e)
{
	if (need_type(e, s, CONFIG_TYPE_STRING, "a string") < 0)
		return -1;
	const char *v = config_setting_get_string(s);
	if (!*v)
		return fail(e, s, "must not be empty");
	r->match = strdup(v);
	return r->match ? 0 : fail(e, s, "out of memory");
}

static int rule_sslmode(struct pgv_rule *r, const config_setting_t *s,
			struct load_error *e)
{
	return parse_min_sslmode(e, s, &r->sslmode);
}

static int rule_sslrootcert(struct pgv_rule *r, const config_setting_t *s,
			    struct load_error *e)
{
	return parse_bundle(e, s, &r->sslrootcert, 1);
}

static int rule_mode(struct pgv_rule *r, const config_setting_t *s,
		     struct load_error *e)
{
	return parse_mode(e, s, &r->report);
}

/* A DNS name (or address) libpq can check a certificate against: one
 * list element, nothing a conninfo string would split or a log would
 * break a line on. */
static int rule_verify_name(struct pgv_rule *r, const config_setting_t *s,
			    struct load_error *e)
{
	if (need_type(e, s, CONFIG_TYPE_STRING, "a string") < 0)
		return -1;
	const char *v = config_setting_get_string(s);
	for (const char *c = v; *c; c++)
		if (!isalnum((unsigned char)*c) && !strchr(".-_:", *c))
			return fail(
			    e, s,
			    "\"%s\" is not a host name (letters, digits, "
			    "'.', '-', '_' and ':' only)",
			    v);
	if (!*v || strlen(v) > 253)
		return fail(e, s, "must be a host name of 1 to 253 characters");
	r->verify_name = strdup(v);
	return r->verify_name ? 0 : fail(e, s, "out of memory");
}

static int rule_sslnegotiation(struct pgv_rule *r, const config_setting_t *s,
			       struct load_error *e)
{
	static const char *const v[] = {"postgres", "direct"};
	int i = CHOICE(e, s, v);

	if (i < 0)
		return -1;
	r->direct = i;
	return 0;
}

static const struct rule_key {
	const char *name;
	int (*apply)(struct pgv_rule *, const config_setting_t *,
		     struct load_error *);
} rule_keys[] = {
    {"match", rule_match},
    {"sslmode", rule_sslmode},
    {"sslrootcert", rule_sslrootcert},
    {"mode", rule_mode},
    {"sslnegotiation", rule_sslnegotiation},
    {"verify_name", rule_verify_name},
};

static int parse_rule(struct pgv_rule *r, const config_setting_t *g,
		      struct load_error *e)
{
	r->sslmode = -1;
	r->report = -1;
	r->direct = -1;
	if (need_type(e, g, CONFIG_TYPE_GROUP, "a group { match = ...; }") < 0)
		return -1;
	for (int i = 0; i < config_setting_length(g); i++) {
		const config_setting_t *s =
		    config_setting_get_elem(g, (unsigned)i);
		size_t k = 0;
		while (k < sizeof(rule_keys) / sizeof(*rule_keys) &&
		       strcmp(rule_keys[k].name, config_setting_name(s)) != 0)
			k++;
		if (k == sizeof(rule_keys) / sizeof(*rule_keys))
			return fail(e, s,
				    "unknown key in a hosts rule (known: "
				    "match, sslmode, sslrootcert, mode, "
				    "sslnegotiation, verify_name)");
		if (rule_keys[k].apply(r, s, e) < 0)
			return -1;
	}
	if (!r->match) {
		snprintf(e->buf, e->len,
			 "%s:%d: hosts: a rule has no \"match\" glob", e->file,
			 config_setting_source_line(g));
		return -1;
	}
	return 0;
}

static int key_hosts(pgverify_config *c, const config_setting_t *s,
		     struct load_error *e)
{
	if (need_list(e, s, 0) < 0)
		return -1;
	int n = config_setting_length(s);
	c->rules = calloc((size_t)n + 1, sizeof(*c->rules));
	if (!c->rules)
		return fail(e, s, "out of memory");
	for (int i = 0; i < n; i++) {
		c->nrules++;
		if (parse_rule(&c->rules[i],
			       config_setting_get_elem(s, (unsigned)i), e) < 0)
			return -1;
	}
	return 0;
}

static const struct key {
	const char *name;
	int (*apply)(pgverify_config *, const config_setting_t *,
		     struct load_error *);
} keys[] = {
    {"sslmode", key_sslmode},
    {"sslrootcert", key_sslrootcert},
    {"on_disable", key_on_disable},
    {"gssencmode", key_gssencmode},
    {"expiry_warning_days", key_expiry_warning_days},
    {"log_level", key_log_level},
    {"log_target", key_log_target},
    {"exempt", key_exempt},
    {"mode", key_mode},
    {"lock", key_lock},
    {"audit", key_audit},
    {"hosts", key_hosts},
};

/* Edit distance between `a` and `b` (short strings: key names). */
static size_t distance(const char *a, const char *b)
{
	size_t lb = strlen(b), row[64];

	if (lb >= sizeof(row) / sizeof(*row) || strlen(a) >= 64)
		return (size_t)-1;
	for (size_t j = 0; j <= lb; j++)
		row[j] = j;
	for (size_t i = 1; a[i - 1]; i++) {
		size_t diag = row[0];
		row[0] = i;
		for (size_t j = 1; j <= lb; j++) {
			size_t up = row[j],
			       best = diag + (a[i - 1] != b[j - 1]);
			if (up + 1 < best)
				best = up + 1;
			if (row[j - 1] + 1 < best)
				best = row[j - 1] + 1;
			diag = up;
			row[j] = best;
		}
	}
	return row[lb];
}

/* The known key nearest to `name`, if it is near enough to be a typo. */
static const char *nearest_key(const char *name)
{
	const char *best = NULL;
	size_t d = 3; /* at most two edits */

	for (size_t k = 0; k < sizeof(keys) / sizeof(*keys); k++)
		if (distance(name, keys[k].name) < d) {
			d = distance(name, keys[k].name);
			best = keys[k].name;
		}
	return best;
}

static int apply_root(pgverify_config *c, const config_setting_t *root,
		      struct load_error *e)
{
	for (int i = 0; i < config_setting_length(root); i++) {
		const config_setting_t *s =
		    config_setting_get_elem(root, (unsigned)i);
		size_t k = 0;
		while (k < sizeof(keys) / sizeof(*keys) &&
		       strcmp(keys[k].name, config_setting_name(s)) != 0)
			k++;
		if (k == sizeof(keys) / sizeof(*keys) &&
		    nearest_key(config_setting_name(s)))
			return fail(e, s, "unknown key; did you mean \"%s\"?",
				    nearest_key(config_setting_name(s)));
		if (k == sizeof(keys) / sizeof(*keys))
			return fail(e, s, "unknown key (see pgverify.conf(5))");
		if (keys[k].apply(c, s, e) < 0)
			return -1;
	}
	return 0;
}

static pgverify_config *config_defaults(void)
{
	pgverify_config *c = calloc(1, sizeof(*c));
	if (!c)
		return NULL;
	c->sslmode = PGV_SSL_VERIFY_FULL;
	c->gssencmode_disable = 1;
	c->expiry_warning_days = 30;
	c->log_level = PGV_LOG_WARNING;
	c->log_target = PGV_LOG_STDERR;
	c->sslrootcert = strdup(DEFAULT_BUNDLE);
	if (!c->sslrootcert) {
		free(c);
		return NULL;
	}
	return c;
}

/*
 * As OpenSSH does: a file that someone other than root or this user could
 * have written is no policy at all.  Checked on the open file, so the file
 * checked is the file read.
 */
static int check_owner(FILE *fp, const char *file, char *err, size_t errlen)
{
	struct stat st;

	if (fstat(fileno(fp), &st) < 0) {
		snprintf(err, errlen, "%s: cannot read the file: %s", file,
			 strerror(errno));
		return -1;
	}
	if (st.st_uid != 0 && st.st_uid != geteuid()) {
		snprintf(err, errlen,
			 "%s is owned by uid %u, neither root nor this user; "
			 "chown it",
			 file, (unsigned)st.st_uid);
		return -1;
	}
	if (st.st_mode & (S_IWGRP | S_IWOTH)) {
		snprintf(err, errlen,
			 "%s is writable by group or others (mode %04o); run "
			 "chmod go-w %s",
			 file, (unsigned)(st.st_mode & 07777), file);
		return -1;
	}
	return 0;
}

/*
 * libconfig follows `@include "file"` with no way to vet the included file
 * (1.5 has no include hook), so an included file would escape the owner and
 * mode rule above: whoever can write it could name their own CA bundle.
 * Refuse the directive outright; any line starting with it counts, which is
 * broader than libconfig's lexer rule, so nothing it would follow gets by.
 */
static int refuse_includes(FILE *fp, const char *file, char *err, size_t errlen)
{
	char *line = NULL;
	size_t cap = 0;
	int n = 0, rc = 0;

	while (rc == 0 && getline(&line, &cap, fp) >= 0) {
		n++;
		if (strncmp(line + strspn(line, " \t"), "@include", 8) == 0) {
			snprintf(err, errlen,
				 "%s:%d: @include is not allowed: an included "
				 "file would escape the ownership and mode "
				 "check; put its settings in %s",
				 file, n, file);
			rc = -1;
		}
	}
	free(line);
	rewind(fp);
	return rc;
}

/* Parse `file` with libconfig into `c`.  Returns 0 or -1 with `err` set. */
static int read_file(pgverify_config *c, const char *file, char *err,
		     size_t errlen)
{
	struct load_error e = {file, err, errlen};
	config_t lc;
	int rc = -1;
	const char *why = "out of memory";
	FILE *fp = pgv_open_regular(file, &why);

	if (!fp) {
		snprintf(err, errlen, "%s: cannot read the file: %s", file,
			 why);
		return -1;
	}
	config_init(&lc);
	if (check_owner(fp, file, err, errlen) < 0 ||
	    pgv_file_trusted(file, err, errlen) < 0 ||
	    refuse_includes(fp, file, err, errlen) < 0) {
		rc = -1;
	} else if (!config_read(&lc, fp)) {
		snprintf(err, errlen, "%s:%d: %s",
			 config_error_file(&lc) ? config_error_file(&lc) : file,
			 config_error_line(&lc), config_error_text(&lc));
	} else {
		rc = apply_root(c, config_root_setting(&lc), &e);
	}
	config_destroy(&lc);
	fclose(fp);
	return rc;
}

pgverify_config *pgverify_config_load(const char *path, char *err,
				      size_t errlen)
{
	const char *file = path ? path : pgverify_config_default_path();
	pgverify_config *c = config_defaults();
	struct stat st;

	if (!c) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	if (!path && stat(file, &st) < 0 && errno == ENOENT)
		return c;
	c->path = strdup(file);
	if (!c->path) {
		snprintf(err, errlen, "out of memory");
	} else if (read_file(c, file, err, errlen) == 0) {
		return c;
	}
	pgverify_config_free(c);
	return NULL;
}

void pgverify_config_free(pgverify_config *c)
{
	if (!c)
		return;
	for (size_t i = 0; i < c->nexempt; i++)
		free(c->exempt[i]);
	for (size_t i = 0; i < c->nrules; i++) {
		free(c->rules[i].match);
		free(c->rules[i].sslrootcert);
		free(c->rules[i].verify_name);
	}
	free(c->exempt);
	free(c->rules);
	free(c->sslrootcert);
	free(c->audit);
	free(c->path);
	free(c->ignored_env);
	free(c);
}

/*
 * With PGVERIFY_CONFIG set, the administrator's file still decides first:
 * a locked one is the policy whatever the variable says (the variable is
 * kept in ignored_env, for one warning).  A system file that cannot be
 * read cannot say whether it is locked: that is an error too.
 */
static pgverify_config *locked_system_config(const char *env, char *err,
					     size_t errlen)
{
	pgverify_config *sys = pgverify_config_load(NULL, err, errlen);

	if (sys && !sys->lock) {
		pgverify_config_free(sys);
		return NULL;
	}
	if (sys && !(sys->ignored_env = strdup(env))) {
		pgverify_config_free(sys);
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	return sys;
}

pgverify_config *pgverify_config_load_default(char *err, size_t errlen)
{
	const char *path = secure_getenv("PGVERIFY_CONFIG");
	pgverify_config *sys;

	err[0] = '\0';
	if (path && ((sys = locked_system_config(path, err, errlen)) || err[0]))
		return sys;

	/* A relative path would name a different file in each working
	 * directory of each process that inherits the variable. */
	if (path && path[0] != '/') {
		snprintf(err, errlen,
			 "PGVERIFY_CONFIG=\"%s\" is not an absolute path; "
			 "give the file's full path or unset it",
			 path);
		return NULL;
	}
	return pgverify_config_load(path, err, errlen);
}

const char *pgverify_config_default_path(void)
{
	return PGVERIFY_SYSCONFDIR "/pgverify.conf";
}

const char *pgverify_config_path(const pgverify_config *c)
{
	return c->path;
}

void pgverify_config_describe(const pgverify_config *c,
			      pgverify_config_view *out)
{
	out->path = c->path;
	out->sslmode = pgv_sslmode_name(c->sslmode);
	out->sslrootcert = c->sslrootcert;
	out->on_disable = c->on_disable_refuse ? "refuse" : "upgrade";
	out->gssencmode = c->gssencmode_disable ? "disable" : "prefer";
	out->log_level = pgv_log_level_names[c->log_level];
	out->log_target = c->log_target == PGV_LOG_SYSLOG ? "syslog" : "stderr";
	out->expiry_warning_days = c->expiry_warning_days;
	out->exempt = (const char *const *)c->exempt;
	out->nexempt = c->nexempt;
	out->nrules = c->nrules;
	out->mode = c->report ? "report" : "enforce";
	out->audit = c->audit ? c->audit : "";
	out->lock = c->lock;
}

/* Case-insensitive glob match on a host name, ignoring one trailing dot. */
static int host_matches(const char *glob, const char *name)
{
	char bare[1024];
	size_t n = strlen(name);

	if (n > 0 && name[n - 1] == '.')
		n--;
	if (n >= sizeof(bare))
		return 0; /* longer than any name libpq accepts */
	memcpy(bare, name, n);
	bare[n] = '\0';
	return fnmatch(glob, bare, FNM_CASEFOLD) == 0;
}

const struct pgv_rule *pgv_rule_for(const pgverify_config *cfg,
				    const char *name)
{
	for (size_t i = 0; i < cfg->nrules; i++)
		if (host_matches(cfg->rules[i].match, name))
			return &cfg->rules[i];
	return NULL;
}

int pgverify_config_rule(const pgverify_config *c, size_t i,
			 pgverify_rule_view *out)
{
	if (i >= c->nrules)
		return -1;
	out->match = c->rules[i].match;
	out->sslmode = c->rules[i].sslmode >= 0
			   ? pgv_sslmode_name(c->rules[i].sslmode)
			   : NULL;
	out->sslrootcert = c->rules[i].sslrootcert;
	out->mode = c->rules[i].report < 0 ? NULL
		    : c->rules[i].report   ? "report"
					   : "enforce";
	out->verify_name = c->rules[i].verify_name;
	out->sslnegotiation = c->rules[i].direct < 0 ? NULL
			      : c->rules[i].direct   ? "direct"
						     : "postgres";
	return 0;
}
