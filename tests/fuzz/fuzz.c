/* Shared by the fuzz targets; see fuzz.h. */
#include "fuzz.h"

#include <fnmatch.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static void finding(const char *what, const pgverify_plan *plan)
{
	fprintf(stderr,
		"pgverify fuzz finding: %s (verdict %d, reason \"%s\")\n", what,
		plan->verdict, plan->reason);
	abort();
}

pgverify_config *fuzz_config(const char *text)
{
	char path[] = "/tmp/pgverify-fuzz.XXXXXX", err[1024];
	int fd = mkstemp(path);
	pgverify_config *cfg;

	if (fd < 0 || write(fd, text, strlen(text)) != (ssize_t)strlen(text)) {
		perror("fuzz_config");
		exit(2);
	}
	close(fd);
	cfg = pgverify_config_load(path, err, sizeof(err));
	unlink(path);
	return cfg;
}

static int verified_mode(const char *mode)
{
	return mode && (strcmp(mode, "verify-full") == 0 ||
			strcmp(mode, "verify-ca") == 0);
}

/* The oracle for exemptions, as pgverify.conf(5) states it: fnmatch(3),
 * case-insensitive, ignoring one trailing dot of the host name. */
static int exempt_host(const char *name, const char *const *exempt,
		       size_t nexempt)
{
	char bare[1024];
	size_t n = strlen(name);

	n -= n > 0 && name[n - 1] == '.';
	snprintf(bare, sizeof(bare), "%.*s", (int)n, name);
	for (size_t i = 0; i < nexempt; i++)
		if (fnmatch(exempt[i], bare, FNM_CASEFOLD) == 0)
			return 1;
	return 0;
}

void fuzz_check_plan(const pgverify_plan *plan, const char *const *exempt,
		     size_t nexempt)
{
	pgverify_settings s = {0};
	pgv_hosts it;
	pgv_host h;
	char err[1024];
	int tcp = 0, more;

	if (plan->verdict == PGVERIFY_REFUSE) {
		if (!plan->reason[0])
			finding("a refusal without a reason", plan);
		return;
	}
	/* What libpq will make of the options pgverify forwards. */
	if (pgverify_merge_params(plan->keywords, plan->values,
				  plan->expand_dbname, &s, err,
				  sizeof(err)) < 0)
		finding("forwarded options libpq cannot read", plan);
	if (pgv_hosts_begin(&s, &it) < 0)
		finding("forwarded hosts that cannot be walked", plan);
	while ((more = pgv_hosts_next(&it, &h)) > 0)
		tcp |= h.tcp && !exempt_host(h.name, exempt, nexempt);
	if (more < 0)
		finding("a forwarded host too long to check", plan);
	/* Report mode forwards as asked by design; enforcing never may. */
	if (plan->verdict == PGVERIFY_LEAVE && tcp && !plan->would)
		finding("a TCP connection left unverified", plan);
	if (plan->would && !plan->decision.report)
		finding("report mode the decision did not choose", plan);
	if (plan->verdict == PGVERIFY_ENFORCE &&
	    (!verified_mode(s.sslmode) || !s.sslrootcert || !*s.sslrootcert))
		finding("an enforced connection libpq would not verify", plan);
	pgverify_settings_clear(&s);
}

void fuzz_clear_environment(void)
{
	static const char *const vars[] = {
	    "PGHOST",	     "PGHOSTADDR",	"PGPORT",	 "PGSERVICE",
	    "PGSERVICEFILE", "PGSSLMODE",	"PGSSLROOTCERT", "PGREQUIRESSL",
	    "PGGSSENCMODE",  "PGVERIFY_CONFIG", "PGDATABASE",	 "PGUSER"};

	for (size_t i = 0; i < sizeof(vars) / sizeof(*vars); i++)
		unsetenv(vars[i]);
}
