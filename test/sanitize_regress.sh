#!/bin/bash
# test/sanitize_regress.sh (`make sanitize-installcheck`): the pg_regress suite
# (the Makefile's REGRESS) against an mlsql.so built with AddressSanitizer +
# UndefinedBehaviorSanitizer (clang).  The server-side counterpart of
# `make sanitize`, which runs the C unit tests under the same sanitizers.
#
# Nothing is installed into the system PostgreSQL.  Its bin, lib and share
# directories are copied under a temporary directory at the same relative
# places (PostgreSQL finds its share and lib directories relative to its
# binary); mlsql is built from a copy of the source tree (the tree's own object
# files are left alone) and installed into that copy; a throwaway cluster runs
# from the copy with the ASan runtime preloaded, since the server binary itself
# is not instrumented.  Every sanitizer report goes to a log file; leak
# detection is off (the server frees by memory context, not by free()).
#
# Prints one line per test, "ok - sanitize/regress/NAME" or "not ok - ...",
# then "ok - sanitize/regress/reports" when no backend wrote a sanitizer report
# or died, "not ok" (with the first three reports) otherwise.  Exit status 1 on any "not ok".
# Runs as a user or as root (the server then runs as the postgres user).
# SANITIZE_KEEP=1 keeps the temporary directory; SANITIZE_TIMEOUT (s, default
# 1800) bounds the pg_regress run; SANITIZE_CFLAGS adds compiler flags.
set -uo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
PG_CONFIG=${PG_CONFIG:-/usr/lib/postgresql/15/bin/pg_config}
CLANG=${CLANG:-clang}
# as `make sanitize`; -fno-wrapv undoes PostgreSQL's -fwrapv, which would turn
# UBSan's signed-overflow check off (mlsql does not rely on wrapping)
SANFLAGS="-O1 -g -fsanitize=address,undefined -fno-sanitize-recover=undefined -fno-omit-frame-pointer -fno-wrapv"
START=$(date +%s)

fail() {	# a set-up step failed: one "not ok" line, the log's tail, exit
	echo "not ok - sanitize/regress: $1"
	if [ -n "${2:-}" ] && [ -f "$2" ]; then tail -40 "$2" | sed 's/^/# /'; fi
	exit 1
}

RT=$("$CLANG" -print-file-name="libclang_rt.asan-$(uname -m).so" 2>/dev/null)
[ -f "$RT" ] || fail "no ASan runtime from $CLANG (install clang and libclang-rt-14-dev)"
# the system install's directories: copied, never written
SYS_bindir=$("$PG_CONFIG" --bindir 2>/dev/null) || fail "$PG_CONFIG --bindir failed"
SYS_pkglibdir=$("$PG_CONFIG" --pkglibdir)
SYS_sharedir=$("$PG_CONFIG" --sharedir)
SYS_includedir=$("$PG_CONFIG" --includedir)
SYS_includedir_server=$("$PG_CONFIG" --includedir-server)

T=$(mktemp -d /tmp/mlsql-sanitize.XXXXXX)
chmod 755 "$T"
if [ "$(id -u)" = 0 ]; then
	RUNAS="runuser -u postgres --"
	PGUSER=postgres
else
	RUNAS=""
	PGUSER=$(id -un)
fi
BIN=$T$SYS_bindir
cleanup() {
	if [ -f "$T/data/postmaster.pid" ]; then
		$RUNAS "$BIN/pg_ctl" -D "$T/data" -m immediate -w stop >/dev/null 2>&1 ||
			kill -9 "$(head -1 "$T/data/postmaster.pid")" 2>/dev/null
	fi
	if [ -n "${SANITIZE_KEEP:-}" ]; then echo "# kept $T"; else rm -rf "$T"; fi
}
trap cleanup EXIT
trap 'exit 1' INT TERM

# A private copy of the server at the same paths under $T.  PostgreSQL
# relocates its share and lib directories relative to the binary, so the
# copied pg_config and postgres use the copied directories.  Headers are only
# read: a link.
for d in "$SYS_bindir" "$SYS_pkglibdir" "$SYS_sharedir"; do
	mkdir -p "$T$(dirname "$d")" && cp -a "$d" "$T$d" || fail "copying $d"
