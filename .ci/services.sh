# Starts the real servers Portico's tests use — PostgreSQL and NATS on loopback — in a scratch
# directory, and exports the variables the tests read. Source it: `. .ci/services.sh`.
# Needs the Debian packages postgresql and nats-server (and chromium for the browser tests).

set -euo pipefail

portico_services_scratch=""
if [ -z "${PORTICO_SERVICES_DIR:-}" ]; then
	PORTICO_SERVICES_DIR="$(mktemp -d /tmp/portico-services.XXXXXX)"
	portico_services_scratch="$PORTICO_SERVICES_DIR"
fi
chmod 755 "$PORTICO_SERVICES_DIR"
pg_bin="$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1)"
pg_port="${PORTICO_PG_PORT:-55432}"
nats_port="${PORTICO_NATS_PORT:-54222}"

as_postgres() {
	if [ "$(id -u)" = 0 ]; then
		su postgres -s /bin/sh -c "$*"
	else
		sh -c "$*"
	fi
}

pg_data="$PORTICO_SERVICES_DIR/pg"
mkdir -p "$pg_data"
[ "$(id -u)" = 0 ] && chown postgres "$pg_data"
as_postgres "'$pg_bin/initdb' -D '$pg_data' -U portico --auth=trust -E UTF8 >/dev/null"
as_postgres "'$pg_bin/pg_ctl' -D '$pg_data' -l '$pg_data/log' -w -o \"-h 127.0.0.1 -p $pg_port -k '$pg_data' -c fsync=off -c max_connections=300\" start >/dev/null"
as_postgres "'$pg_bin/createdb' -h 127.0.0.1 -p $pg_port -U portico portico"

nats-server -a 127.0.0.1 -p "$nats_port" >"$PORTICO_SERVICES_DIR/nats.log" 2>&1 &
echo $! >"$PORTICO_SERVICES_DIR/nats.pid"
for _ in $(seq 50); do
	(exec 3<>"/dev/tcp/127.0.0.1/$nats_port") 2>/dev/null && break
	sleep 0.1
done

export PORTICO_TEST_DATABASE_URL="postgres://portico@127.0.0.1:$pg_port/portico?sslmode=disable"
export PORTICO_TEST_NATS_URL="nats://127.0.0.1:$nats_port"
export PORTICO_TEST_CHROMIUM="${PORTICO_TEST_CHROMIUM:-$(command -v chromium || true)}"
export PORTICO_SERVICES_DIR

portico_services_stop() {
	as_postgres "'$pg_bin/pg_ctl' -D '$pg_data' -m fast stop >/dev/null" || true
	kill "$(cat "$PORTICO_SERVICES_DIR/nats.pid")" 2>/dev/null || true
	# A directory of our own making goes too; one the caller named is left for them to read.
	[ -z "$portico_services_scratch" ] || rm -rf "$portico_services_scratch"
}
set +euo pipefail
