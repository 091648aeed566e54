/*
 * pgverify check: load the configuration exactly as the shim does and
 * check every bundle it names with the shim's own bundle check.  Exit 1 if
 * a bundle would refuse connections, 2 if the configuration is bad.
 */
#include "cli.h"
#include "config.h"
#include "dyntab.h"
#include "file.h"
#include "json.h"
#include "layout.h"
#include "snapshot.h"

#include <dlfcn.h>
#include <errno.h>
#include <fnmatch.h>
#include <glob.h>
#include <libpq-fe.h>
#include <limits.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static const char usage[] = "pgverify check [-c FILE] [--json]";

#define MAX_BUNDLES 256

struct bundle_use {
	const char *name; /* as configured: a path or "system" */
	const char *path; /* the file it means */
	char users[512];  /* "default, rule 2, ..." */
	/* Set while every user is the shipped rule of a provider with a CA
	 * per tenant: a file nobody has downloaded yet is not a fault. */
	const struct pgv_provider *tenant;
};

struct tally {
	struct json *j;
	int warn_days;
	int certs, expired, soon;
	int human_pass; /* 1: print expired, 2: print expiring */
};

static int tally_cert(const pgverify_cert *c, void *arg)
{
	struct tally *t = arg;
	long long left = cli_days_left(c->not_after);
	int expired = c->not_after <= (long long)time(NULL);
	int soon = !expired && left < t->warn_days;
	char date[16];

	t->certs++;
	t->expired += expired;
	t->soon += soon;
	if (!(expired || soon))
		return 0;
	cli_date(c->not_after, date);
	if (t->j) {
		json_open(t->j, NULL, '{');
		json_str(t->j, "subject", c->subject);
		json_str(t->j, "not_after", date);
		json_int(t->j, "days_left", left);
		json_bool(t->j, "expired", expired);
		json_close(t->j, '}');
	} else {
		printf("  %s %s (%s)\n",
		       expired ? "expired: " : "expiring:", c->subject, date);
	}
	return 0;
}

/* The provider with a CA per tenant whose shipped rule `match` is, or NULL. */
static const struct pgv_provider *tenant_of_rule(const char *match)
{
	const struct pgv_provider *p = pgv_provider_of_glob(match);

	return p && p->trust == PGV_TRUST_TENANT ? p : NULL;
}

static void add_use(struct bundle_use *u, size_t *n, const char *name,
		    const char *user, const struct pgv_provider *tenant)
{
	size_t i = 0;

	while (i < *n && strcmp(u[i].name, name) != 0)
		i++;
	if (i == *n) {
		if (*n == MAX_BUNDLES)
			return;
		u[i].name = name;
		u[i].path = strcmp(name, "system") == 0
				? pgverify_system_bundle()
				: name;
		u[i].users[0] = '\0';
		u[i].tenant = tenant;
		(*n)++;
	} else if (u[i].tenant != tenant) {
		u[i].tenant = NULL;
	}
	size_t len = strlen(u[i].users);
	snprintf(u[i].users + len, sizeof(u[i].users) - len, "%s%s",
		 len ? ", " : "", user);
}

/*
 * A rule whose sslrootcert holds {region} names one file per region: add
 * each existing file whose name puts a region there (found with glob(3)
 * into `g`, which owns the names).  With none, the pattern itself is added,
 * and fails as a missing file does.
 */
static void add_region_uses(struct bundle_use *u, size_t *n,
			    const char *pattern, const char *user, glob_t *g)
{
	const char *at = strstr(pattern, PGV_REGION);
	size_t head = (size_t)(at - pattern),
	       tail = strlen(at + strlen(PGV_REGION));
	size_t first = g->gl_pathc, added = 0;
	char pat[4096];

	snprintf(pat, sizeof(pat), "%.*s*%s", (int)head, pattern,
		 at + strlen(PGV_REGION));
	if (glob(pat, g->gl_pathc ? GLOB_APPEND : 0, NULL, g) == 0)
		for (size_t i = first; i < g->gl_pathc; i++) {
			const char *p = g->gl_pathv[i];
			size_t len = strlen(p);
			if (len > head + tail &&
			    pgv_aws_region(p + head, len - head - tail)) {
				add_use(u, n, p, user, NULL);
				added++;
			}
		}
	if (!added)
		add_use(u, n, pattern, user, NULL);
}

