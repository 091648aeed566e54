/*
 * The policy over a table of cases.  Each case goes the way the shim goes:
 * its options are merged by libpq itself (environment and service file
 * included) and pgverify_decide() judges the result.
 */
#include "core.h"
#include "merge.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <cmocka.h>

enum kind { CONNINFO, PARAMS, NOEXPAND, SETDB };

#define LEAVE	    PGVERIFY_LEAVE
#define ENFORCE	    PGVERIFY_ENFORCE
#define REFUSE	    PGVERIFY_REFUSE
#define PQ16	    160000
#define SYSTEM_FILE "/etc/ssl/certs/ca-certificates.crt"

struct tcase {
	const char *name;
	enum kind kind;
	const char *in[13]; /* CONNINFO: the string; PARAMS: k, v, ...;
			       SETDB: host, port, options, dbname, user, pwd */
	const char *env;    /* "NAME=value NAME=value" */
	const char *conf;   /* extra config lines, appended to the base */
	int libpq;
	const char *caller; /* the context's caller */
	pgverify_verdict verdict;
	const char *before, *after, *rootcert, *reason, *gss;
	const char *neg;    /* the sslnegotiation appended, or "(none)" */
	const char *starts; /* the reason's first words */
};

/* clang-format off */
static const char base_conf[] =
    "sslrootcert = \"/b/default.pem\";\n"
    "exempt = [ \"localhost\", \"*.svc.local\" ];\n"
    "hosts = (\n"
    "  { match = \"*.proxy-*.rds.amazonaws.com\"; sslrootcert = \"system\"; },\n"
    "  { match = \"*.eu-*.rds.amazonaws.com\"; sslrootcert = \"/b/regions/{region}.pem\"; },\n"
    "  { match = \"*.rds.amazonaws.com.cn\"; sslrootcert = \"/b/cn/{region}-bundle.pem\"; },\n"
    "  { match = \"*.rds.amazonaws.com\"; sslrootcert = \"/b/rds.pem\"; },\n"
    "  { match = \"db.alias.example\"; verify_name = \"db9.xyz.eu-west-1.rds.amazonaws.com\"; },\n"
    "  { match = \"db.pinned.example\"; verify_name = \"db9.xyz.eu-west-1.rds.amazonaws.com\"; sslrootcert = \"/b/pinned.pem\"; },\n"
    "  { match = \"*.direct.example\"; sslrootcert = \"/b/corp.pem\"; sslnegotiation = \"direct\"; },\n"
    "  { match = \"*.classic.example\"; sslrootcert = \"/b/corp.pem\"; sslnegotiation = \"postgres\"; },\n"
    "  { match = \"*.corp.example\"; sslrootcert = \"/b/corp.pem\"; sslmode = \"verify-ca\"; }\n"
    ");\n";

#define RDS "db1.abc123.us-east-1.rds.amazonaws.com"

