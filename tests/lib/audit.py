"""Audit records for the tests, read with Python's json module.

  audit.py check FILE       every line one record with the contract's fields
                            and types: prints "N records valid", or the first
                            problem (exit 1)
  audit.py fields FILE      one line per record: decision=... would=... etc.
  audit.py pick FILE KEY...  the keys of each record, as key=JSON
  audit.py journal IN OUT   syslog datagrams (one per line, as a listener got
                            them) as `journalctl -o json` entries
"""
import json
import re
import sys

DECISIONS = {"upgraded", "kept", "left", "refused", "reported"}
TIME = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$")
STR_OR_NULL = ("port", "sslmode_before", "sslmode_after", "hostname", "user",
               "unit", "application_name", "sslrootcert_before",
               "sslrootcert", "reason", "ca", "ca_id", "cert_not_after",
               "error")
CA_ID = re.compile(r"^rds-ca-(2019|rsa2048-g1|rsa4096-g1|ecc384-g1)$")


def strings(v):
    return isinstance(v, list) and all(isinstance(x, str) for x in v)


def problem(r):
    if not isinstance(r, dict):
        return "not an object"
    if not isinstance(r.get("time"), str) or not TIME.match(r["time"]):
        return "time is not RFC 3339 UTC"
    if not isinstance(r.get("pid"), int) or isinstance(r["pid"], bool):
        return "pid is not an integer"
    if not isinstance(r.get("program"), str):
        return "program is not a string"
    if r.get("mode") not in ("enforce", "report"):
        return "mode is not enforce or report"
    if r.get("decision") not in DECISIONS:
        return "decision %r" % r.get("decision")
    for k in STR_OR_NULL:
        if k not in r or not (r[k] is None or isinstance(r[k], str)):
            return "%s is missing or not a string or null" % k
    if not isinstance(r.get("uid"), int) or isinstance(r["uid"], bool):
        return "uid is not an integer"
    if not strings(r.get("hosts")):
        return "hosts is not an array of strings"
    if "hostaddrs" not in r or not (r["hostaddrs"] is None or strings(r["hostaddrs"])):
        return "hostaddrs is not an array of strings or null"
    if r["ca_id"] is not None and not CA_ID.match(r["ca_id"]):
        return "ca_id %r" % r["ca_id"]
    if "tls" not in r or r["tls"] not in (True, False, None):
        return "tls is not true, false or null"
    if r.get("outcome") not in ("connected", "failed", None) or "outcome" not in r:
        return "outcome %r" % r.get("outcome")
    if "verified" not in r or r["verified"] not in (True, False, None):
        return "verified is not true, false or null"
    if r["mode"] == "report":
        if r.get("would") not in ("upgrade", "refuse", "nothing"):
            return "would %r" % r.get("would")
        if r.get("would_verify", 0) not in (True, False, None):
            return "would_verify is not true, false or null"
    return None


def check(path):
    n = 0
    with open(path, encoding="utf-8") as f:
        for i, line in enumerate(f, 1):
            try:
                r = json.loads(line)
            except ValueError as e:
                print("line %d does not parse: %s" % (i, e))
                return 1
            why = problem(r)
            if why:
                print("line %d: %s" % (i, why))
                return 1
            n += 1
    print("%d records valid" % n)
    return 0


def fields(path):
    keys = ("decision", "would", "would_verify", "outcome", "verified", "ca",
            "would_verify_error", "reason", "error", "tls", "ca_id")
    with open(path, encoding="utf-8") as f:
        for line in f:
            r = json.loads(line)
            print(" ".join("%s=%s" % (k, json.dumps(r[k])) for k in keys if k in r))
    return 0


def pick(path, keys):
    with open(path, encoding="utf-8") as f:
        for line in f:
            r = json.loads(line)
            print(" ".join("%s=%s" % (k, json.dumps(r.get(k, "(missing)"))) for k in keys))
    return 0


# "<14>Dec  2 15:38:04 psql[123]: MESSAGE", as glibc's syslog() sends it.
DATAGRAM = re.compile(r"^<(\d+)>\w{3} [ \d]\d \d\d:\d\d:\d\d ([^\[:]+)(?:\[(\d+)\])?: (.*)$", re.S)


def journal(src, dst):
    with open(src, encoding="utf-8") as f, open(dst, "w", encoding="utf-8") as out:
        for line in f:
            m = DATAGRAM.match(line.rstrip("\n"))
            if not m:
                continue
            prio, ident, pid, msg = m.groups()
            out.write(json.dumps({"PRIORITY": str(int(prio) & 7),
                                  "SYSLOG_FACILITY": str(int(prio) >> 3),
                                  "SYSLOG_IDENTIFIER": ident, "_PID": pid,
                                  "MESSAGE": msg}) + "\n")
    return 0


if __name__ == "__main__":
    cmd = sys.argv[1]
    sys.exit(check(sys.argv[2]) if cmd == "check" else
             fields(sys.argv[2]) if cmd == "fields" else
             pick(sys.argv[2], sys.argv[3:]) if cmd == "pick" else
             journal(sys.argv[2], sys.argv[3]))