/* The SHA-256 of a file, in lower-case hex; "" if it cannot be read. */
static void file_sha256(const char *path, char hex[65])
{
	unsigned char buf[16384], md[EVP_MAX_MD_SIZE];
	unsigned int len = 0;
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	FILE *f = fopen(path, "rb");
	size_t n;
	int ok = f && ctx && EVP_DigestInit_ex(ctx, EVP_sha256(), NULL) == 1;

	while (ok && (n = fread(buf, 1, sizeof(buf), f)) > 0)
		ok = EVP_DigestUpdate(ctx, buf, n) == 1;
	ok = ok && !ferror(f) && EVP_DigestFinal_ex(ctx, md, &len) == 1;
	hex[0] = '\0';
	for (unsigned int i = 0; ok && i < len && i < 32; i++)
		snprintf(hex + 2 * i, 3, "%02x", md[i]);
	if (f)
		fclose(f);
	EVP_MD_CTX_free(ctx);
}

/* How old the bundle is, and whether it is still the package snapshot:
 * a fresh install verifies RDS with it, but AWS adds roots. */
static void report_age(const struct bundle_use *u, struct json *j)
{
	struct stat st;
	char hex[65], date[16];
	int snapshot;
	long long age;

	if (stat(u->path, &st) < 0)
		return;
	age = ((long long)time(NULL) - st.st_mtime) / 86400;
	file_sha256(u->path, hex);
	snapshot = strcmp(hex, PGVERIFY_SNAPSHOT_SHA256) == 0;
	if (j) {
		json_str(j, "modified", cli_date(st.st_mtime, date));
		json_int(j, "age_days", age);
		json_bool(j, "package_snapshot", snapshot);
		return;
	}
	printf("  age: modified %s (%lld day%s ago)%s\n",
	       cli_date(st.st_mtime, date), age, age == 1 ? "" : "s",
	       snapshot ? "; the package snapshot of " PGVERIFY_SNAPSHOT_DATE
			  ", pgverify bundle --update fetches the current one"
			: "");
}

/*
 * A per-tenant provider's file that does not exist yet: the connections to
 * that provider are refused until it is installed, which is the point, so
 * it is said with the hint, not failed.  1 if it was reported.
 */
static int not_installed(const struct bundle_use *u, struct json *j)
{
	char hint[1024];

	if (!u->tenant || access(u->path, F_OK) == 0 || errno != ENOENT)
		return 0;
	pgv_provider_hint(u->tenant, u->path, hint, sizeof(hint));
	if (j) {
		json_open(j, NULL, '{');
		json_str(j, "name", u->name);
		json_str(j, "path", u->path);
		json_str(j, "used_by", u->users);
		json_bool(j, "installed", 0);
		json_str(j, "provider", u->tenant->name);
		json_str(j, "hint", hint);
		json_bool(j, "ok", 1);
		json_close(j, '}');
	} else {
		printf("bundle %s (%s)\n  not installed: connections to %s "
		       "are refused until it is; %s\n",
		       u->name, u->users, u->tenant->name, hint);
	}
	return 1;
}

/* Report one bundle; returns 0 if the shim would accept it. */
static int check_bundle(const struct bundle_use *u, int warn_days,
			struct json *j)
{
	struct tally t = {j, warn_days, 0, 0, 0, 0};
	char err[1024] = "";
	int rc;

	if (not_installed(u, j))
		return 0;
	rc = pgverify_bundle_check(u->path, 0, NULL, err, sizeof(err)) < 0 ||
		     pgv_file_trusted(u->path, err, sizeof(err)) < 0
		 ? -1
		 : 0;
	if (j) {
		json_open(j, NULL, '{');
		json_str(j, "name", u->name);
		json_str(j, "path", u->path);
		json_str(j, "used_by", u->users);
		json_open(j, "attention", '[');
	} else {
		printf("bundle %s%s%s (%s)\n", u->name,
		       u->path != u->name ? " = " : "",
		       u->path != u->name ? u->path : "", u->users);
	}
	if (pgverify_bundle_list(u->path, tally_cert, &t, err, sizeof(err)) < 0)
		rc = -1;
	if (j) {
		json_close(j, ']');
		json_bool(j, "ok", rc == 0);
		json_str(j, "error", rc ? err : NULL);
		json_int(j, "certificates", t.certs);
		json_int(j, "expired", t.expired);
		json_int(j, "expiring", t.soon);
		report_age(u, j);
		json_close(j, '}');
	} else if (rc) {
		printf("  FAILED: %s\n", err);
	} else {
		printf("  ok: %d certificates, %d expired, %d expire within "
		       "%d days\n",
		       t.certs, t.expired, t.soon, warn_days);
		report_age(u, NULL);
	}
	return rc;
}