done
mkdir -p "$T$(dirname "$SYS_includedir")" && ln -s "$SYS_includedir" "$T$SYS_includedir"
[ -e "$T$SYS_includedir_server" ] ||
	{ mkdir -p "$T$(dirname "$SYS_includedir_server")" && ln -s "$SYS_includedir_server" "$T$SYS_includedir_server"; }
PGC=$BIN/pg_config
[ "$("$PGC" --sharedir)" = "$T$SYS_sharedir" ] && [ "$("$PGC" --pkglibdir)" = "$T$SYS_pkglibdir" ] ||
	fail "the copied server is not relocatable ($("$PGC" --sharedir), $("$PGC" --pkglibdir))"
# the install below must land in real copies, never through a link into the system
for d in "$BIN" "$T$SYS_pkglibdir" "$T$SYS_sharedir" "$T$SYS_sharedir/extension"; do
	[ -d "$d" ] && [ ! -L "$d" ] || fail "$d is not a copied directory"
done
# no file of the system's mlsql install stays (its bitcode could be inlined by a JIT)
rm -rf "$T$SYS_pkglibdir"/mlsql.so "$T$SYS_pkglibdir/bitcode/mlsql" "$T$SYS_pkglibdir/bitcode/mlsql.index.bc" \
	"$T$SYS_sharedir"/extension/mlsql[.-]*

# mlsql with the sanitizers, from a copy of the tree.  -shared-libasan: the
# module references the runtime the server preloads.  No bitcode (with_llvm),
# no _FORTIFY_SOURCE (its checked copies bypass ASan's interceptors).
mkdir "$T/build"
(cd "$ROOT" && tar --exclude=./.git --exclude='*.o' --exclude='*.so' --exclude='*.bc' \
	--exclude=./results --exclude=./log --exclude=./tmp_check -cf - .) | tar -C "$T/build" -xf - ||
	fail "copying the source tree"
MAKEVARS=(PG_CONFIG="$PGC" CC="$CLANG" with_llvm=no
	CPPFLAGS="$("$PGC" --cppflags | sed 's/-D_FORTIFY_SOURCE=[0-9]*//')"
	COPT="$SANFLAGS -shared-libasan -Wno-unknown-warning-option -Wno-ignored-optimization-argument ${SANITIZE_CFLAGS:-}")
env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL make -C "$T/build" -s -j2 "${MAKEVARS[@]}" >"$T/build.log" 2>&1 &&
	env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL make -C "$T/build" -s "${MAKEVARS[@]}" install >>"$T/build.log" 2>&1 ||
	fail "building mlsql with the sanitizers" "$T/build.log"
readelf -d "$T$SYS_pkglibdir/mlsql.so" | grep -q "libclang_rt.asan" ||
	fail "the installed mlsql.so does not reference the ASan runtime"

# The ASan runtime is preloaded, not linked into postgres, so it starts lazily
# from the first malloc; when that happens inside a library constructor's
# bindtextdomain (libgpg-error's), the runtime's dlerror() after its failed
# dlsym("swift_demangle") re-takes glibc's gettext lock and the process hangs
# (llvm/llvm-project#49223; this is why `postgres -V` hangs under a plain
# LD_PRELOAD).  A stub swift_demangle makes that dlsym succeed.
printf '%s\n' 'const char *swift_demangle(const char *, unsigned long, char *, unsigned long *, unsigned);' \
	'const char *swift_demangle(const char *n, unsigned long l, char *o, unsigned long *ol, unsigned f)' \
	'{ (void) n; (void) l; (void) o; (void) ol; (void) f; return 0; }' >"$T/swift_stub.c"
"$CLANG" -shared -fPIC -o "$T/swift_stub.so" "$T/swift_stub.c" || fail "building the swift_demangle stub"

mkdir "$T/data" "$T/san" "$T/sock"
chmod -R a+rX "$T"
[ -n "$RUNAS" ] && chown postgres:postgres "$T/data" "$T/san" "$T/sock"
# initdb without the runtime: nothing of ours runs there
$RUNAS "$BIN/initdb" -D "$T/data" -A trust -U "$PGUSER" -E UTF8 --locale=C.UTF-8 --no-sync \
	>"$T/initdb.log" 2>&1 || fail "initdb" "$T/initdb.log"
