#!/bin/bash
# mlsql on Citus: a coordinator and two workers started here (when Citus is
# installed; one "skip" line otherwise).  ml_fit on distributed tables
# against the same aggregate on local tables (every learner, every target
# type, params, GROUP BY), and scoring by reference inside distributed
# queries (the coordinator ships the model: src/pg/distribute.c).
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
cd "$ROOT"
PG_CONFIG=${PG_CONFIG:-/usr/lib/postgresql/15/bin/pg_config}
PGBIN=$("$PG_CONFIG" --bindir)
if [ ! -f "$("$PG_CONFIG" --pkglibdir)/citus.so" ]; then
	echo "1..1"
	echo "ok - integration/citus # skip: Citus is not installed (README.md, Developing mlsql, says how to build it)"
	exit 0
fi
. test/integration/tap.inc
plan 63

. test/citus_cluster.inc
check citus_workers "$(q "SELECT count(*) FROM citus_get_active_worker_nodes()")" 2
check citus_mlsql_on_workers "$(q "SELECT string_agg(result, ',') FROM run_command_on_workers(\$\$SELECT extversion FROM pg_extension WHERE extname = 'mlsql'\$\$)")" \
	"$(q "SELECT extversion || ',' || extversion FROM pg_extension WHERE extname = 'mlsql'")"
PGOPTIONS='-c client_min_messages=error' psql -qX -v ON_ERROR_STOP=1 -f test/data/load.sql >/dev/null
for t in bc diabetes iris wine; do
	q "CREATE TABLE d_$t (LIKE $t); SELECT create_distributed_table('d_$t', 'id'); INSERT INTO d_$t SELECT * FROM $t" >/dev/null
done
check citus_distributed "$(q "SELECT count(*) FROM pg_dist_partition WHERE logicalrelid::text LIKE 'd\_%'")" 4
check citus_fit_pushed_down "$(q "EXPLAIN SELECT ml_fit('linear', target, ARRAY[bmi, bp]) FROM d_diabetes" | grep -c 'worker_partial_agg\|Task Count')" 1