/* Whether the host preloads pgverify into every program. */
static int preloaded_host_wide(void)
{
	char line[4096];

	return cli_preload_line(line, sizeof(line));
}

static void print_settings(const pgverify_config *cfg,
			   const pgverify_config_view *v, struct json *j)
{
	pgverify_rule_view r;

	if (!j) {
		printf("config %s\n",
		       v->path ? v->path : "(built-in defaults)");
		printf("  sslmode at least %s, on_disable %s, gssencmode %s, "
		       "expiry_warning_days %d\n",
		       v->sslmode, v->on_disable, v->gssencmode,
		       v->expiry_warning_days);
		printf("  mode %s, audit %s, lock %s\n", v->mode,
		       *v->audit ? v->audit : "(none)",
		       v->lock ? "true" : "false");
		if (!v->lock && preloaded_host_wide())
			printf("  recommended: lock = true (%s preloads "
			       "pgverify into every program, and unlocked any "
			       "of them may weaken the policy with "
			       "PGVERIFY_CONFIG, PGSSLROOTCERT or a service "
			       "file)\n",
			       CLI_LD_SO_PRELOAD);
		for (size_t i = 0; i < v->nexempt; i++)
			printf("  exempt %s\n", v->exempt[i]);
		for (size_t i = 0; pgverify_config_rule(cfg, i, &r) == 0; i++)
			printf("  rule %zu: %s -> sslrootcert %s, sslmode %s, "
			       "mode %s%s%s%s%s\n",
			       i + 1, r.match,
			       r.sslrootcert ? r.sslrootcert : "(default)",
			       r.sslmode ? r.sslmode : "(default)",
			       r.mode ? r.mode : "(default)",
			       r.sslnegotiation ? ", sslnegotiation " : "",
			       r.sslnegotiation ? r.sslnegotiation : "",
			       r.verify_name ? ", verify_name " : "",
			       r.verify_name ? r.verify_name : "");
		return;
	}
	json_str(j, "config", v->path);
	json_str(j, "sslmode", v->sslmode);
	json_str(j, "sslrootcert", v->sslrootcert);
	json_str(j, "on_disable", v->on_disable);
	json_str(j, "gssencmode", v->gssencmode);
	json_int(j, "expiry_warning_days", v->expiry_warning_days);
	json_str(j, "mode", v->mode);
	json_str(j, "audit", v->audit);
	json_bool(j, "lock", v->lock);
	json_bool(j, "lock_recommended", !v->lock && preloaded_host_wide());
	json_open(j, "exempt", '[');
	for (size_t i = 0; i < v->nexempt; i++)
		json_str(j, NULL, v->exempt[i]);
	json_close(j, ']');
	json_open(j, "rules", '[');
	for (size_t i = 0; pgverify_config_rule(cfg, i, &r) == 0; i++) {
		json_open(j, NULL, '{');
		json_str(j, "match", r.match);
		json_str(j, "sslmode", r.sslmode);
		json_str(j, "sslrootcert", r.sslrootcert);
		json_str(j, "mode", r.mode);
		json_str(j, "sslnegotiation", r.sslnegotiation);
		json_str(j, "verify_name", r.verify_name);
		json_close(j, '}');
	}
	json_close(j, ']');
}

/*
 * The engine the library loads with a process's first libpq, where the
 * library looks for it (src/base/layout.h): without it every connection is
 * refused.  1 if it cannot be loaded.
 */