static const struct tcase cases[] = {
    /* sslnegotiation per rule: direct only where every host's rule says so and libpq has it */
    {"a direct rule, libpq 17: direct appended", CONNINFO, {"host=db.direct.example"}, .libpq = 170000, .verdict = ENFORCE, .neg = "direct"},
    {"a direct rule, libpq 15: classic (libpq has no direct)", CONNINFO, {"host=db.direct.example"}, .verdict = ENFORCE, .neg = "(none)"},
    {"a postgres rule, libpq 17: nothing appended", CONNINFO, {"host=db.classic.example"}, .libpq = 170000, .verdict = ENFORCE, .neg = "(none)"},
    {"no rule, libpq 17: nothing appended", CONNINFO, {"host=db.example.com"}, .libpq = 170000, .verdict = ENFORCE, .neg = "(none)"},
    {"two hosts, one without the direct rule: classic", CONNINFO, {"host=db.direct.example,db2.classic.example"}, .libpq = 170000, .verdict = ENFORCE, .neg = "(none)"},
    {"two hosts, both direct: direct", CONNINFO, {"host=a.direct.example,b.direct.example"}, .libpq = 180000, .verdict = ENFORCE, .neg = "direct"},
    /* verify_name: the bundle of the name the certificate carries, unless the rule names one */
    {"verify_name: the bundle of the rule that name matches, its region", CONNINFO, {"host=db.alias.example"}, .verdict = ENFORCE, .after = "verify-full", .rootcert = "/b/regions/eu-west-1.pem"},
    {"verify_name with the rule's own bundle", CONNINFO, {"host=db.pinned.example"}, .verdict = ENFORCE, .rootcert = "/b/pinned.pem"},
    /* Unix-domain sockets and the default */
    {"empty conninfo is the default Unix socket", CONNINFO, {""}, .verdict = LEAVE, .reason = "Unix-domain"},
    {"socket directory host", CONNINFO, {"host=/tmp port=5432"}, .verdict = LEAVE},
    {"abstract socket host", CONNINFO, {"host=@pg"}, .verdict = LEAVE},
    /* every sslmode value */
    {"no sslmode: prefer -> verify-full", CONNINFO, {"host=db.example.com"}, .verdict = ENFORCE, .before = "prefer", .after = "verify-full", .rootcert = "/b/default.pem", .gss = "disable"},
    {"sslmode=disable upgraded", CONNINFO, {"host=x sslmode=disable"}, .verdict = ENFORCE, .before = "disable", .after = "verify-full"},
    {"sslmode=allow upgraded", CONNINFO, {"host=x sslmode=allow"}, .verdict = ENFORCE, .before = "allow", .after = "verify-full"},
    {"sslmode=prefer upgraded", CONNINFO, {"host=x sslmode=prefer"}, .verdict = ENFORCE, .before = "prefer", .after = "verify-full"},
    {"sslmode=require upgraded", CONNINFO, {"host=x sslmode=require"}, .verdict = ENFORCE, .before = "require", .after = "verify-full"},
    {"sslmode=verify-ca upgraded to the minimum", CONNINFO, {"host=x sslmode=verify-ca"}, .verdict = ENFORCE, .before = "verify-ca", .after = "verify-full"},
    {"sslmode=verify-full stays", CONNINFO, {"host=x sslmode=verify-full"}, .verdict = ENFORCE, .before = "verify-full", .after = "verify-full"},
    {"an invalid sslmode is refused, named", CONNINFO, {"host=x sslmode=bogus"}, .verdict = REFUSE, .reason = "sslmode \"bogus\" is not one of libpq's sslmode values"},
    {"a conninfo syntax error is refused", CONNINFO, {"host='x"}, .verdict = REFUSE, .reason = "unterminated quoted string"},
    /* aliases and duplicates */
    {"requiressl=1 means require", CONNINFO, {"host=x requiressl=1"}, .verdict = ENFORCE, .before = "require", .after = "verify-full"},
    {"a later requiressl=0 undoes verify-full: still upgraded", CONNINFO, {"host=x sslmode=verify-full requiressl=0"}, .verdict = ENFORCE, .before = "prefer", .after = "verify-full"},
    {"a later duplicate sslmode wins, and is upgraded", CONNINFO, {"host=x sslmode=verify-full sslmode=disable"}, .verdict = ENFORCE, .before = "disable", .after = "verify-full"},
    /* URIs */
    {"URI to an RDS endpoint uses the RDS rule", CONNINFO, {"postgresql://" RDS "/db"}, .verdict = ENFORCE, .after = "verify-full", .rootcert = "/b/rds.pem"},
    {"URI host in percent-encoding", CONNINFO, {"postgresql://%64b1.rds.amazonaws.com/db"}, .verdict = ENFORCE, .rootcert = "/b/rds.pem"},
    {"URI ssl=true means require", CONNINFO, {"postgres://x/db?ssl=true"}, .verdict = ENFORCE, .before = "require", .after = "verify-full"},
    {"URI own sslrootcert, percent-encoded, wins", CONNINFO, {"postgresql://x/db?sslmode=disable&sslrootcert=%2Fmy%2Fca.pem"}, .verdict = ENFORCE, .before = "disable", .rootcert = "/my/ca.pem"},
    {"URI multi-host, same rule", CONNINFO, {"postgresql://a.rds.amazonaws.com:5432,b.rds.amazonaws.com:5433/db"}, .verdict = ENFORCE, .rootcert = "/b/rds.pem"},
    {"URI multi-host, rules disagree on the bundle", CONNINFO, {"postgresql://a.rds.amazonaws.com,b.corp.example/db"}, .verdict = REFUSE, .reason = "need different CA bundles"},
    {"URI multi-host disagreeing but with its own sslrootcert", CONNINFO, {"postgresql://a.rds.amazonaws.com,b.corp.example/db?sslrootcert=/own.pem"}, .verdict = ENFORCE, .rootcert = "/own.pem"},
    {"URI with a socket directory", CONNINFO, {"postgresql://%2Ftmp/db"}, .verdict = LEAVE},
    {"URI with an IPv6 literal", CONNINFO, {"postgresql://[2001:db8::1]:5432/db"}, .verdict = ENFORCE, .rootcert = "/b/default.pem"},
    {"URI with a bad percent-encoding is refused", CONNINFO, {"postgresql://x/db?sslmode=%zz"}, .verdict = REFUSE, .reason = "percent-encoded"},
    /* keyword arrays */
    {"params without expansion", NOEXPAND, {"host", "x", "sslmode", "disable"}, .verdict = ENFORCE, .before = "disable", .after = "verify-full"},
    {"params expand a conninfo dbname", PARAMS, {"dbname", "host=x sslmode=disable"}, .verdict = ENFORCE, .before = "disable"},
    {"params not expanded: a conninfo dbname is only a name", NOEXPAND, {"dbname", "host=x sslmode=disable"}, .verdict = LEAVE},
    {"params expand only the first dbname", PARAMS, {"dbname", "host=x", "dbname", "sslmode=disable"}, .verdict = ENFORCE, .before = "prefer"},
    {"params: a later keyword wins", NOEXPAND, {"host", "x", "sslmode", "verify-full", "sslmode", "disable"}, .verdict = ENFORCE, .before = "disable", .after = "verify-full"},
    {"params: empty values are ignored", NOEXPAND, {"host", "x", "sslmode", ""}, .verdict = ENFORCE, .before = "prefer"},
    {"params: expanded URI, later keyword overrides its host", PARAMS, {"dbname", "postgresql://a.rds.amazonaws.com/db", "host", "b.corp.example"}, .verdict = ENFORCE, .rootcert = "/b/corp.pem"},
    /* PQsetdbLogin */
    {"setdb host and plain dbname", SETDB, {"x", "5432", NULL, "postgres", "u", NULL}, .verdict = ENFORCE, .before = "prefer", .after = "verify-full"},
    {"setdb: pghost overrides a conninfo dbName", SETDB, {"b.corp.example", NULL, NULL, "host=" RDS " sslmode=disable", NULL, NULL}, .verdict = ENFORCE, .before = "disable", .after = "verify-ca", .rootcert = "/b/corp.pem"},
    {"setdb: URI dbName with no pghost", SETDB, {NULL, NULL, NULL, "postgresql://" RDS "/db?sslmode=require", NULL, NULL}, .verdict = ENFORCE, .before = "require", .rootcert = "/b/rds.pem"},
    {"setdb: empty pghost does not override", SETDB, {"", "", "", "host=" RDS, "", ""}, .verdict = ENFORCE, .rootcert = "/b/rds.pem"},
    {"setdb: all NULL is the default socket", SETDB, {NULL, NULL, NULL, NULL, NULL, NULL}, .verdict = LEAVE},
    /* environment */
    {"PGSSLMODE=disable is the connection's own: upgraded", CONNINFO, {"host=x"}, "PGSSLMODE=disable", .verdict = ENFORCE, .before = "disable", .after = "verify-full"},
    {"conninfo sslmode wins over PGSSLMODE", CONNINFO, {"host=x sslmode=disable"}, "PGSSLMODE=verify-full", .verdict = ENFORCE, .before = "disable"},
    {"PGSSLROOTCERT is the connection's own bundle", CONNINFO, {"host=" RDS}, "PGSSLROOTCERT=/env/ca.pem", .verdict = ENFORCE, .rootcert = "/env/ca.pem"},
    /* lock = true: trust from the configuration alone */
    {"locked: PGSSLROOTCERT is not used", CONNINFO, {"host=" RDS}, "PGSSLROOTCERT=/env/ca.pem", .conf = "lock = true;", .verdict = ENFORCE, .rootcert = "/b/rds.pem"},
    {"locked: the connection's own sslrootcert is not used", CONNINFO, {"host=db.example.com sslrootcert=/attacker.pem sslmode=verify-full"}, .conf = "lock = true;", .verdict = ENFORCE, .rootcert = "/b/default.pem"},
    {"locked: a service file's sslrootcert is not used", CONNINFO, {"service=svc3"}, .conf = "lock = true;", .verdict = ENFORCE, .rootcert = "/b/default.pem"},
    {"unlocked: a service file's sslrootcert is the connection's", CONNINFO, {"service=svc3"}, .verdict = ENFORCE, .rootcert = "/attacker/svc.pem"},
    {"locked: system is OpenSSL's built-in file, SSL_CERT_FILE ignored (libpq 16)", CONNINFO, {"host=x.proxy-abc.us-east-1.rds.amazonaws.com"}, "SSL_CERT_FILE=/attacker/roots.pem", .conf = "lock = true;", .libpq = PQ16, .verdict = ENFORCE, .rootcert = SYSTEM_FILE},
    {"locked: system is OpenSSL's built-in file, SSL_CERT_FILE ignored (libpq 15)", CONNINFO, {"host=x.proxy-abc.us-east-1.rds.amazonaws.com"}, "SSL_CERT_FILE=/attacker/roots.pem", .conf = "lock = true;", .verdict = ENFORCE, .rootcert = SYSTEM_FILE},
    {"unlocked: system on libpq 15 honours SSL_CERT_FILE", CONNINFO, {"host=x.proxy-abc.us-east-1.rds.amazonaws.com"}, "SSL_CERT_FILE=/attacker/roots.pem", .verdict = ENFORCE, .rootcert = "/attacker/roots.pem"},
    {"PGHOST picks the host rule", CONNINFO, {""}, "PGHOST=db.corp.example", .verdict = ENFORCE, .after = "verify-ca", .rootcert = "/b/corp.pem"},
    {"PGREQUIRESSL=1 means require", CONNINFO, {"host=x"}, "PGREQUIRESSL=1", .verdict = ENFORCE, .before = "require"},
    {"PGHOSTADDR alone: no name for verify-full", CONNINFO, {""}, "PGHOSTADDR=192.0.2.1", .verdict = REFUSE, .reason = "add host="},
    /* service files (PGSERVICEFILE is set for every case) */
    {"service= from the service file", CONNINFO, {"service=svc1"}, .verdict = ENFORCE, .before = "disable", .rootcert = "/b/rds.pem"},
    {"PGSERVICE from the environment", CONNINFO, {""}, "PGSERVICE=svc1", .verdict = ENFORCE, .before = "disable", .rootcert = "/b/rds.pem"},
    {"conninfo overrides the service file", CONNINFO, {"service=svc1 sslmode=require"}, .verdict = ENFORCE, .before = "require"},
    {"an unknown service is refused", CONNINFO, {"service=nosuch"}, .verdict = REFUSE, .reason = "the service named: \"nosuch\""},
    /* exemptions, rules, hosts */
    {"exempt host is left alone", CONNINFO, {"host=localhost"}, .verdict = LEAVE, .reason = "exempt"},
    {"exempt glob is case-insensitive", CONNINFO, {"host=API.SVC.LOCAL sslmode=disable"}, .verdict = LEAVE},
    {"an exempt host beside another is enforced", CONNINFO, {"host=localhost,x.example.com"}, .verdict = ENFORCE, .rootcert = "/b/default.pem"},
    {"an exempt name with a foreign hostaddr is enforced", CONNINFO, {"host=localhost hostaddr=10.99.0.1 sslmode=disable"}, .verdict = ENFORCE, .after = "verify-full"},
    {"an exempt name with a foreign PGHOSTADDR is enforced", CONNINFO, {"host=localhost sslmode=disable"}, .env = "PGHOSTADDR=10.99.0.1", .verdict = ENFORCE},
    {"an exempt glob with a hostaddr no address entry covers is enforced", CONNINFO, {"host=api.svc.local hostaddr=10.0.0.5"}, .verdict = ENFORCE},
    {"localhost with a loopback hostaddr is exempt", CONNINFO, {"host=localhost hostaddr=127.0.0.2 sslmode=disable"}, .verdict = LEAVE, .reason = "exempt"},
    {"localhost with ::1 is exempt", CONNINFO, {"host=localhost hostaddr=::1"}, .verdict = LEAVE},
    {"a loopback hostaddr alone is covered by localhost", CONNINFO, {"hostaddr=127.0.0.1"}, .verdict = LEAVE},
    {"the exempt glob with a loopback hostaddr: localhost covers it", CONNINFO, {"host=api.svc.local hostaddr=127.0.0.1"}, .verdict = LEAVE},
    {"an IP literal host is matched as an address, not a glob", CONNINFO, {"host=127.0.0.1 sslmode=disable"}, .verdict = LEAVE},
    {"an IP literal host outside every entry is enforced", CONNINFO, {"host=10.1.2.3 sslmode=disable"}, .verdict = ENFORCE},
    {"the second host's foreign hostaddr is enforced", CONNINFO, {"host=localhost,localhost hostaddr=127.0.0.1,10.99.0.1"}, .verdict = ENFORCE},
    {"a trailing dot still matches the rule", CONNINFO, {"host=" RDS "."}, .verdict = ENFORCE, .rootcert = "/b/rds.pem"},
    {"rule matching is case-insensitive", CONNINFO, {"host=DB1.ABC.US-EAST-1.RDS.AMAZONAWS.COM"}, .verdict = ENFORCE, .rootcert = "/b/rds.pem"},
    {"hostaddr without host under verify-full", CONNINFO, {"hostaddr=192.0.2.1"}, .verdict = REFUSE, .reason = "add host="},
    {"hostaddr with a socket-path host has no name", CONNINFO, {"host=/tmp hostaddr=192.0.2.1"}, .verdict = REFUSE, .reason = "add host="},
    {"hostaddr without host is fine under verify-ca", CONNINFO, {"hostaddr=192.0.2.1"}, .conf = "sslmode = \"verify-ca\";", .verdict = ENFORCE, .after = "verify-ca"},
    {"host and hostaddr counts differ: libpq's error", CONNINFO, {"host=a,b hostaddr=127.0.0.1"}, .verdict = REFUSE, .reason = "could not match"},
    /* {region} rules */
    {"{region}: the endpoint's region names the file", CONNINFO, {"host=db.abc.eu-west-1.rds.amazonaws.com"}, .verdict = ENFORCE, .rootcert = "/b/regions/eu-west-1.pem"},
    {"{region}: a China endpoint, in the middle of the name", CONNINFO, {"host=db.abc.cn-north-1.rds.amazonaws.com.cn"}, .verdict = ENFORCE, .rootcert = "/b/cn/cn-north-1-bundle.pem"},
    {"{region}: upper case and a trailing dot", CONNINFO, {"host=DB.ABC.EU-WEST-3.RDS.AMAZONAWS.COM."}, .verdict = ENFORCE, .rootcert = "/b/regions/eu-west-3.pem"},
    {"{region}: a host naming no region is refused", CONNINFO, {"host=x.eu-foo.rds.amazonaws.com"}, .verdict = REFUSE, .reason = "needs the AWS region the host names"},
    {"{region}: an endpoint with no name before the region is refused", CONNINFO, {"host=eu-west-1.rds.amazonaws.com.cn"}, .verdict = REFUSE, .reason = "needs the AWS region"},
    {"{region}: two regions in one host list are refused", CONNINFO, {"host=a.b.eu-west-1.rds.amazonaws.com,c.d.eu-central-1.rds.amazonaws.com"}, .verdict = REFUSE, .reason = "need different CA bundles (a.b.eu-west-1.rds.amazonaws.com: /b/regions/eu-west-1.pem, c.d.eu-central-1.rds.amazonaws.com: /b/regions/eu-central-1.pem"},
    {"{region}: one region in a host list", CONNINFO, {"host=a.b.eu-west-1.rds.amazonaws.com,c.d.eu-west-1.rds.amazonaws.com"}, .verdict = ENFORCE, .rootcert = "/b/regions/eu-west-1.pem"},
    {"{region}: the connection's own sslrootcert wins", CONNINFO, {"host=x.eu-foo.rds.amazonaws.com sslrootcert=/own.pem"}, .verdict = ENFORCE, .rootcert = "/own.pem"},
    /* system */
    {"RDS Proxy rule: system on libpq 15 is the OpenSSL file", CONNINFO, {"host=p.proxy-abc.us-east-1.rds.amazonaws.com"}, .verdict = ENFORCE, .after = "verify-full", .rootcert = SYSTEM_FILE},
    {"system on libpq 16 is passed as system", CONNINFO, {"host=p.proxy-abc.us-east-1.rds.amazonaws.com"}, .libpq = PQ16, .verdict = ENFORCE, .rootcert = "system"},
    {"sslrootcert=system in the conninfo works on libpq 15", CONNINFO, {"host=x sslrootcert=system"}, .verdict = ENFORCE, .rootcert = SYSTEM_FILE},
    {"system forces verify-full even where a rule says verify-ca", CONNINFO, {"host=db.corp.example sslrootcert=system"}, .verdict = ENFORCE, .after = "verify-full"},
    /* configuration switches */
    {"gssencmode = prefer leaves GSS alone", CONNINFO, {"host=x"}, .conf = "gssencmode = \"prefer\";", .verdict = ENFORCE, .gss = "(none)"},
    {"gssencmode=require is refused, not swapped, under gssencmode = disable", CONNINFO, {"host=x gssencmode=require"}, .verdict = REFUSE, .starts = "the connection string asks for gssencmode=require, and ", .reason = "case.conf sets gssencmode = \"disable\" (every TCP connection is TLS); remove gssencmode=require from it, or set gssencmode = \"prefer\" in "},
    {"PGGSSENCMODE=require is refused, naming the variable", CONNINFO, {"host=x"}, "PGGSSENCMODE=require", .verdict = REFUSE, .starts = "PGGSSENCMODE in the environment asks for gssencmode=require, and ", .reason = "(every TCP connection is TLS); unset PGGSSENCMODE, or set gssencmode = \"prefer\" in "},
    {"a service's gssencmode=require is refused, naming the service", CONNINFO, {"service=svc2"}, .verdict = REFUSE, .starts = "the entry of service \"svc2\" asks for gssencmode=require, and ", .reason = "; remove gssencmode=require from that entry, or set"},
    {"gssencmode=require is honoured under gssencmode = prefer", CONNINFO, {"host=x gssencmode=require"}, .conf = "gssencmode = \"prefer\";", .verdict = ENFORCE, .gss = "(none)"},
    {"gssencmode=prefer is still made disable", CONNINFO, {"host=x gssencmode=prefer"}, .verdict = ENFORCE, .gss = "disable"},
    {"on_disable = refuse refuses sslmode=disable", CONNINFO, {"host=x sslmode=disable"}, .conf = "on_disable = \"refuse\";", .verdict = REFUSE, .starts = "the connection string asks for sslmode=disable, and ", .reason = "case.conf sets on_disable = \"refuse\"; remove sslmode=disable from it"},
    {"on_disable = refuse names the program that passed sslmode=disable", CONNINFO, {"host=x sslmode=disable"}, .conf = "on_disable = \"refuse\";", .caller = "psql", .verdict = REFUSE, .starts = "the connection string psql gave libpq asks for sslmode=disable, and "},
    {"on_disable = refuse: an expanded dbname is the connection string", PARAMS, {"dbname", "host=x sslmode=disable"}, .conf = "on_disable = \"refuse\";", .verdict = REFUSE, .starts = "the connection string asks for sslmode=disable"},
    {"on_disable = refuse: psqlODBC's own sslmode=disable, and the DSN fix", PARAMS, {"host", "x", "sslmode", "disable"}, .conf = "on_disable = \"refuse\";", .caller = "psqlodbcw.so", .verdict = REFUSE, .starts = "the connection string psqlodbcw.so gave libpq asks for sslmode=disable, and ", .reason = "case.conf sets on_disable = \"refuse\"; psqlODBC adds sslmode=disable unless the DSN sets SSLmode: set SSLmode=verify-full (or prefer) in the DSN or odbc.ini"},
    {"on_disable = refuse refuses PGSSLMODE=disable, naming it", CONNINFO, {"host=x"}, "PGSSLMODE=disable", .conf = "on_disable = \"refuse\";", .verdict = REFUSE, .starts = "PGSSLMODE in the environment asks for sslmode=disable, and ", .reason = "case.conf sets on_disable = \"refuse\"; unset PGSSLMODE"},
    {"on_disable = refuse: a service's sslmode=disable names the service", CONNINFO, {"service=svc1"}, .conf = "on_disable = \"refuse\";", .verdict = REFUSE, .starts = "the entry of service \"svc1\" asks for sslmode=disable, and ", .reason = "; remove sslmode=disable from that entry"},
    {"on_disable = refuse: PGSERVICE's entry is the service's", CONNINFO, {""}, "PGSERVICE=svc1", .conf = "on_disable = \"refuse\";", .verdict = REFUSE, .starts = "the entry of service \"svc1\" asks for sslmode=disable"},
    {"on_disable = refuse: the service wins over a different PGSSLMODE", CONNINFO, {"service=svc1"}, "PGSSLMODE=require", .conf = "on_disable = \"refuse\";", .verdict = REFUSE, .starts = "the entry of service \"svc1\" asks for sslmode=disable"},
    {"on_disable = refuse: service and PGSSLMODE alike name both", CONNINFO, {"service=svc1"}, "PGSSLMODE=disable", .conf = "on_disable = \"refuse\";", .verdict = REFUSE, .starts = "the entry of service \"svc1\" or PGSSLMODE asks for sslmode=disable", .reason = "remove sslmode=disable from both"},
    {"on_disable = refuse still upgrades prefer", CONNINFO, {"host=x"}, .conf = "on_disable = \"refuse\";", .verdict = ENFORCE, .after = "verify-full"},
    {"minimum verify-ca keeps a stronger own mode", CONNINFO, {"host=x sslmode=verify-full"}, .conf = "sslmode = \"verify-ca\";", .verdict = ENFORCE, .after = "verify-full"},
};
/* clang-format on */

