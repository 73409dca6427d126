#!/bin/bash
# The test command: install what is missing, build with -Werror, install,
# start a throwaway PostgreSQL, run every suite (C unit tests, pg_regress,
# integration tests) and end with one line "N passed, N failed".
set -uo pipefail
. "$(dirname "$0")/lib.sh"
set -e
DEPS="$DEPS dataset-fashion-mnist clang libclang-rt-14-dev valgrind"
install_deps
MLSQL_CFLAGS="-Werror" build_install
start_pg
set +e

PASSED=0
FAILED=0
# count LOG [STATUS [NAME]]: the "ok" / "not ok" lines of a TAP-like log,
# against its plan (a "1..N" line): a suite that ran fewer or more checks
# than it planned, printed no plan, or exited non-zero is one more failure
count() {
	local log=$1 status=${2:-0} name=${3:-$(basename "$1" .log)} p f planned
	p=$(grep -c '^ok ' "$log" || true)
	f=$(grep -c '^not ok ' "$log" || true)
	PASSED=$((PASSED + p))
	FAILED=$((FAILED + f))
	planned=$(grep -m1 -E '^1\.\.[0-9]+$' "$log" | sed 's/^1\.\.//')
	if [ -z "$planned" ]; then
		echo "not ok - $name: printed no plan (1..N)"
		FAILED=$((FAILED + 1))
	elif [ "$((p + f))" -ne "$planned" ]; then
		echo "not ok - $name: planned $planned checks, ran $((p + f))"
		FAILED=$((FAILED + 1))
	fi
	if [ "$status" -ne 0 ] && [ "$f" -eq 0 ]; then
		echo "not ok - $name: exited with status $status and no failed check"
		FAILED=$((FAILED + 1))
	fi
}
LOGDIR=$(mktemp -d /tmp/mlsql-check.XXXXXX)

echo "== source checks (the catalog door, exported symbols) (at $SECONDS s)"
(cd "$ROOT" && bash test/check_sources.sh) | tee "$LOGDIR/sources.log"
count "$LOGDIR/sources.log" "${PIPESTATUS[0]}" sources

echo "== the shape of src/ (layers, call and include cycles, sizes) (at $SECONDS s)"
(cd "$ROOT" && bash test/check_graph.sh) | tee "$LOGDIR/graph.log"
count "$LOGDIR/graph.log" "${PIPESTATUS[0]}" graph

echo "== C unit tests (at $SECONDS s)"
make -s -C "$ROOT" test/unit/run >/dev/null && (cd "$ROOT" && test/unit/run) | tee "$LOGDIR/unit.log"
status=${PIPESTATUS[0]}
grep -q '^unit: ' "$LOGDIR/unit.log" || echo "not ok - unit tests did not run" >>"$LOGDIR/unit.log"
count "$LOGDIR/unit.log" "$status" unit

echo "== C unit tests under AddressSanitizer + UndefinedBehaviorSanitizer (at $SECONDS s)"
(cd "$ROOT" && make -s sanitize) >"$LOGDIR/asan.log" 2>&1
if grep -q '^unit: [0-9]* passed, 0 failed' "$LOGDIR/asan.log" && ! grep -q 'runtime error\|ERROR: AddressSanitizer' "$LOGDIR/asan.log"; then
	echo "ok - sanitize/unit: $(grep '^unit:' "$LOGDIR/asan.log")" | tee "$LOGDIR/asan.tap"
else
	tail -40 "$LOGDIR/asan.log"
	echo "not ok - sanitize/unit" | tee "$LOGDIR/asan.tap"
fi
echo "1..1" >>"$LOGDIR/asan.tap"
count "$LOGDIR/asan.tap" 0 sanitize/unit

echo "== C unit tests under valgrind memcheck (at $SECONDS s)"
if (cd "$ROOT" && make -s valgrind) >"$LOGDIR/valgrind.log" 2>&1; then
	echo "ok - valgrind/unit: $(grep '^unit:' "$LOGDIR/valgrind.log")" | tee "$LOGDIR/valgrind.tap"