static int check_engine(struct json *j)
{
	const char *lib = cli_library_path(), *slash = strrchr(lib, '/');
	char path[PATH_MAX];
	void *h = NULL;
	int ok;

	snprintf(path, sizeof(path), "%.*s%s%s", slash ? (int)(slash - lib) : 0,
		 lib, slash ? "/" : "", PGV_ENGINE_FILE);
	ok = (h = dlopen(path, RTLD_NOW | RTLD_LOCAL)) &&
	     dlsym(h, PGV_ENGINE_OPEN);
	if (j) {
		json_open(j, "engine", '{');
		json_str(j, "path", path);
		json_bool(j, "ok", ok);
		json_close(j, '}');
	} else {
		printf("engine %s: %s\n", path,
		       ok ? "ok"
			  : "CANNOT BE LOADED: every connection would be "
			    "refused; reinstall pgverify");
	}
	if (h)
		dlclose(h);
	return !ok;
}

/*
 * What the shim will find in this system's libpq (the one this command is
 * linked with): the symbols it rewrites, the getenv()/fopen() it routes,
 * and whether libpq calls PQconnectPoll() through its PLT (no with
 * -Bsymbolic-functions, as Ubuntu builds it: then the first-poll backstop
 * is not there, and only a program that computes libpq's addresses itself
 * could start a connection past pgverify).  1 if the shim could not bind.
 */
static int check_libpq(struct json *j)
{
	static const char *const hooked[] = {
	    "PQconnectdb",	    "PQconnectdbParams", "PQconnectStart",
	    "PQconnectStartParams", "PQsetdbLogin",	 "PQping",
	    "PQpingParams",	    "PQconnectPoll"};
	struct link_map *lm = NULL;
	Dl_info info;
	struct pgv_elf pq;
	int symbols = 1, exec = 0, inputs, backstop;

	if (!dladdr1((void *)PQlibVersion, &info, (void **)&lm,
		     RTLD_DL_LINKMAP) ||
	    pgv_elf_open(lm, &pq) < 0) {
		printf("libpq: cannot read its dynamic section\n");
		return 1;
	}
	for (size_t i = 0; i < sizeof(hooked) / sizeof(*hooked); i++) {
		const ElfW(Sym) *sym = pgv_elf_lookup(&pq, hooked[i]);
		symbols &= sym != NULL;
		exec |= sym && pgv_elf_is_exec(&pq, &sym->st_value);
	}
	inputs = pgv_elf_count_relocs(&pq, "getenv") > 0 &&
		 pgv_elf_count_relocs(&pq, "fopen") +
			 pgv_elf_count_relocs(&pq, "fopen64") >
		     0;
	backstop = pgv_elf_count_relocs(&pq, "PQconnectPoll") > 0;
	if (j) {
		json_open(j, "libpq", '{');
		json_str(j, "path", lm->l_name);
		json_int(j, "version", PQlibVersion());
		json_bool(j, "symbols", symbols);
		json_bool(j, "symbol_table_executable", exec);
		json_bool(j, "inputs_routed", inputs);
		json_bool(j, "first_poll_backstop", backstop);
		json_close(j, '}');
	} else {
		printf("libpq %s (%d)\n", lm->l_name, PQlibVersion());
		printf("  connection functions in its symbol table: %s%s\n",
		       symbols ? "found" : "MISSING: every connection refused",
		       exec ? " (in an executable page: the shim needs it "
			      "writable for a moment)"
			    : "");
		printf("  environment and service file read once: %s\n",
		       inputs ? "yes"
			      : "NO getenv/fopen relocations: every "
				"connection refused");
		printf("  backstop at the first PQconnectPoll: %s\n",
		       backstop ? "yes"
				: "no (built with -Bsymbolic-functions; "
				  "only a program that computes libpq's "
				  "addresses itself could pass pgverify)");
	}
	return !(symbols && inputs);
}

/*
 * Rules that never apply: a match no host name can have (a port, a
 * scheme, a space), or one an earlier rule's glob already covers (first
 * match wins).  1 if any, each said.
 */