static char tmpdir[] = "/tmp/pgverify-unit.XXXXXX";

static void set_env(const char *list, int on)
{
	char buf[256], *save = NULL;

	snprintf(buf, sizeof(buf), "%s", list ? list : "");
	for (char *kv = strtok_r(buf, " ", &save); kv;
	     kv = strtok_r(NULL, " ", &save)) {
		char *eq = strchr(kv, '=');
		*eq = '\0';
		if (on)
			setenv(kv, eq + 1, 1);
		else
			unsetenv(kv);
	}
}

static pgverify_config *load_conf(const char *extra)
{
	char path[512], err[1024];
	FILE *f;

	snprintf(path, sizeof(path), "%s/case.conf", tmpdir);
	f = fopen(path, "w");
	assert_non_null(f);
	fprintf(f, "%s%s\n", base_conf, extra ? extra : "");
	fclose(f);
	/* pgverify refuses a config others can write, whatever our umask. */
	chmod(path, 0644);
	pgverify_config *cfg = pgverify_config_load(path, err, sizeof(err));
	if (!cfg)
		fail_msg("config: %s", err);
	return cfg;
}

static int merge(const struct tcase *c, pgverify_settings *s, char *err,
		 size_t len)
{
	struct pgv_request r;
	int rc;

	switch (c->kind) {
	case CONNINFO:
		return pgverify_merge_conninfo(c->in[0], s, err, len);
	case SETDB:
		pgv_request_setdb(&r, pgv_libpq_linked(), c->in[0], c->in[1],
				  c->in[2], c->in[3], c->in[4], c->in[5]);
		rc = pgv_request_merge(&r, s, err, len);
		pgv_request_free(&r);
		return rc;
	default: {
		const char *kw[7] = {0}, *val[7] = {0};
		for (int i = 0; i < 6 && c->in[2 * i]; i++) {
			kw[i] = c->in[2 * i];
			val[i] = c->in[2 * i + 1];
		}
		return pgverify_merge_params(kw, val, c->kind == PARAMS, s, err,
					     len);
	}
	}
}

