#!/bin/bash
# Concurrent trainings of one project get distinct, gap-free versions, and
# sessions scoring while others train and deploy never fail.
. "$(dirname "$0")/common.inc"
plan 3

q "SELECT version FROM ml_train('conc', 'bc_train', 'target', 'logistic')" >/dev/null
pids=""
for i in 1 2 3 4; do
	psql -qXAt -c "SELECT version FROM ml_train('conc', 'bc_train', 'target', 'logistic', seed => $i, deploy => 'always')" \
		-c "SELECT version FROM ml_train('conc', 'bc_train', 'target', 'logistic', seed => $((i + 10)))" \
		>/dev/null 2>"/tmp/conc.$i.err" &
	pids="$pids $!"
done
scored=0
for r in 1 2 3 4 5; do
	n=$(q "SELECT count(*) FROM bc b WHERE ml_predict('conc', b) IN (0, 1)" 2>/dev/null)
	[ "$n" = 569 ] && scored=$((scored + 1))
done
for p in $pids; do wait "$p"; done
errors=$(cat /tmp/conc.*.err | grep -c ERROR)
rm -f /tmp/conc.*.err
check concurrent_trainings_succeed "$errors" 0
check versions_distinct_and_dense "$(q "SELECT count(*) || '/' || count(DISTINCT version) || '/' || max(version) FROM mlsql.models m JOIN mlsql.projects p ON p.id = m.project_id WHERE p.name = 'conc'")" "9/9/9"
check scoring_during_training "$scored" 5
