#!/bin/bash
# README.md's commands, checked against what is installed and what the
# command accepts.  Every command of its shell code blocks (each line of a
# ```sh block, each "$ " line of an output block; the quick start's, which
# .ci/quickstart runs, and its transcript excepted) is taken apart:
#   - each program it runs exists (in the tree, or pgverify's own);
#   - `pgverify SUBCOMMAND ...`: the subcommand exists, and each option is
#     in `pgverify help SUBCOMMAND` and in man/pgverify.1;
#   - LD_PRELOAD names the soname, libpgverify.so.0, and nothing else;
#   - each path it names exists after `make install` (into a scratch
#     DESTDIR; /etc and /usr/share stand for its sysconfdir and datadir) or
#     in the tree, or is a file the command creates in a directory that does;
#   - the pgverify commands that are safe here run against the build and
#     that installed layout, exit as the README says, and print exactly
#     the output the README shows under them.
# Then every relative link of README.md and doc/*.md resolves, anchors
# included.  Last, the checker runs on copies of the README with one fault
# each (a misspelled option, an unknown subcommand, a missing file, a
# broken link, a changed line of output), and must fail on each.
set -u
# Run alone (outside make), it finds the tree itself and the build in _build.
: "${abs_top_srcdir:=$(cd "$(dirname "$0")/../.." && pwd)}" "${abs_top_builddir:=$abs_top_srcdir/_build}"
. "$abs_top_srcdir/tests/lib/tap.sh"
command -v python3 >/dev/null || skip_all "python3 is needed to take the README apart"
PGV=$abs_top_builddir/src/pgverify
[ -x "$PGV" ] || skip_all "no build in $abs_top_builddir (make first)"
export PGVERIFY_LIBRARY=$abs_top_builddir/src/.libs/libpgverify.so
unset PGVERIFY_LOG
umask 022

T=$(mktemp -d /tmp/pgverify-readme.XXXXXX)
trap 'rm -rf "$T"' EXIT

# The installed layout: what a host gets from `make install`.
inst=$T/inst
if make -s -C "$abs_top_builddir" install DESTDIR="$inst" >"$T/install.log" 2>&1; then
	ok "make install DESTDIR=... installs"
else
	not_ok "make install DESTDIR=... installs" "$(tail -n 20 "$T/install.log")"
	tap_done
	exit 1
fi
conf=$(find "$inst" -name pgverify.conf -type f | head -n 1)
etc=$(dirname "$conf")
share=$(dirname "$(dirname "$(find "$inst" -name rds-global-bundle.manifest | head -n 1)")")
# The installed configuration, its paths moved into the DESTDIR as DESTDIR
# moved the files.
sed -i "s|\"${etc#"$inst"}/|\"$etc/|g" "$conf"
export PGVERIFY_CONFIG=$conf

