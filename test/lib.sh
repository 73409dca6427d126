# test/lib.sh: set-up shared by the README's two commands (test/demo.sh and
# test/check.sh).  Sourced, not run.  Installs what is missing with apt-get,
# builds and installs mlsql, and starts a throwaway PostgreSQL 15 cluster
# (pg_cron preloaded) on a private socket; the cluster is removed on exit.

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
PGBIN=/usr/lib/postgresql/15/bin
export PG_CONFIG=$PGBIN/pg_config
DEPS="build-essential pkg-config postgresql-15 postgresql-server-dev-15 postgresql-15-cron libopenblas-dev"

as_root() {
	if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi
}

install_deps() {
	local missing=""
	for p in $DEPS; do
		dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" ||
			missing="$missing $p"
	done
	if [ -n "$missing" ]; then
		echo "== installing:$missing"
		as_root apt-get update -qq
		as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $missing >/dev/null
	fi
}

build_install() {
	echo "== building mlsql"
	cd "$ROOT"
	make -s clean >/dev/null 2>&1 || true
	make -s PG_CFLAGS="${MLSQL_CFLAGS:-}" >/dev/null
	as_root make -s install >/dev/null
}

stop_pg() {
	if [ -n "${PGTMP:-}" ] && [ -d "$PGTMP/data" ]; then
		$RUNAS "$PGBIN/pg_ctl" -D "$PGTMP/data" -m immediate stop >/dev/null 2>&1 || true
		rm -rf "$PGTMP"
	fi
}

start_pg() {
	PGTMP=$(mktemp -d /tmp/mlsql-pg.XXXXXX)
	chmod 755 "$PGTMP"
	if [ "$(id -u)" = 0 ]; then
		chown postgres:postgres "$PGTMP"
		RUNAS="runuser -u postgres --"
		export PGUSER=postgres
	else
		RUNAS=""
		export PGUSER=$(id -un)
	fi
	$RUNAS "$PGBIN/initdb" -D "$PGTMP/data" -A trust -U "$PGUSER" -E UTF8 --locale=C.UTF-8 --no-sync >/dev/null
	PGPORT=55432
	while [ -e "/tmp/.s.PGSQL.$PGPORT" ] || ls "$PGTMP"/.s.PGSQL.$PGPORT >/dev/null 2>&1 ||
		(exec 3<>/dev/tcp/127.0.0.1/$PGPORT) 2>/dev/null; do
		PGPORT=$((PGPORT + 1))
	done
	export PGHOST="$PGTMP" PGPORT PGDATABASE=postgres
	trap stop_pg EXIT
	$RUNAS "$PGBIN/pg_ctl" -D "$PGTMP/data" -l "$PGTMP/server.log" -w -o \
		"-p $PGPORT -k $PGTMP -c listen_addresses='' -c shared_preload_libraries=pg_cron -c cron.database_name=postgres -c cron.use_background_workers=on -c fsync=off -c max_parallel_workers_per_gather=2" \
		start >/dev/null
	echo "== PostgreSQL $("$PGBIN/postgres" -V | awk '{print $3}') running on $PGTMP:$PGPORT (pg_cron preloaded)"
}