static void expect_str(const char *what, const char *want, const char *got)
{
	if (want && strcmp(want, got ? got : "(none)") != 0)
		fail_msg("%s: want \"%s\", got \"%s\"", what, want,
			 got ? got : "(none)");
}

static void run_case(void **state)
{
	const struct tcase *c = *state;
	pgverify_config *cfg = load_conf(c->conf);
	pgverify_context ctx = {.libpq_version = c->libpq ? c->libpq : 150018,
				.system_bundle =
				    c->env && strstr(c->env, "SSL_CERT_FILE=")
					? "/attacker/roots.pem"
					: SYSTEM_FILE,
				.builtin_bundle = SYSTEM_FILE,
				.caller = c->caller};
	pgverify_settings s = {0};
	pgverify_decision d;
	char err[1024];

	set_env(c->env, 1);
	if (merge(c, &s, err, sizeof(err)) < 0) {
		memset(&d, 0, sizeof(d));
		d.verdict = PGVERIFY_REFUSE;
		snprintf(d.reason, sizeof(d.reason), "%s", err);
	} else {
		pgverify_decide(cfg, &s, &ctx, &d);
	}
	set_env(c->env, 0);
	if (d.verdict != c->verdict)
		fail_msg("verdict: want %d, got %d (%s)", c->verdict, d.verdict,
			 d.reason);
	expect_str("sslmode before", c->before, d.sslmode_before);
	expect_str("sslmode after", c->after, d.sslmode_after);
	expect_str("sslrootcert", c->rootcert, d.sslrootcert);
	expect_str("gssencmode", c->gss, d.gssencmode);
	expect_str("sslnegotiation", c->neg, d.sslnegotiation);
	if (c->reason && !strstr(d.reason, c->reason))
		fail_msg("reason: want \"%s\" in \"%s\"", c->reason, d.reason);
	if (c->starts && strncmp(d.reason, c->starts, strlen(c->starts)) != 0)
		fail_msg("reason: want it to start \"%s\": \"%s\"", c->starts,
			 d.reason);
	/* The decision points into the settings and the config: free last. */
	pgverify_settings_clear(&s);
	pgverify_config_free(cfg);
}