# readme_check README: one line per finding, "PASS|FAIL<TAB>name<TAB>evidence"
# (evidence with \n for newlines).
readme_check() {
	python3 - "$1" "$PGV" "$etc" "$share" "$abs_top_srcdir" "$T" <<'PY'
import os, re, shlex, subprocess, sys

readme, pgv, etc, share, top, tmp = sys.argv[1:7]
docdir = os.path.dirname(os.path.abspath(readme))
text = open(readme).read().split("\n")
man = open(os.path.join(top, "man/pgverify.1")).read().replace("\\-", "-")

def say(ok, name, evidence=""):
    print("%s\t%s\t%s" % ("PASS" if ok else "FAIL", name, evidence.replace("\n", "\\n")))

# --- the commands, from the code blocks ----------------------------------------
# (line number, command, the output shown under it or None)
commands = []
section, fence, block = "", None, None
for n, line in enumerate(text, 1):
    m = re.match(r"^\s*```(\w*)\s*$", line)
    if fence is None and m:
        fence, block = m.group(1), []
        continue
    if fence is not None and m and not m.group(1):
        if fence == "":
            for i, (ln, cmd, out) in enumerate(block):
                commands.append((ln, cmd, out))
        fence = None
        continue
    if fence is None:
        if line.startswith("## "):
            section = line[3:]
        continue
    if section == "Quick start":
        continue        # .ci/quickstart runs these; the rest is demo.sh's transcript
    s = line.strip()
    if fence == "sh":
        s = re.sub(r"\s+#.*$", "", s)
        if s and not s.startswith("#"):
            commands.append((n, s, None))
    elif fence == "":
        if s.startswith("$ "):
            block.append((n, s[2:], []))
        elif block:
            block[-1][2].append(line.strip("\n"))
    # other languages (configuration snippets) hold no commands
say(len(commands) >= 10, "the README's code blocks hold commands (%d found)" % len(commands),
    "\n".join(c for _, c, _ in commands))

# --- paths ----------------------------------------------------------------------
def installed(path):
    """A README path as it is in the scratch installation, or None."""
    if path == "/etc/pgverify.conf":
        return os.path.join(etc, "pgverify.conf")
    if path in ("/etc/pgverify", "/usr/share/pgverify"):
        return (etc if path.startswith("/etc") else share) + "/pgverify"
    for pre, to in (("/etc/pgverify/", etc + "/pgverify/"), ("/usr/share/pgverify/", share + "/pgverify/")):
        if path.startswith(pre):
            return to + path[len(pre):]
    return None

def unmap(s):
    return s.replace(etc + "/", "/etc/").replace(share + "/", "/usr/share/")

def check_path(ln, path, created=False):
    if any(c in path for c in "*?$") or path.startswith("../") or "://" in path:
        return
    where = installed(path)
    if where is None:
        where = path if path.startswith("/") else os.path.join(top, path)
    if os.path.exists(where) or (created and os.path.isdir(os.path.dirname(where))):
        say(True, "line %d: %s exists%s" % (ln, path, " (or its directory)" if created else ""))
    else:
        say(False, "line %d: %s exists%s" % (ln, path, " (or its directory)" if created else ""),
            "not found as %s" % where)

def looks_like_path(a):
    return "/" in a and "=" not in a and not a.startswith("-") and " " not in a \
        and re.match(r"^[\w./{}*-]+$", a) is not None

# --- pgverify invocations -------------------------------------------------------
helps = {}
def help_of(sub):
    if sub not in helps:
        p = subprocess.run([pgv, "help", sub], capture_output=True, text=True)
        helps[sub] = (p.returncode, p.stdout + p.stderr)
    return helps[sub]

# What the README says each command exits with, for the commands run here.
EXIT = {"help": 0, "check": 0, "explain": 0, "bundle": 0, "enable": 0, "rotation": 1, "report": 2}
# Files the README's commands read that an earlier command of its made.
STAND_IN = {"instances.json": os.path.join(top, "tests/fixtures/describe-db-instances.json")}

def check_pgverify(ln, args, shown, stdin_from_pipe):
    if not args:
        say(False, "line %d: pgverify with no command" % ln)
        return
    sub = args[0]
    rc, h = help_of(sub)
    ok = rc == 0 and h.startswith("usage: pgverify " + sub)
    say(ok, "line %d: pgverify %s is a command (pgverify help %s)" % (ln, sub, sub), h)
    if not ok:
        return
    rest = args[1:]
    if sub == "exec":       # options up to the command, then the command itself
        i = 0
        while i < len(rest) and rest[i].startswith("-"):
            i += 2 if rest[i] == "-c" else 1
        opts, inner = rest[:i], rest[i:]
        if inner and inner[0] == "--":
            inner = inner[1:]
        if inner:
            check_program(ln, inner[0])
    else:
        opts = [a for a in rest if a.startswith("-")]
    for o in opts:
        if o == "--":
            continue
        name = o.split("=", 1)[0]
        pat = r"(^|[\s\[|(])" + re.escape(name) + r"($|[\s\]|)=,])"
        in_help = re.search(pat, h, re.M) is not None
        in_man = re.search(pat, man, re.M) is not None
        say(in_help and in_man, "line %d: pgverify %s %s is an option (help %s, pgverify.1)" % (ln, sub, name, sub),
            "in pgverify help %s: %s; in man/pgverify.1: %s" % (sub, in_help, in_man))
    # Paths: DEST of --install/--update and --split's DIR may be new.
    for i, a in enumerate(rest):
        if looks_like_path(a):
            created = i > 0 and rest[i - 1] in ("--install", "--split")
            check_path(ln, a, created)
    run(ln, sub, rest, shown, stdin_from_pipe)

def run(ln, sub, rest, shown, stdin_from_pipe):
    """Run the command against the build where that is safe here."""
    argv = list(rest)
    if sub == "enable":
        argv = ["--dry-run"] + argv        # never writes /etc/systemd here
    elif sub == "bundle" and any(a in ("--update", "--install", "--split") for a in argv):
        return                             # the network, or writes /etc/pgverify
    elif sub == "report" and not stdin_from_pipe:
        return
    elif sub not in EXIT:
        return                             # exec, probe, status: programs, servers, systemd
    mapped = []
    for a in argv:
        a = STAND_IN.get(a, a)
        w = installed(a)
        mapped.append(w if w else a)
    p = subprocess.run([pgv, sub] + mapped, capture_output=True, text=True,
                       stdin=subprocess.DEVNULL, env=dict(os.environ))
    out = unmap(p.stdout + p.stderr)
    want = EXIT[sub]
    say(p.returncode == want, "line %d: pgverify %s exits %d as the README says" % (ln, " ".join([sub] + rest), want),
        "exit %d:\n%s" % (p.returncode, out))
    if shown is not None and shown:
        got = [l.rstrip() for l in out.rstrip("\n").split("\n")]
        exp = [l.rstrip() for l in shown]
        diff = [("README: " + e, "actual: " + g) for e, g in zip(exp + [""] * len(got), got + [""] * len(exp))
                if e != g][:3]
        say(got == exp, "line %d: pgverify %s prints what the README shows" % (ln, sub),
            "\n".join(x for d in diff for x in d))

# --- programs -------------------------------------------------------------------
EXTERNAL = {"psql", "pg_dump", "cc", "make", "sudo", "apt", "dpkg-buildpackage", "systemctl",
            "journalctl", "aws", "gcloud", "echo", "alias", "pkg-config"}
def check_program(ln, prog):
    if prog == "pgverify":
        return
    if "/" in prog:
        check_path(ln, prog)
    else:
        say(prog in EXTERNAL, "line %d: %s is a program the README may name" % (ln, prog),
            "add it to EXTERNAL in tests/suites/readme.sh if it is meant")

def segments(cmd):
    lex = shlex.shlex(cmd, posix=True, punctuation_chars="|&;<>()")
    lex.whitespace_split = True
    seg, segs = [], []
    for tok in lex:
        if tok in ("&&", "||", "|", ";", "(", ")", "$"):
            segs.append((seg, tok))
            seg = []
        else:
            seg.append(tok)
    segs.append((seg, None))
    return segs

for ln, cmd, shown in commands:
    try:
        segs = segments(cmd)
    except ValueError as e:
        say(False, "line %d: %s parses as shell" % (ln, cmd), str(e))
        continue
    piped = False
    for words, sep in segs:
        # redirections: > FILE, >> FILE, < FILE
        clean, i = [], 0
        while i < len(words):
            w = words[i]
            if w in (">", ">>", ">|"):
                if i + 1 < len(words):
                    check_path(ln, words[i + 1], created=True) if "/" in words[i + 1] else None
                i += 2
                continue
            if w == "<":
                i += 2
                continue
            clean.append(w)
            i += 1
        words = clean
        while words and re.match(r"^[A-Za-z_][A-Za-z0-9_]*=", words[0]):
            var, val = words[0].split("=", 1)
            if var == "LD_PRELOAD":
                say(val == "libpgverify.so.0", "line %d: LD_PRELOAD names the soname" % ln, val)
            words = words[1:]
        if words and words[0] == "sudo":
            words = words[1:]
        if not words:
            piped = sep == "|"
            continue
        if words[0] == "alias":
            for a in words[1:]:
                if "=" in a:
                    inner = a.split("=", 1)[1].split()
                    if inner and inner[0] == "pgverify":
                        check_pgverify(ln, inner[1:], None, False)
            piped = sep == "|"
            continue
        check_program(ln, words[0])
        if words[0] == "pgverify":
            check_pgverify(ln, words[1:], shown, piped)
        else:
            for a in words[1:]:
                if looks_like_path(a) and words[0] not in ("cc",):
                    check_path(ln, a)
        piped = sep == "|"

# --- paths named in the prose ---------------------------------------------------
fence = False
for n, line in enumerate(text, 1):
    if re.match(r"^\s*```", line):
        fence = not fence
        continue
    if fence:
        continue
    for p in re.findall(r"`((?:/etc/pgverify|/usr/share/pgverify|tests/|data/|doc/|man/|conf/)[^` ]*)`", line):
        if "{" not in p and "*" not in p:
            check_path(n, p.rstrip("/"))

# --- links ----------------------------------------------------------------------
def slugs(path):
    out = set()
    fence = False
    for line in open(path):
        if re.match(r"^\s*```", line):
            fence = not fence
        if fence:
            continue
        m = re.match(r"^#+\s+(.*?)\s*$", line)
        if m:
            s = m.group(1).lower()
            s = re.sub(r"[^\w\- ]", "", s).replace(" ", "-")
            out.add(s)
    return out

docs = [readme] + sorted(os.path.join(top, "doc", f) for f in os.listdir(os.path.join(top, "doc"))
                        if f.endswith(".md"))
for d in docs:
    base = os.path.dirname(os.path.abspath(d))
    for n, line in enumerate(open(d), 1):
        for target in re.findall(r"\]\(([^)\s]+)\)", line):
            if re.match(r"^[a-z]+:", target):
                continue
            f, _, anchor = target.partition("#")
            path = os.path.normpath(os.path.join(base, f)) if f else os.path.abspath(d)
            name = "%s:%d: link %s resolves" % (os.path.relpath(d, docdir) if d != readme else "README.md", n, target)
            if not os.path.exists(path):
                say(False, name, "no file %s" % path)
            elif anchor and path.endswith(".md") and anchor not in slugs(path):
                say(False, name, "no heading for #%s in %s" % (anchor, path))
            else:
                say(True, name)
PY
}