else
	tail -40 "$LOGDIR/valgrind.log"
	echo "not ok - valgrind/unit" | tee "$LOGDIR/valgrind.tap"
fi
echo "1..1" >>"$LOGDIR/valgrind.tap"
count "$LOGDIR/valgrind.tap" 0 valgrind/unit

echo "== libFuzzer, ${FUZZ_SECONDS:-20} s per target (at $SECONDS s)"
(cd "$ROOT" && make -s fuzz-run FUZZ_SECONDS="${FUZZ_SECONDS:-20}") 2>&1 | tee "$LOGDIR/fuzz.log"
status=${PIPESTATUS[0]}
grep -qE '^(ok|not ok) - fuzz/' "$LOGDIR/fuzz.log" || echo "not ok - fuzz targets did not run" >>"$LOGDIR/fuzz.log"
count "$LOGDIR/fuzz.log" "$status" fuzz

echo "== pg_regress (at $SECONDS s)"
(cd "$ROOT" && make -s installcheck) >"$LOGDIR/regress.log" 2>&1
cat "$LOGDIR/regress.log"
# PostgreSQL 15's pg_regress prints "test NAME ... ok" / "... FAILED"
grep -E '^(test| ) *[a-z_]+ +\.\.\. ' "$LOGDIR/regress.log" |
	sed -E 's/^(test)? *([a-z_]+) +\.\.\. +(ok|FAILED|failed).*/\3 \2/' |
	awk '{ if ($1 == "ok") print "ok - regress/" $2; else print "not ok - regress/" $2 }' >"$LOGDIR/regress.tap"
[ -s "$LOGDIR/regress.tap" ] || echo "not ok - pg_regress did not run" >"$LOGDIR/regress.tap"
if [ -f "$ROOT/regression.diffs" ]; then head -200 "$ROOT/regression.diffs"; fi
# the plan: every test of REGRESS in the Makefile
echo "1..$(make -s -C "$ROOT" print-regress | wc -w)" >>"$LOGDIR/regress.tap"
count "$LOGDIR/regress.tap" 0 regress

echo "== pg_regress, each test alone on a fresh database (its own fixtures) (at $SECONDS s)"
(cd "$ROOT" && bash test/regress_alone.sh) 2>&1 | tee "$LOGDIR/regress-alone.log"
count "$LOGDIR/regress-alone.log" "${PIPESTATUS[0]}" regress_alone

echo "== pg_regress under AddressSanitizer + UndefinedBehaviorSanitizer (private server copy) (at $SECONDS s)"
(cd "$ROOT" && make -s sanitize-installcheck) 2>&1 | tee "$LOGDIR/sanitize-regress.log"
status=${PIPESTATUS[0]}
grep -qE '^(ok|not ok) - sanitize/regress' "$LOGDIR/sanitize-regress.log" ||
	echo "not ok - sanitize/regress did not run" | tee -a "$LOGDIR/sanitize-regress.log"
count "$LOGDIR/sanitize-regress.log" "$status" sanitize/regress

echo "== integration tests (at $SECONDS s)"
for t in "$ROOT"/test/integration/*.sh; do
	echo "# $(basename "$t") at $SECONDS s"
	bash "$t" 2>&1 | tee "$LOGDIR/$(basename "$t").log"
	status=${PIPESTATUS[0]}
	grep -qE '^(ok|not ok) ' "$LOGDIR/$(basename "$t").log" ||
		echo "not ok - $(basename "$t") printed no result" | tee -a "$LOGDIR/$(basename "$t").log"
	count "$LOGDIR/$(basename "$t").log" "$status" "integration/$(basename "$t" .sh)"
done

rm -rf "$LOGDIR"
echo "# the test command took $SECONDS s"
echo "$PASSED passed, $FAILED failed"
[ "$FAILED" -eq 0 ]
