#!/bin/bash
# The main job: install what is missing, build and install mlsql, start a
# throwaway PostgreSQL with pg_cron preloaded, load scikit-learn's data,
# train, score, evaluate, and print the metrics and the catalog rows.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
install_deps
build_install
start_pg
cd "$ROOT"
psql -qX -d postgres -c "CREATE DATABASE mlsql_demo"
PGDATABASE=mlsql_demo psql -X -q -f test/sql/demo.sql