# report FINDINGS: one TAP line per finding.
report() {
	local verdict name evidence
	while IFS=$'\t' read -r verdict name evidence; do
		if [ "$verdict" = PASS ]; then ok "$name"; else not_ok "$name" "$(printf '%b' "$evidence")"; fi
	done <<<"$1"
}

findings=$(readme_check "$abs_top_srcdir/README.md")
report "$findings"

# --- the checker fails on a broken README ------------------------------------------
# fault NAME SED-EXPRESSION PATTERN: the README with SED-EXPRESSION applied
# must give one FAIL line, matching PATTERN, and no other.
fault() {
	local f
	for f in doc SECURITY.md BENCHMARKS.md HACKING.md; do cp -r "$abs_top_srcdir/$f" "$T/"; done
	sed "$2" "$abs_top_srcdir/README.md" >"$T/README.md"
	if cmp -s "$abs_top_srcdir/README.md" "$T/README.md"; then
		not_ok "the check fails on $1" "the fault was not applied: $2"
		return
	fi
	check "the check fails on $1, and on nothing else" "$(readme_check "$T/README.md" | grep '^FAIL')" "\\A${3#^}[^\\n]*\\n\\z"
}
fault "a misspelled option" 's/pgverify report --since 7d/pgverify report --snice 7d/' \
	"^FAIL	line [0-9]+: pgverify report --snice is an option"
