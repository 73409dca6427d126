#!/bin/bash
# Source checks that need no server (TAP-like lines):
#  - the one door to the catalog: no file of src/ but the door's two halves
#    (src/pg/catalog.c, src/pg/catalog_runs.c) holds SQL on mlsql.*, only
#    they include catalog_door.h, and only catalog.c switches identity;
#  - mlsql.so exports only its fmgr entry points, their info functions, the
#    magic block and _PG_init (built with -fvisibility=hidden);
#  - the upgrade scripts of src/sql/upgrade lead from the frozen first
#    release to the version mlsql.control installs;
#  - the keys of params that configure ml_train itself are the same in
#    src/pg/params.c and in the SQL that passes them on (ml_calibrate).
# Usage: test/check_sources.sh [path/to/mlsql.so]
ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT" || exit 1
SO=${1:-mlsql.so}
echo "1..7"

# a C string literal holding an SQL keyword and a name in schema mlsql; the
# aggregate engine's pass queries (src/pg/engine.c) read the caller's source
# as the caller and may call the engine's own functions, never a catalog table
sql_pattern='"[^"]*\b(SELECT|INSERT|UPDATE|DELETE|FROM|INTO|JOIN|TABLE|nextval)\b[^"]*mlsql\.[a-z_]+|"[^"]*mlsql\.[a-z_]+\('
DOOR="src/pg/catalog.c src/pg/catalog_runs.c"
sql_hits=$(for f in $(find src -name '*.c' ! -path src/pg/catalog.c ! -path src/pg/catalog_runs.c); do
	if [ "$f" = src/pg/engine.c ]; then
		sed -E 's/mlsql\.(engine_pass|engine_bucket|raw_num|raw_text)\(/engine_fn(/g' "$f"
	else
		cat "$f"
	fi | grep -nE "$sql_pattern" | sed "s|^|$f:|"
done | grep -v 'errmsg\|errhint\|errdetail')
# the door's helpers (catalog_door.h) are the door's own
door_inc=$(grep -ln 'catalog_door\.h' $(find src -name '*.[ch]') | grep -vxF -e src/pg/catalog.c -e src/pg/catalog_runs.c -e src/pg/catalog_door.h)
if [ -z "$sql_hits$door_inc" ]; then
	echo "ok - sources/catalog_door: SQL on mlsql.* only in $DOOR"
else
	echo "not ok - sources/catalog_door: SQL on mlsql.* or the door's helpers outside $DOOR:"
	printf "%s\n%s\n" "$sql_hits" "$door_inc" | grep . | sed "s/^/#   /"
fi

# SQL constructs that look an operator up by name, in the door's statements
name_hits=$(grep -nE '"[^"]*(IS (NOT )?DISTINCT FROM| IN \(|NULLIF\(|BETWEEN|[^_]LIKE |CASE [a-z_.]+ WHEN)' $DOOR)
if [ -z "$name_hits" ]; then
	echo "ok - sources/qualified_sql: the catalog door's SQL looks no operator up by name"
else
	echo "not ok - sources/qualified_sql: constructs that resolve = by search_path in src/pg/catalog.c and catalog_runs.c:"
	echo "$name_hits" | sed 's/^/#   /'
fi

switch_hits=$(grep -nE 'SetUserIdAndSecContext|SetSessionAuthorization|set_config_option' \
	$(find src -name '*.c' ! -path src/pg/catalog.c))
if [ -z "$switch_hits" ]; then
	echo "ok - sources/identity_switch: only the catalog door switches identity"
else
	echo "not ok - sources/identity_switch: identity or settings changed outside src/pg/catalog.c and catalog_runs.c:"
	echo "$switch_hits" | sed 's/^/#   /'
fi

# learners speak for themselves: no file outside src/algo and src/ensemble
# (the learners' own directories) names one in a string
names=$(grep -ohE '^\s*\.name = "[a-z_]+"' src/algo/*.c src/ensemble/*.c | sed -E 's/.*"([a-z_]+)"/\1/' | sort -u)
learner_hits=$(for n in $names; do grep -nE "\"$n\"" $(find src -name '*.c' ! -path 'src/algo/*' ! -path 'src/ensemble/*'); done)
if [ -n "$names" ] && [ -z "$learner_hits" ]; then
	echo "ok - sources/learner_names: no learner named outside src/algo and src/ensemble ($(echo "$names" | wc -w) learners)"
else
	echo "not ok - sources/learner_names: learners named outside their own files:"
	echo "$learner_hits" | sed 's/^/#   /'
fi

# from the one install script kept whole (the first release's) through the
# mlsql--A--B.sql scripts to default_version: the path an old installation's
# ALTER EXTENSION mlsql UPDATE takes (test/integration/upgrade.sh runs it)
want=$(sed -n "s/^default_version = '\(.*\)'$/\1/p" mlsql.control)
roots=$(cd src/sql/upgrade && ls mlsql--*.sql | grep -v -- '--.*--' | sed 's/^mlsql--//; s/\.sql$//')
v=$roots path=$roots
while [ "$(echo "$roots" | wc -w)" -eq 1 ] && s=$(ls src/sql/upgrade/mlsql--"$v"--*.sql 2>/dev/null) &&
	[ "$(echo "$s" | wc -w)" -eq 1 ]; do
	v=$(basename "$s" .sql | sed 's/^mlsql--.*--//')
	path="$path -> $v"
done
if [ -n "$want" ] && [ "$v" = "$want" ]; then
	echo "ok - sources/upgrade_path: $path"
else
	echo "not ok - sources/upgrade_path: src/sql/upgrade leads from '$roots' to '$path', not on to $want (one root, one script per step)"
fi

# ml_train's own params keys (src/pg/params.c, general_keys) against the copy
# ml_calibrate's SQL keeps apart from the learner's (src/sql/85_calibrate.sql
# and the upgrade script that installs it)
c_keys=$(sed -n '/general_keys\[\] = {/,/};/p' src/pg/params.c | grep -o '"[a-z_]*"' | tr -d '"' | sort | tr '\n' ',')
sql_keys=$(grep -h "general constant text\[\]" src/sql/*.sql src/sql/upgrade/*.sql |
	sed -E "s/.*'\{([^}]*)\}'.*/\1/" | sort -u)
mismatch=$(for k in $sql_keys; do [ "$(echo "$k" | tr ',' '\n' | sort | tr '\n' ',')" = "$c_keys" ] || echo "$k"; done)
if [ -n "$c_keys" ] && [ -n "$sql_keys" ] && [ -z "$mismatch" ]; then
	echo "ok - sources/train_keys: ml_calibrate passes on the params keys params.c gives ml_train (${c_keys%,})"
else
	echo "not ok - sources/train_keys: params.c's general_keys (${c_keys%,}) differ from the SQL's: ${mismatch:-none found}"
fi

if [ ! -f "$SO" ]; then
	echo "not ok - sources/exports: $SO not built"
	exit 0
fi
syms=$(nm -D --defined-only "$SO" | awk '{print $3}' | sort)
bad=""
n=0
for s in $syms; do
	case "$s" in
	Pg_magic_func | _PG_init) ;;
	pg_finfo_*) n=$((n + 1)) ;;
	*) echo "$syms" | grep -qx "pg_finfo_$s" || bad="$bad $s" ;;
	esac
done
if [ -z "$bad" ] && [ "$n" -gt 0 ]; then
	echo "ok - sources/exports: $(echo "$syms" | wc -l) symbols, $n entry points with their info functions"
else
	echo "not ok - sources/exports: exported beyond the entry points:$bad"
fi
