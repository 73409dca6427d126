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
count() {	# count "ok" / "not ok" lines of a TAP-like log
	local p f
	p=$(grep -c '^ok ' "$1" || true)
	f=$(grep -c '^not ok ' "$1" || true)
	PASSED=$((PASSED + p))
	FAILED=$((FAILED + f))
}
LOGDIR=$(mktemp -d /tmp/mlsql-check.XXXXXX)

echo "== source checks (the catalog door, exported symbols)"
(cd "$ROOT" && bash test/check_sources.sh) | tee "$LOGDIR/sources.log"
count "$LOGDIR/sources.log"

echo "== C unit tests"
make -s -C "$ROOT" test/unit/run >/dev/null && (cd "$ROOT" && test/unit/run) | tee "$LOGDIR/unit.log"
grep -q '^unit: ' "$LOGDIR/unit.log" || echo "not ok - unit tests did not run" >>"$LOGDIR/unit.log"
count "$LOGDIR/unit.log"

echo "== C unit tests under AddressSanitizer + UndefinedBehaviorSanitizer"
(cd "$ROOT" && make -s sanitize) >"$LOGDIR/asan.log" 2>&1
if grep -q '^unit: [0-9]* passed, 0 failed' "$LOGDIR/asan.log" && ! grep -q 'runtime error\|ERROR: AddressSanitizer' "$LOGDIR/asan.log"; then
	echo "ok - sanitize/unit: $(grep '^unit:' "$LOGDIR/asan.log")" | tee "$LOGDIR/asan.tap"
else
	tail -40 "$LOGDIR/asan.log"
	echo "not ok - sanitize/unit" | tee "$LOGDIR/asan.tap"
fi
count "$LOGDIR/asan.tap"

echo "== C unit tests under valgrind memcheck"
if (cd "$ROOT" && make -s valgrind) >"$LOGDIR/valgrind.log" 2>&1; then
	echo "ok - valgrind/unit: $(grep '^unit:' "$LOGDIR/valgrind.log")" | tee "$LOGDIR/valgrind.tap"
else
	tail -40 "$LOGDIR/valgrind.log"
	echo "not ok - valgrind/unit" | tee "$LOGDIR/valgrind.tap"
fi
count "$LOGDIR/valgrind.tap"

echo "== libFuzzer, ${FUZZ_SECONDS:-20} s per target"
(cd "$ROOT" && make -s fuzz-run FUZZ_SECONDS="${FUZZ_SECONDS:-20}") 2>&1 | tee "$LOGDIR/fuzz.log"
grep -qE '^(ok|not ok) - fuzz/' "$LOGDIR/fuzz.log" || echo "not ok - fuzz targets did not run" >>"$LOGDIR/fuzz.log"
count "$LOGDIR/fuzz.log"

echo "== pg_regress"
(cd "$ROOT" && make -s installcheck) >"$LOGDIR/regress.log" 2>&1
cat "$LOGDIR/regress.log"
# PostgreSQL 15's pg_regress prints "test NAME ... ok" / "... FAILED"
grep -E '^(test| ) *[a-z_]+ +\.\.\. ' "$LOGDIR/regress.log" |
	sed -E 's/^(test)? *([a-z_]+) +\.\.\. +(ok|FAILED|failed).*/\3 \2/' |
	awk '{ if ($1 == "ok") print "ok - regress/" $2; else print "not ok - regress/" $2 }' >"$LOGDIR/regress.tap"
[ -s "$LOGDIR/regress.tap" ] || echo "not ok - pg_regress did not run" >"$LOGDIR/regress.tap"
if [ -f "$ROOT/regression.diffs" ]; then head -200 "$ROOT/regression.diffs"; fi
count "$LOGDIR/regress.tap"

echo "== pg_regress under AddressSanitizer + UndefinedBehaviorSanitizer (private server copy)"
(cd "$ROOT" && make -s sanitize-installcheck) 2>&1 | tee "$LOGDIR/sanitize-regress.log"
grep -qE '^(ok|not ok) - sanitize/regress' "$LOGDIR/sanitize-regress.log" ||
	echo "not ok - sanitize/regress did not run" | tee -a "$LOGDIR/sanitize-regress.log"
count "$LOGDIR/sanitize-regress.log"

echo "== integration tests"
for t in "$ROOT"/test/integration/*.sh; do
	bash "$t" 2>&1 | tee "$LOGDIR/$(basename "$t").log"
	grep -qE '^(ok|not ok) ' "$LOGDIR/$(basename "$t").log" ||
		echo "not ok - $(basename "$t") printed no result" | tee -a "$LOGDIR/$(basename "$t").log"
	count "$LOGDIR/$(basename "$t").log"
done

rm -rf "$LOGDIR"
echo "$PASSED passed, $FAILED failed"
[ "$FAILED" -eq 0 ]
