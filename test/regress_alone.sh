#!/bin/bash
# test/regress_alone.sh: every pg_regress test of the Makefile's REGRESS run
# alone, each on a fresh database holding only CREATE EXTENSION mlsql, against
# its expected output.  Each test creates its own fixtures at its top, so
# `make installcheck REGRESS=NAME` passes whatever ran before it; this proves it.
#
# Runs against the server of the libpq environment (PGHOST, PGPORT, PGUSER),
# with the mlsql that PG_CONFIG's installation holds.  Prints a plan "1..N",
# then "ok - regress_alone/NAME" or "not ok - regress_alone/NAME" (with the
# first lines of its diff) per test; exit status 1 on any "not ok".  Each
# database is dropped after its test, and so is any role named regress_* (the
# roles a failed test left behind): run it when no other pg_regress run is
# using the server.
# Arguments, if any, name the tests to run instead of all of REGRESS;
# REGRESS_ALONE_KEEP=1 keeps the results and diffs.
set -uo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
PG_CONFIG=${PG_CONFIG:-pg_config}
PG_REGRESS=$("$PG_CONFIG" --pkglibdir)/pgxs/src/test/regress/pg_regress
BINDIR=$("$PG_CONFIG" --bindir)
cd "$ROOT" || exit 1
if [ $# -gt 0 ]; then TESTS="$*"; else TESTS=$(make -s print-regress); fi
# as `make installcheck`: no progress NOTICE in expected outputs
export PGOPTIONS="${PGOPTIONS:-} -c mlsql.progress=0"

OUT=$(mktemp -d /tmp/mlsql-regress-alone.XXXXXX)
if [ -n "${REGRESS_ALONE_KEEP:-}" ]; then echo "# results kept in $OUT"; else trap 'rm -rf "$OUT"' EXIT; fi
set -- $TESTS
echo "1..$#"
failed=0
for t in "$@"; do
	mkdir "$OUT/$t"
	# the paths of \i and \copy in the tests are relative to the repository root
	if "$PG_REGRESS" --inputdir=. --outputdir="$OUT/$t" --bindir="$BINDIR" \
		--load-extension=mlsql --dbname="mlsql_alone_$t" "$t" >"$OUT/$t/log" 2>&1; then
		echo "ok - regress_alone/$t"
	else
		echo "not ok - regress_alone/$t"
		failed=1
		if [ -f "$OUT/$t/regression.diffs" ]; then
			head -40 "$OUT/$t/regression.diffs" | sed 's/^/# /'
		else
			tail -20 "$OUT/$t/log" | sed 's/^/# /'
		fi
	fi
	# the database goes, and the roles (regress_*) a failed test left behind
	"$BINDIR/psql" -qX -d postgres -c "DROP DATABASE IF EXISTS mlsql_alone_$t" >/dev/null 2>&1
	for r in $("$BINDIR/psql" -qXAt -d postgres -c "SELECT quote_ident(rolname) FROM pg_roles WHERE rolname LIKE 'regress\\_%'"); do
		"$BINDIR/psql" -qX -d postgres -c "DROP ROLE $r" >/dev/null 2>&1
	done
done
exit $failed