/* AWS region names, and the region an RDS endpoint names. */
static void region_names(void **state)
{
	static const char *const good[] = {"us-east-1",	   "us-gov-west-1",
					   "cn-north-1",   "ap-southeast-4",
					   "il-central-1", "us-isob-east-1"};
	static const char *const bad[] = {"",
					  "us",
					  "us-east",
					  "us-east-",
					  "useast-1",
					  "US-EAST-1",
					  "u1-east-1",
					  "us--east-1",
					  "us-1",
					  "us-east-1a",
					  "-us-east-1",
					  "us-east-1-",
					  "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaa-1"};
	char out[33];

	(void)state;
	for (size_t i = 0; i < sizeof(good) / sizeof(*good); i++)
		if (!pgv_aws_region(good[i], strlen(good[i])))
			fail_msg("\"%s\" is a region", good[i]);
	for (size_t i = 0; i < sizeof(bad) / sizeof(*bad); i++)
		if (pgv_aws_region(bad[i], strlen(bad[i])))
			fail_msg("\"%s\" is not a region", bad[i]);
	assert_int_equal(pgv_rds_region(RDS, out, sizeof(out)), 0);
	assert_string_equal(out, "us-east-1");
	assert_int_equal(pgv_rds_region("X.Y.US-WEST-2.RDS.AMAZONAWS.COM.CN.",
					out, sizeof(out)),
			 0);
	assert_string_equal(out, "us-west-2");
	assert_int_equal(
	    pgv_rds_region("db.us-east-1.rds.amazonaws.com.evil.example", out,
			   sizeof(out)),
	    -1);
	assert_int_equal(
	    pgv_rds_region("db.us-east-1.xrds.amazonaws.com", out, sizeof(out)),
	    -1);
	assert_int_equal(
	    pgv_rds_region("us-east-1.rds.amazonaws.com", out, sizeof(out)),
	    -1);
	assert_int_equal(pgv_rds_region(RDS, out, 5), -1);
	/* Not a DNS name: quotes, spaces, backslashes. */
	assert_int_equal(pgv_rds_region("x' sslrootcert='/a' host='db.abc.us-"
					"east-1.rds.amazonaws.com",
					out, sizeof(out)),
			 -1);
	assert_int_equal(pgv_rds_region("a\\b.abc.us-east-1.rds.amazonaws.com",
					out, sizeof(out)),
			 -1);
}