PGPORT=55433
while [ "$PGPORT" = 55499 ] || [ -e "/tmp/.s.PGSQL.$PGPORT" ] ||
	(exec 3<>/dev/tcp/127.0.0.1/$PGPORT) 2>/dev/null; do
	PGPORT=$((PGPORT + 1))
done
export PGHOST=$T/sock PGPORT PGUSER PGDATABASE=postgres
# A backend halts on the first report of either sanitizer, written to
# $T/san/report.PID (one log_path: the two runtimes share it).  No JIT (LLVM
# under the preloaded runtime is not what is tested here).  No progress
# NOTICEs: they appear when one call runs past mlsql.progress seconds (5),
# which the slower instrumented build does in the ensemble test.
$RUNAS env LD_PRELOAD="$RT $T/swift_stub.so" \
	ASAN_OPTIONS="detect_leaks=0:halt_on_error=1:log_path=$T/san/report" \
	UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1:log_path=$T/san/report" \
	"$BIN/postgres" -D "$T/data" -p "$PGPORT" -k "$T/sock" -c listen_addresses= -c fsync=off \
	-c jit=off -c mlsql.progress=0 -c max_parallel_workers_per_gather=2 >"$T/server.log" 2>&1 </dev/null &
for _ in $(seq 1 600); do
	"$BIN/pg_isready" -q && break
	sleep 0.1
done
"$BIN/pg_isready" -q || fail "the server did not start" "$T/server.log"

# pg_regress on the copy of the tree (its \copy paths are relative to it)
timeout "${SANITIZE_TIMEOUT:-1800}" env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL \
	make -C "$T/build" -s "${MAKEVARS[@]}" installcheck \
	EXTRA_REGRESS_OPTS="--host=$PGHOST --port=$PGPORT --user=$PGUSER" >"$T/regress.log" 2>&1
rc=$?
[ "$rc" = 124 ] && echo "# pg_regress ran past ${SANITIZE_TIMEOUT:-1800} s"
grep -E '^(test| ) *[a-z_]+ +\.\.\. ' "$T/regress.log" |
	sed -E 's/^(test)? *([a-z_]+) +\.\.\. +(ok|FAILED|failed).*/\3 \2/' |
	awk '{ if ($1 == "ok") print "ok - sanitize/regress/" $2; else print "not ok - sanitize/regress/" $2 }' >"$T/regress.tap"
# the plan: every test of REGRESS, and the reports line
echo "1..$(($(make -s -C "$T/build" print-regress | wc -w) + 1))"
cat "$T/regress.tap"
[ -s "$T/regress.tap" ] || { echo "not ok - sanitize/regress: pg_regress did not run"; sed 's/^/# /' "$T/regress.log" | tail -40; }
[ -f "$T/build/regression.diffs" ] && head -200 "$T/build/regression.diffs" | sed 's/^/# /'

# stop the server so that every backend has exited, then read the reports
$RUNAS "$BIN/pg_ctl" -D "$T/data" -m fast -w stop >/dev/null 2>&1
# (any output of the runtimes counts: a clean run writes none)
reports=$(find "$T/san" -type f -size +0 | sort)
# a backend that halted skipped its exit cleanup: the postmaster logs it
died=$(grep -E 'server process .* (terminated by signal|exited with exit code)|runtime error:|ERROR: AddressSanitizer' "$T/server.log")
if [ -z "$reports" ] && [ -z "$died" ]; then
	echo "ok - sanitize/regress/reports: no AddressSanitizer or UndefinedBehaviorSanitizer report"
else
	echo "not ok - sanitize/regress/reports: $(echo "$reports" | grep -c .) report(s)"
	for f in $(echo "$reports" | head -3); do head -60 "$f" | sed 's/^/# /'; done
	[ -n "$died" ] && echo "$died" | head -20 | sed 's/^/# /'
fi
echo "# sanitize/regress: $(($(date +%s) - START)) s"
! grep -q '^not ok' "$T/regress.tap" && [ -s "$T/regress.tap" ] && [ -z "$reports" ] && [ -z "$died" ]
