# Throwaway PostgreSQL servers on 127.0.0.1 for the integration tests.
# initdb refuses root, so as root the servers run as Debian's postgres user.
# Ports are taken at random and retried on collision, so parallel runs do
# not collide; every server is stopped by pid on every exit path.

PG_BINDIR=${PG_BINDIR:-$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)}
PGV_SERVERS=""

# as_pg CMD...: as root, CMD as the postgres user, and in network namespace
# $SERVER_NETNS when that is set (bench/run's delayed link).
as_pg() {
	# shellcheck disable=SC2086
	if [ "$(id -u)" = 0 ]; then ${SERVER_NETNS:+ip netns exec $SERVER_NETNS} runuser -u postgres -- "$@"; else "$@"; fi
}

# server_init TOP: one initdb, copied for every server.  As root, TOP stays
# root's and becomes sticky and world-writable, as /tmp is: the postgres
# user can make its files there, and the configurations and bundles the
# tests write there stay trusted (pgverify refuses files in a directory
# another user owns or may replace them in).
server_init() {
	[ "$(id -u)" = 0 ] && chmod 1777 "$1"
	as_pg "$PG_BINDIR/initdb" -D "$1/base" -A trust -U postgres --no-sync >"$1/initdb.log" 2>&1
}

# server_start TOP NAME [postgres -c options...]: sets SERVER_PORT.  A
# -c listen_addresses=... among the options replaces 127.0.0.1.
server_start() {
	local top=$1 name=$2 port
	shift 2
	as_pg cp -a "$top/base" "$top/$name"
	for _ in 1 2 3 4 5 6 7 8 9 10; do
		port=$((20000 + $(od -An -N2 -tu2 /dev/urandom) % 40000))
		if as_pg "$PG_BINDIR/pg_ctl" -D "$top/$name" -l "$top/$name.log" -w -t 60 \
			-o "-p $port -k $top -c listen_addresses=127.0.0.1 -c fsync=off $*" \
			start >/dev/null 2>&1; then
			PGV_SERVERS="$PGV_SERVERS $top/$name"
			SERVER_PORT=$port
			return 0
		fi
	done
	cat "$top/$name.log" >&2
	return 1
}

servers_stop() {
	local d pid
	for d in $PGV_SERVERS; do
		pid=$(head -n 1 "$d/postmaster.pid" 2>/dev/null)
		[ -n "$pid" ] && kill -QUIT "$pid" 2>/dev/null
	done
	PGV_SERVERS=""
}