# ---- 1. ml_fit: the distributed aggregate against the local one ----
BC="ARRAY[mean_radius, mean_texture, worst_area, worst_concave_points]"
DI="ARRAY[age, sex, bmi, bp, s1, s5]"
# compare NAME TABLE ALGORITHM TARGET FEATURES PARAMS SCORE EXACT
# SCORE: predict (one value) or proba; EXACT: bytes (same bytes) or 1e-9
compare() {
	local name=$1 t=$2 alg=$3 target=$4 f=$5 params=$6 score=$7 exact=$8 call got
	call="ml_fit('$alg', $target, $f${params:+, '$params'})"
	if [ "$score" = proba ]; then
		score="ml_predict_proba(%s, $f)"
	else
		score="ARRAY[ml_predict(%s, $f)]"
	fi
	got=$(q "WITH l AS (SELECT $call AS m FROM $t), d AS (SELECT $call AS m FROM d_$t)
		SELECT CASE WHEN '$exact' = 'bytes' THEN (l.m = d.m)::text
		            ELSE (max(abs(a - b)) < 1e-9)::text END
		FROM l, d, LATERAL (SELECT unnest($(printf "$score" l.m)) AS a, unnest($(printf "$score" d.m)) AS b FROM $t) s
		GROUP BY l.m, d.m" 2>&1)
	check "citus_fit_$name" "$got" true
}
compare linear_float8 diabetes linear target "$DI" '' predict 1e-9
compare linear_params diabetes linear target "$DI" '{"alpha": 0.5}' predict 1e-9
compare baseline_float8 diabetes baseline target "$DI" '' predict 1e-9
compare naive_bayes_text bc naive_bayes diagnosis "$BC" '' proba 1e-9
compare naive_bayes_int4 bc naive_bayes target "$BC" '' proba 1e-9
compare logistic_int4 bc logistic target "$BC" '' proba bytes
compare logistic_int8 bc logistic target::int8 "$BC" '{"alpha": 0.5}' proba bytes
compare logistic_numeric bc logistic target::numeric "$BC" '' proba bytes
compare logistic_bool bc logistic "target = 1" "$BC" '' proba bytes
compare logistic_text iris logistic species "ARRAY[sepal_length, sepal_width, petal_length, petal_width]" '' proba bytes
compare tree_text bc tree diagnosis "$BC" '{"max_depth": 4}' proba bytes
compare tree_float8 diabetes tree target "$DI" '' predict bytes
compare forest bc forest diagnosis "$BC" '{"n_estimators": 20}' proba bytes
compare gbdt bc gbdt diagnosis "$BC" '{"n_trees": 30}' proba bytes
compare gbdt_regression diabetes gbdt target "$DI" '{"n_trees": 30}' predict bytes
compare knn bc knn diagnosis "$BC" '' proba bytes
compare svm bc svm target "$BC" '' proba bytes
compare mlp bc mlp diagnosis "$BC" '{"epochs": 50}' proba bytes
compare adaboost bc adaboost diagnosis "$BC" '' proba bytes
compare bagging bc bagging diagnosis "$BC" '' proba bytes
compare voting bc voting diagnosis "$BC" '{"estimators": [{"algorithm": "logistic"}, {"algorithm": "tree"}]}' proba bytes
compare stacking bc stacking diagnosis "$BC" '{"estimators": [{"algorithm": "logistic"}, {"algorithm": "knn"}]}' proba bytes
compare elastic_net diabetes elastic_net target "$DI" '' predict bytes
compare lasso diabetes lasso target "$DI" '' predict bytes
compare kmeans iris kmeans NULL::float8 "ARRAY[sepal_length, sepal_width, petal_length, petal_width]" '{"k": 3}' predict bytes
compare iforest bc iforest NULL::float8 "$BC" '' predict bytes
# GROUP BY: one model per group, the same per group
check citus_fit_group_by "$(q "WITH l AS (SELECT id % 3 AS g, ml_fit('tree', diagnosis, $BC) AS m FROM bc GROUP BY 1),
	d AS (SELECT id % 3 AS g, ml_fit('tree', diagnosis, $BC) AS m FROM d_bc GROUP BY 1)
	SELECT count(*) FILTER (WHERE l.m = d.m) || '/' || count(*) FROM l JOIN d USING (g)")" 3/3
check citus_fit_group_by_linear "$(q "WITH l AS (SELECT id % 3 AS g, ml_fit('linear', target, $DI) AS m FROM diabetes GROUP BY 1),
	d AS (SELECT id % 3 AS g, ml_fit('linear', target, $DI) AS m FROM d_diabetes GROUP BY 1)
	SELECT max(abs(ml_predict(l.m, $DI) - ml_predict(d.m, $DI))) < 1e-9 FROM l JOIN d USING (g), diabetes")" t

# ---- 2. scoring on the workers ----
q "SELECT count(*) FROM ml_train('cit_bc', 'bc_train', 'target', 'logistic')" >/dev/null
q "SELECT count(*) FROM ml_train('cit_bc', 'bc_train', 'target', 'tree', deploy => 'never')" >/dev/null
q "SELECT ml_alias('cit_bc', 'candidate', 2)" >/dev/null
q "SELECT count(*) FROM ml_train('cit_iris', 'iris_train', 'species', 'gbdt', '{\"n_trees\": 20}')" >/dev/null
q "SELECT count(*) FROM ml_train('cit_db', 'diabetes_train', 'target', 'linear')" >/dev/null
# same_score NAME EXPRESSION(t) TABLE: a number over the distributed table
# equals the one over the local table (within 1e-9, relative: shards sum in
# another order); same_text: equal text
same_score() {
	local got
	got=$(q "SELECT abs(d - l) <= 1e-9 * (1 + abs(l)) FROM (SELECT $2 AS d FROM d_$3 t) a, (SELECT $2 AS l FROM $3 t) b" 2>&1)
	check "citus_score_$1" "$got" t
}
same_text() {
	local got
	got=$(q "SELECT (SELECT $2 FROM d_$3 t) = (SELECT $2 FROM $3 t)" 2>&1)
	check "citus_score_$1" "$got" t
}
same_score predict_name "sum(ml_predict('cit_db', t))" diabetes
same_score predict_array "sum(ml_predict('cit_db', ARRAY[age, sex, bmi, bp, s1, s2, s3, s4, s5, s6]))" diabetes
same_score predict_version "sum(ml_predict('cit_bc@2', t))" bc
same_score predict_alias "sum(ml_predict('cit_bc@candidate', t))" bc
mid=$(q "SELECT mo.id FROM mlsql.models mo JOIN mlsql.projects p ON p.id = mo.project_id WHERE p.name = 'cit_bc' AND mo.version = 1")
same_score predict_id "sum(ml_predict(${mid}::bigint, t))" bc
same_score proba "sum((ml_predict_proba('cit_bc', t))[2])" bc
same_text label "string_agg(ml_predict_label('cit_iris', t), ',' ORDER BY id)" iris
same_score transform "sum((ml_transform('cit_db', t))[3])" diabetes
same_score explain_values "sum((ml_explain_values('cit_iris', t))[1])" iris
check citus_score_explain_rows "$(q "SELECT abs(d - l) <= 1e-9 * (1 + abs(l))
	FROM (SELECT sum(e.contribution) FILTER (WHERE e.feature = 'bmi') AS d FROM d_diabetes t, LATERAL ml_explain('cit_db', t) e) a,
	     (SELECT sum(e.contribution) FILTER (WHERE e.feature = 'bmi') AS l FROM diabetes t, LATERAL ml_explain('cit_db', t) e) b" 2>&1)" t
check citus_score_explain_rows_id "$(q "SELECT abs(d - l) <= 1e-9 * (1 + abs(l))
	FROM (SELECT sum(e.contribution) AS d FROM d_bc t, LATERAL ml_explain(${mid}::bigint, t) e) a,
	     (SELECT sum(e.contribution) AS l FROM bc t, LATERAL ml_explain(${mid}::bigint, t) e) b" 2>&1)" t
check citus_score_pushed_down "$(q "EXPLAIN (VERBOSE) SELECT sum(ml_predict('cit_bc', t)) FROM d_bc t" | grep -q 'Query: SELECT .*mlsql.predict_shipped' && echo yes)" yes
# a deployment on the coordinator is seen by the next query, also through a cached plan
v1=$(q "SELECT sum(ml_predict('cit_bc@1', t)) FROM bc t")
v2=$(q "SELECT sum(ml_predict('cit_bc@2', t)) FROM bc t")
check citus_versions_differ "$([ "$v1" != "$v2" ] && echo yes)" yes
cmds=(-c "PREPARE s AS SELECT sum(ml_predict('cit_bc', t)) FROM d_bc t")
for i in 1 2 3 4 5 6 7; do cmds+=(-c "EXECUTE s"); done
got=$(psql -qXAt "${cmds[@]}" -c "SELECT ml_deploy('cit_bc', 2) IS NOT NULL" -c "EXECUTE s" 2>&1)
check citus_score_redeploy_prepared "$(echo "$got" | grep -E "^[0-9.e+-]+$" | sort -u | wc -l)/$(echo "$got" | head -1)/$(echo "$got" | tail -1)" "2/$v1/$v2"
# a reference from a parameter
cmds=(-c "PREPARE p(text) AS SELECT sum(ml_predict(\$1, t)) FROM d_bc t")
for i in 1 2 3 4 5 6 7 8; do cmds+=(-c "EXECUTE p('cit_bc@1')"); done
got=$(psql -qXAt "${cmds[@]}" 2>&1 | sort -u)
check citus_score_parameter "$got" "$v1"
# grants and row-level security hold: the reference is resolved as the caller
q "DROP ROLE IF EXISTS cit_user; CREATE ROLE cit_user LOGIN; GRANT SELECT ON d_bc TO cit_user" >/dev/null 2>&1
err=$(q "SET ROLE cit_user; SELECT sum(ml_predict('cit_bc', t)) FROM d_bc t" 2>&1)
check citus_score_no_grant "$(echo "$err" | grep -c 'does not exist\|permission denied')" 1
q "SELECT ml_grant('cit_bc', 'cit_user', 'use')" >/dev/null
check citus_score_granted "$(q "SET ROLE cit_user; SELECT sum(ml_predict('cit_bc', t)) FROM d_bc t")" "$v2"
# a cached plan goes when a role membership that granted the project goes
q "DROP ROLE IF EXISTS cit_member; DROP ROLE IF EXISTS cit_group; CREATE ROLE cit_group; CREATE ROLE cit_member LOGIN IN ROLE cit_group;
   GRANT SELECT ON d_bc TO cit_member" >/dev/null 2>&1
q "SELECT ml_grant('cit_bc', 'cit_group', 'use')" >/dev/null
cmds=(-c "SET ROLE cit_member" -c "PREPARE r AS SELECT sum(ml_predict('cit_bc', t)) FROM d_bc t")
for i in 1 2 3 4 5 6 7; do cmds+=(-c "EXECUTE r"); done
got=$(psql -qXAt "${cmds[@]}" -c "RESET ROLE" -c "REVOKE cit_group FROM cit_member" \
	-c "SET ROLE cit_member" -c "EXECUTE r" 2>&1)
check citus_score_membership_revoked "$(echo "$got" | grep -c "^$v2\$")/$(echo "$got" | grep -c 'does not exist')" "7/1"
# training, search and the registry on the coordinator read distributed tables too
# (the rows arrive in another order: the same model within 1e-9, not byte for byte)
q "SELECT count(*) FROM ml_train('cit_dist', 'd_diabetes', 'target', 'linear', features => ARRAY['age', 'bmi', 'bp'])" >/dev/null
q "SELECT count(*) FROM ml_train('cit_loc', 'diabetes', 'target', 'linear', features => ARRAY['age', 'bmi', 'bp'])" >/dev/null
check citus_train_distributed "$(q "SELECT max(abs(ml_predict('cit_dist', t) - ml_predict('cit_loc', t))) < 1e-9 FROM diabetes t")" t
check citus_search_distributed "$(q "SELECT count(*) FILTER (WHERE status = 'finished') FROM ml_search('cit_search', 'd_bc', 'target', 'tree', '{\"max_depth\": [2, 4]}', method => 'grid', features => ARRAY['mean_radius', 'worst_area'])" 2>/dev/null)" 2
check citus_registry "$(q "SELECT count(*) FROM mlsql.leaderboard WHERE project LIKE 'cit\_%'")" \
	"$(q "SELECT count(*) FROM mlsql.models mo JOIN mlsql.projects p ON p.id = mo.project_id WHERE p.name LIKE 'cit\_%'")"

# ---- 3. the aggregate engine: passes pushed to the shards, the same model as on one node ----
DI_F="ARRAY['age', 'sex', 'bmi', 'bp', 's1', 's2', 's3', 's4', 's5', 's6']"
BC_F="ARRAY['mean_radius', 'mean_texture', 'worst_area', 'worst_concave_points']"
check citus_engine_pass_pushed_down "$(q "EXPLAIN SELECT mlsql.engine_pass(NULL::bytea, ARRAY[s.age::pg_catalog.float8]::pg_catalog.float8[], ARRAY[]::pg_catalog.text[], s.target::pg_catalog.float8, NULL::pg_catalog.text) FROM (SELECT * FROM public.d_diabetes) s" | grep -c 'Task Count: 32')" 1
for spec in "lin|diabetes|target|linear|{}|$DI_F" "ridge|diabetes|target|linear|{\"alpha\": 3}|$DI_F" "enet|diabetes|target|elastic_net|{\"alpha\": 0.1}|$DI_F" \
	"nb|bc|diagnosis|naive_bayes|{}|$BC_F" "log|bc|diagnosis|logistic|{}|$BC_F" "log3|iris|species|logistic|{}|NULL" "base|bc|target|baseline|{}|$BC_F"; do
	IFS='|' read -r name t target alg params feats <<<"$spec"
	extra=$(echo "$params" | sed 's/^{//; s/}$//')
	eparams="{\"engine\": \"aggregate\"${extra:+, $extra}}"
	q "SELECT count(*) FROM ml_train('cit_ad_$name', 'd_$t', '$target', '$alg', '$eparams', features => $feats, deploy => 'always')" >/dev/null 2>&1
	q "SELECT count(*) FROM ml_train('cit_al_$name', '$t', '$target', '$alg', '$eparams', features => $feats, deploy => 'always')" >/dev/null 2>&1
	if [ "$alg" = linear ] || [ "$alg" = elastic_net ]; then
		got=$(q "SELECT max(abs(ml_predict('cit_ad_$name', x) - ml_predict('cit_al_$name', x))) < 1e-9 FROM $t x" 2>&1)
	else
		got=$(q "SELECT max(abs(a - b)) < 1e-9 FROM $t x, LATERAL (SELECT unnest(ml_predict_proba('cit_ad_$name', x)) AS a, unnest(ml_predict_proba('cit_al_$name', x)) AS b) p" 2>&1)
	fi
	check "citus_engine_$name" "$got" t
done
check citus_engine_same_metrics "$(q "SELECT count(*) FROM (SELECT substr(p.name, 7) AS k, me.name, me.split, round(me.value::numeric, 9) AS v
	FROM mlsql.projects p JOIN mlsql.runs r ON r.project_id = p.id AND r.parent_run_id IS NULL
	JOIN mlsql.metrics me ON me.run_id = r.id AND me.step IS NULL AND me.name <> 'passes'
	WHERE p.name LIKE 'cit\_a_\_%' GROUP BY 1, 2, 3, 4 HAVING count(*) = 1) lone")" 0
q "SELECT count(*) FROM ml_train('cit_pd', 'd_bc', 'diagnosis', 'tree', '{\"engine\": \"partitions\", \"partitions\": 3}', features => $BC_F, deploy => 'always')" >/dev/null 2>&1
q "SELECT count(*) FROM ml_train('cit_pl', 'bc', 'diagnosis', 'tree', '{\"engine\": \"partitions\", \"partitions\": 3}', features => $BC_F, deploy => 'always')" >/dev/null 2>&1
check citus_engine_partitions "$(q "SELECT count(*) FILTER (WHERE ml_predict_label('cit_pd', x) = ml_predict_label('cit_pl', x)) = count(*) FROM bc x")" t

