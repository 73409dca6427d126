#!/bin/bash
# The shape of src/, from the built objects and the headers (TAP lines):
#  - layers: src/core reaches into nothing of src/algo, src/ensemble or
#    src/pg, and src/algo and src/ensemble nothing of src/pg, except through
#    the host shim (the functions test/unit/shim_unit.c implements for the
#    unit tests: ml_alloc, ml_error, ...);
#  - calls: the file-level call graph of src/ (file A -> file B when A.o
#    uses a symbol B.o defines; shim symbols left out) has no cycle;
#  - includes: the graph of #include "..." between src/ files has no cycle;
#  - sizes: no source file over 1200 lines; no fmgr entry point over 150
#    lines, no function over 250 lines unless the comment above it says why
#    (a line holding "long:" within the 6 lines before its name).
# Usage: test/check_graph.sh   (after a build: it reads src/*/*.o)
ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT" || exit 1
echo "1..4"
tmp=$(mktemp -d /tmp/mlsql-graph.XXXXXX)
trap 'rm -rf "$tmp"' EXIT

objs=$(ls src/*/*.o 2>/dev/null)
if [ -z "$objs" ]; then
	for c in layers calls; do echo "not ok - graph/$c: no objects under src/ (build first)"; done
else
	for o in $objs; do
		nm --defined-only -g "$o" | awk -v o="$o" '$2 ~ /^[TDBRCV]$/ {print o, $3}'
	done | sort -k2,2 >"$tmp/defs"
	for o in $objs; do nm -u "$o" | awk -v o="$o" '{print o, $2}'; done | sort -k2,2 >"$tmp/uses"
	grep -oE '^[a-z_]+\(' test/unit/shim_unit.c | tr -d '(' | sort -u >"$tmp/shim"
	# user defining-file symbol, shim symbols left out
	join -1 2 -2 2 "$tmp/uses" "$tmp/defs" | awk '{print $2, $3, $1}' |
		grep -vwFf "$tmp/shim" | awk '$1 != $2' | sort -u >"$tmp/edges"

	bad=$(awk '($1 ~ /^src\/core\// && $2 !~ /^src\/core\//) ||
			   ($1 ~ /^src\/(algo|ensemble)\// && $2 ~ /^src\/pg\//)' "$tmp/edges")
	if [ -z "$bad" ]; then
		echo "ok - graph/layers: src/core uses only src/core (and the shim); src/algo and src/ensemble use no src/pg"
	else
		echo "not ok - graph/layers: calls across layers (user, defined in, symbol):"
		echo "$bad" | sed 's/^/#   /'
	fi

	awk '{print $1, $2}' "$tmp/edges" | sort -u >"$tmp/pairs"
	if loop=$(tsort "$tmp/pairs" 2>&1 >/dev/null) && [ -z "$loop" ]; then
		echo "ok - graph/calls: the call graph of src/ between files has no cycle ($(wc -l <"$tmp/pairs") edges)"
	else
		echo "not ok - graph/calls: files that call each other (caller -> callee: a symbol):"
		echo "$loop" | grep -v 'input contains a loop' | sed 's/^tsort: //' | sort -u >"$tmp/loop"
		awk 'NR == FNR { in_loop[$1] = 1; next }
			 in_loop[$1] && in_loop[$2] && !seen[$1 " " $2]++ { print "#   " $1 " -> " $2 ": " $3 }' \
			"$tmp/loop" "$tmp/edges"
	fi
fi

# #include "x.h" edges, resolved relative to the including file, then src/
for f in $(find src -name '*.[ch]'); do
	d=$(dirname "$f")
	grep -oE '^#include "[^"]+"' "$f" | sed -E 's/#include "(.*)"/\1/' | while read -r inc; do
		if [ -f "$d/$inc" ]; then t=$(realpath --relative-to=. "$d/$inc")
		elif [ -f "src/$inc" ]; then t="src/$inc"
		else continue; fi
		echo "$f $t"
	done
done | sort -u >"$tmp/includes"
up=$(awk '($1 ~ /^src\/core\// && $2 !~ /^src\/core\//) ||
		  ($1 ~ /^src\/(algo|ensemble)\// && $2 ~ /^src\/pg\//)' "$tmp/includes")
if loop=$(tsort "$tmp/includes" 2>&1 >/dev/null) && [ -z "$loop$up" ]; then
	echo "ok - graph/includes: no include cycle in src/, no header from a higher layer ($(wc -l <"$tmp/includes") includes)"
else
	echo "not ok - graph/includes: headers that include each other, or a higher layer's:"
	echo "$loop$up" | grep -v 'input contains a loop' | sed 's/^tsort: /#   /' | sort -u
fi

# sizes: files, and function bodies ({ and } in column 0, as pgindent lays them out)
big=$(find src -name '*.[ch]' -exec wc -l {} + | awk '$2 != "total" && $1 > 1200 {print $2 ": " $1 " lines"}')
long=$(for f in $(find src -name '*.c'); do
	awk -v f="$f" '
		{ hist[NR % 8] = $0 }
		/^[A-Za-z_][A-Za-z0-9_]*\(/ { name = $0; sub(/\(.*/, "", name); nline = NR
			why = 0; for (i = 1; i <= 6; i++) if (hist[(NR - i + 8) % 8] ~ /long:/) why = 1 }
		/^\{/ { start = NR; entry = (prev ~ /PG_FUNCTION_ARGS/) }
		/^\}/ && start { len = NR - start - 1
			if (entry && len > 150) print f ": " name " (fmgr entry point) " len " lines"
			else if (len > 250 && !why) print f ": " name " " len " lines, no comment saying why"
			start = 0 }
		{ prev = $0 }' "$f"
done)
if [ -z "$big$long" ]; then
	echo "ok - graph/sizes: no file over 1200 lines, no entry point over 150, no function over 250 without a reason"
else
	echo "not ok - graph/sizes: too long:"
	printf '%s\n%s\n' "$big" "$long" | grep . | sed 's/^/#   /'
fi