fault "an unknown subcommand" 's/^pgverify status myapp$/pgverify state myapp/' \
	"^FAIL	line [0-9]+: pgverify state is a command"
fault "a path that is not installed" 's|/etc/pgverify/rds-global-bundle.pem$|/etc/pgverify/rds-global.pem|' \
	"^FAIL	line [0-9]+: /etc/pgverify/rds-global.pem exists"
fault "a path LD_PRELOAD must not name" 's|^LD_PRELOAD=libpgverify.so.0 |LD_PRELOAD=/usr/lib/libpgverify.so.0 |' \
	"^FAIL	line [0-9]+: LD_PRELOAD names the soname"
fault "a broken link" 's|(doc/rollout.md#the-whole-host)|(doc/rollout.md#the-host)|' \
	"^FAIL	README.md:[0-9]+: link doc/rollout.md#the-host resolves"
fault "a line of output that is not what the command prints" 's/^5 instances: 3 ready, 2 NOT READY$/5 instances: 4 ready, 1 NOT READY/' \
	"^FAIL	line [0-9]+: pgverify rotation prints what the README shows"
fault "a wrong exit status (an argument the command refuses)" 's/^pgverify check$/pgverify check extra/' \
	"^FAIL	line [0-9]+: pgverify check extra exits 0"
tap_done