static void write_service_file(void)
{
	char path[512];
	FILE *f;

	snprintf(path, sizeof(path), "%s/pg_service.conf", tmpdir);
	f = fopen(path, "w");
	fprintf(f,
		"[svc1]\nhost=svc.rds.amazonaws.com\nsslmode=disable\n"
		"[svc2]\nhost=x\ngssencmode=require\n"
		"[svc3]\nhost=db.example.com\nsslrootcert=/attacker/svc.pem\n");
	fclose(f);
	setenv("PGSERVICEFILE", path, 1);
}

int main(void)
{
	size_t n = sizeof(cases) / sizeof(*cases);
	struct CMUnitTest *tests = calloc(n + 1, sizeof(*tests));
	const char *const clear[] = {
	    "PGHOST",	    "PGHOSTADDR",    "PGPORT",
	    "PGSSLMODE",    "PGSSLROOTCERT", "PGSERVICE",
	    "PGREQUIRESSL", "PGGSSENCMODE",  "PGDATABASE"};

	for (size_t i = 0; i < sizeof(clear) / sizeof(*clear); i++)
		unsetenv(clear[i]);
	if (!mkdtemp(tmpdir))
		return 1;
	write_service_file();
	for (size_t i = 0; i < n; i++) {
		tests[i].name = cases[i].name;
		tests[i].test_func = run_case;
		tests[i].initial_state = (void *)&cases[i];
	}
	tests[n].name = "AWS region names";
	tests[n].test_func = region_names;
	/* PGVERIFY_UNIT_FILTER=GLOB runs only the cases it matches. */
	if (getenv("PGVERIFY_UNIT_FILTER"))
		cmocka_set_test_filter(getenv("PGVERIFY_UNIT_FILTER"));
	int failed =
	    _cmocka_run_group_tests("policy", tests, n + 1, NULL, NULL);
	char cmd[600];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
	if (system(cmd) != 0)
		fprintf(stderr, "could not remove %s\n", tmpdir);
	free(tests);
	return failed;
}