static int check_rules(const pgverify_config *cfg, struct json *j)
{
	pgverify_rule_view r, earlier;
	int bad = 0;

	if (j)
		json_open(j, "rules_never_applied", '[');
	for (size_t i = 0; pgverify_config_rule(cfg, i, &r) == 0; i++) {
		char why[600] = "";
		if (strpbrk(r.match, ":/ \t"))
			snprintf(why, sizeof(why),
				 "it holds a port, a scheme or a space, which "
				 "no host name has; write the host name glob "
				 "alone");
		for (size_t k = 0; !why[0] && k < i &&
				   pgverify_config_rule(cfg, k, &earlier) == 0;
		     k++)
			if (fnmatch(earlier.match, r.match, FNM_CASEFOLD) == 0)
				snprintf(why, sizeof(why),
					 "rule %zu (\"%s\") comes first and "
					 "covers it; move it above rule %zu",
					 k + 1, earlier.match, k + 1);
		if (!why[0])
			continue;
		bad = 1;
		if (j) {
			json_open(j, NULL, '{');
			json_int(j, "rule", (long long)i + 1);
			json_str(j, "match", r.match);
			json_str(j, "why", why);
			json_close(j, '}');
		} else {
			printf("rule %zu (\"%s\") NEVER APPLIES: %s\n", i + 1,
			       r.match, why);
		}
	}
	if (j)
		json_close(j, ']');
	return bad;
}

/* On a host that preloads pgverify into every program, the configuration
 * and each bundle must be readable by every user. */
static int check_readable(const pgverify_config_view *v,
			  const struct bundle_use *uses, size_t n,
			  struct json *j)
{
	int bad = 0;

	if (!preloaded_host_wide())
		return 0;
	if (j)
		json_open(j, "not_readable_by_all", '[');
	bad |= check_readable_by_all(v->path, "config", j);
	for (size_t i = 0; i < n; i++)
		if (!uses[i].tenant || access(uses[i].path, F_OK) == 0)
			bad |= check_readable_by_all(uses[i].path, "bundle", j);
	if (j)
		json_close(j, ']');
	return bad;
}

static int check_config(const pgverify_config *cfg, struct json *j)
{
	struct bundle_use uses[MAX_BUNDLES];
	glob_t regions = {0};
	char user[32];
	size_t n = 0;
	pgverify_config_view v;
	pgverify_rule_view r;
	int bad = 0, lost;

	pgverify_config_describe(cfg, &v);
	print_settings(cfg, &v, j);
	add_use(uses, &n, v.sslrootcert, "default", NULL);
	for (size_t i = 0; pgverify_config_rule(cfg, i, &r) == 0; i++) {
		snprintf(user, sizeof(user), "rule %zu", i + 1);
		if (r.sslrootcert && strstr(r.sslrootcert, PGV_REGION))
			add_region_uses(uses, &n, r.sslrootcert, user,
					&regions);
		else if (r.sslrootcert)
			add_use(uses, &n, r.sslrootcert, user,
				tenant_of_rule(r.match));
	}
	if (j)
		json_open(j, "bundles", '[');
	for (size_t i = 0; i < n; i++)
		bad |= check_bundle(&uses[i], v.expiry_warning_days, j) != 0;
	if (j)
		json_close(j, ']');
	bad |= check_readable(&v, uses, n, j);
	globfree(&regions);
	bad |= check_rules(cfg, j);
	bad |= check_libpq(j);
	bad |= check_engine(j);
	lost = check_audit(v.audit, preloaded_host_wide(), j);
	check_loopback_exempt(v.exempt, v.nexempt, j);
	if (j) {
		json_bool(j, "ok", !bad && !lost);
	} else {
		printf("%s\n", bad ? "FAILED: connections that need the above "
				     "would be refused"
			       : lost ? "FAILED: audit records would be lost"
				      : "ok");
	}
	return bad || lost ? EXIT_REFUSED : EXIT_OK;
}

int cmd_check(int argc, char **argv)
{
	struct cli_opts o;
	struct json j;
	char err[1024];
	int status,
	    first = cli_options(argc, argv, usage, CLI_JSON, &o, &status);

	if (first < 0)
		return status;
	if (first != argc) {
		fprintf(stderr, "usage: %s\n", usage);
		return EXIT_USAGE;
	}
	pgverify_config *cfg = cli_config(&o, err, sizeof(err));
	json_init(&j, stdout);
	if (o.json)
		json_open(&j, NULL, '{');
	if (!cfg) {
		if (o.json) {
			json_bool(&j, "ok", 0);
			json_str(&j, "error", err);
		} else {
			fprintf(stderr, "pgverify: %s\n", err);
		}
		status = EXIT_USAGE;
	} else {
		status = check_config(cfg, o.json ? &j : NULL);
	}
	if (o.json) {
		json_close(&j, '}');
		json_end(&j);
	}
	pgverify_config_free(cfg);
	return status;
}
