/*
 * pgverify help [COMMAND] and COMMAND --help: each command's options,
 * what it prints, and examples that work as written.
 */
#include "cli.h"

#include <string.h>

static const struct {
	const char *command, *text;
} helps[] = {
    {"exec",
     "usage: pgverify exec [-c FILE] [--] COMMAND [ARG...]\n\n"
     "Run COMMAND with libpgverify.so.0 preloaded (ahead of any LD_PRELOAD\n"
     "it had).  -c FILE becomes PGVERIFY_CONFIG, checked before COMMAND "
     "runs.\n\n"
     "Examples:\n"
     "  pgverify exec psql \"host=mydb.abc123.eu-west-1.rds.amazonaws.com "
     "user=app\"\n"
     "  pgverify exec -c /etc/pgverify/app.conf python3 app.py\n\n"
     "Exit status: COMMAND's; 127 not found, 126 not runnable, 2 pgverify\n"
     "stopped before running it.\n"},
    {"check",
     "usage: pgverify check [-c FILE] [--json]\n\n"
     "Validate the configuration, every CA bundle and region file it names\n"
     "(readable, certificates, expiry, who may write it; a per-tenant CA\n"
     "not downloaded yet is said with where to get it), the rules (one\n"
     "that can never match, or that an earlier rule covers), the system's\n"
     "libpq and the engine the library loads.\n\n"
     "Examples:\n"
     "  pgverify check\n"
     "  pgverify check -c /etc/pgverify/new.conf --json\n\n"
     "Exit status: 0 ok; 1 a bundle or the engine would refuse "
     "connections;\n"
     "2 the configuration has an error.\n"},
    {"explain",
     "usage: pgverify explain [-c FILE] [--json] CONNINFO\n\n"
     "The decision for one connection string or URI, offline: what is\n"
     "raised, which bundle, why, the managed service the host belongs to\n"
     "and the trust it needs, and the options forwarded to libpq\n"
     "(passwords masked).  The PG* variables and service files count, as\n"
     "libpq reads them.\n\n"
     "Examples:\n"
     "  pgverify explain \"host=db1.abc123.us-east-1.rds.amazonaws.com "
     "sslmode=disable\"\n"
     "  PGSSLMODE=require pgverify explain --json "
     "\"postgresql://app@db.example.com/app\"\n\n"
     "Exit status: 0; 1 the policy refuses it (or would, in report mode);\n"
     "2 usage or configuration error.\n"},
    {"probe",
     "usage: pgverify probe [-c FILE] [--json] CONNINFO\n\n"
     "A TLS handshake only (no login, no password sent): the server's "
     "chain,\n"
     "whether the bundle in use verifies it, the root CA it leads to,\n"
     "whether the name matches, the expiry dates, the host's managed\n"
     "service, and for RDS the CA id.\n\n"
     "Example:\n"
     "  pgverify probe \"host=db1.abc123.us-east-1.rds.amazonaws.com\"\n\n"
     "Exit status: 0 verifies; 1 does not verify, wrong name, no TLS; 2 "
     "usage.\n"},
    {"bundle",
     "usage: pgverify bundle [--json] [--long] FILE...\n"
     "       pgverify bundle [--json] --split DIR FILE\n"
     "       pgverify bundle [--json] [--dry-run] [--force] --install DEST "
     "FILE\n"
     "       pgverify bundle [--json] [--dry-run] [--force] --update DEST\n"
     "                       [--from URL|FILE] [--timeout SECONDS]\n\n"
     "Summarise each file (certificates, expired, the RDS CA ids and their\n"
     "regions; --long: every certificate's subject, issuer, expiry, SHA-256);\n"
     "split an RDS bundle by region; vet a file and replace DEST atomically;\n"
     "fetch the current AWS bundle over verified HTTPS and install it.  A new\n"
     "bundle "
     "that drops an RDS CA the old one held is refused unless --force;\n"
     "--dry-run lists the changes and writes nothing.\n\n"
     "Examples:\n"
     "  pgverify bundle /etc/pgverify/rds-global-bundle.pem\n"
     "  pgverify bundle --long /etc/pgverify/rds/us-east-1.pem\n"
     "  pgverify bundle --update /etc/pgverify/rds-global-bundle.pem\n\n"
     "Exit status: 0; 1 a bundle that could not be used or installed; 2 "
     "usage.\n"},
    {"rotation",
     "usage: pgverify rotation [-c FILE] [--to CA_ID] [--long] [--json]\n"
     "                         [--audit FILE]... (ENDPOINT... | --aws FILE "
     "[--aws FILE]...)\n\n"
     "Offline: for each RDS endpoint, or each PostgreSQL instance and "
     "cluster in\n"
     "the output of `aws rds describe-db-instances` (or "
     "describe-db-clusters),\n"
     "whether the bundle pgverify verifies it with trusts its CA id (or "
     "CA_ID)\n"
     "for its region and its server certificate is still valid; one line "
     "each,\n"
     "the AWS CLI command that fixes what is NOT READY, and a summary "
     "(other\n"
     "engines are skipped and counted).\n\n"
     "  --to CA_ID     also judge the change to CA_ID (rds-ca-rsa2048-g1,\n"
     "                 rds-ca-rsa4096-g1, rds-ca-ecc384-g1, rds-ca-2019)\n"
     "  --aws FILE     AWS CLI JSON: describe-db-instances, "
     "describe-db-clusters,\n"
     "                 or describe-certificates (each CA id's ValidTill); "
     "once\n"
     "                 per file, - for standard input\n"
     "  --audit FILE   audit records (JSON lines, .gz, `journalctl -o "
     "json`): name\n"
     "                 the programs seen connecting whose bundle would not "
     "trust\n"
     "                 the CA; once per file\n"
     "  --long         the whole detail of each endpoint\n\n"
     "Examples:\n"
     "  aws rds describe-db-instances > dbs.json\n"
     "  pgverify rotation --aws dbs.json\n"
     "  pgverify rotation --long --to rds-ca-ecc384-g1 "
     "db1.abc123.us-east-1.rds.amazonaws.com\n"
     "  pgverify rotation --to rds-ca-rsa4096-g1 --aws dbs.json --audit "
     "/var/log/pgverify/audit.log \\\n"
     "      --audit /var/log/pgverify/audit.log.1.gz\n\n"
     "Exit status: 0 ready; 1 something is NOT READY; 2 usage, or a file "
     "that\n"
     "cannot be read.\n"},
    {"report",
     "usage: pgverify report [--json] [--since TIME] [--program NAME]\n"
     "                       [--host GLOB] [FILE...]\n\n"
     "Summarise audit records (standard input without FILE; gzip'd files and\n"
     "`journalctl -o json` output too): per program, user, unit, machine and\n"
     "host, the decisions, what each program asked for, what enforcement\n"
     "would refuse or fail to verify and why, what failed under enforcement\n"
     "and why, the CAs seen and the soonest certificate expiry.\n\n"
     "  --since TIME     records from a UTC date or time (2026-12-01,\n"
     "                   2026-12-01T08:00:00Z) or that long ago (30m, 12h, "
     "7d)\n"
     "  --program NAME   records of programs matching a glob\n"
     "  --host GLOB      records to a host name matching the glob\n"
     "  --json           the summary as JSON\n\n"
     "Examples:\n"
     "  pgverify report --since 7d /var/log/pgverify/audit.jsonl*\n"
     "  journalctl -o json SYSLOG_FACILITY=1 | pgverify report\n"
     "  pgverify report --program 'python3*' --host '*.rds.amazonaws.com' "
     "audit.jsonl\n\n"
     "Exit status: 0 nothing would break; 1 something would, or failed under\n"
     "enforcement; 2 usage, or no record to read.\n"},
    {"enable",
     "usage: pgverify enable [--dry-run] UNIT\n\n"
     "Write the systemd drop-in /etc/systemd/system/UNIT.d/pgverify.conf\n"
     "that preloads libpgverify.so.0 into the service (it replaces any\n"
     "LD_PRELOAD the unit sets itself), then say what to run to apply it.\n"
     "--dry-run prints the file and writes nothing.\n\n"
     "Example:\n"
     "  pgverify enable myapp && systemctl daemon-reload && systemctl "
     "restart myapp\n\n"
     "Exit status: 0; 2 usage, or the file could not be written.\n"},
    {"disable",
     "usage: pgverify disable UNIT\n\n"
     "Remove the drop-in `pgverify enable UNIT` wrote.\n\n"
     "Example:\n"
     "  pgverify disable myapp && systemctl daemon-reload && systemctl "
     "restart myapp\n\n"
     "Exit status: 0; 2 usage, or the file could not be removed.\n"},
    {"status",
     "usage: pgverify status [--json] [PID|UNIT]\n\n"
     "PID or UNIT (its main process): whether pgverify is loaded, each libpq\n"
     "file the process holds and whether pgverify bound it (reading that "
     "needs\n"
     "the rights to trace the process: its user or root).  Without an\n"
     "argument, the host: /etc/ld.so.preload, the configuration, lock, and\n"
     "the services pgverify enable preloads it into.\n\n"
     "Examples:\n"
     "  pgverify status myapp\n"
     "  pgverify status $(pidof -s postgres_exporter)\n"
     "  pgverify status\n\n"
     "Exit status: 0; 1 a libpq runs without pgverify, or unbound; 2 "
     "usage.\n"},
};

const char *cli_help_of(const char *command)
{
	for (size_t i = 0; i < sizeof(helps) / sizeof(*helps); i++)
		if (strcmp(helps[i].command, command) == 0)
			return helps[i].text;
	return NULL;
}
