#!/bin/bash
# Search benchmark (not part of the test command):  bash test/bench/search.sh
# Sets up like the test command, loads scikit-learn's breast cancer and
# diabetes data, and measures on gbdt (space: learning_rate log-uniform
# 0.005..0.5, max_depth 1..8, n_trees {20, 50, 100}, subsample 0.5..1):
#  1. TPE against random search, 30 trials each, seeds 1..5: the trial at
#     which each first comes within 0.005 of random search's best score of
#     that seed (cross-validated, 3 folds), averaged over the seeds.
#  2. Successive halving (27 configurations, eta 3) against random search
#     over the same 27 configurations on all rows, on breast cancer, diabetes
#     and digits: best score, the trials' compute seconds (summed over
#     rungs) and the wall time of the whole ml_search call (refit included).
set -euo pipefail
. "$(dirname "$0")/../lib.sh"
install_deps
build_install
start_pg
cd "$ROOT"
export PGDATABASE=postgres PGOPTIONS="-c client_min_messages=warning"
psql -qX -c "CREATE EXTENSION mlsql" -f test/data/load.sql >/dev/null
echo "machine: $(nproc) cores, $(awk '/MemTotal/ {printf "%.0f GiB", $2 / 1048576}' /proc/meminfo), $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ *//')"
SPACE='{"learning_rate": {"log_uniform": [0.005, 0.5]}, "max_depth": {"int_uniform": [1, 8]}, "n_trees": [20, 50, 100], "subsample": {"uniform": [0.5, 1]}}'
psql -qX -v ON_ERROR_STOP=1 <<SQL
CREATE TABLE bench_trials (dataset text, method text, seed int, trial int, score float8, seconds float8);
SET mlsql.threads = 1;
DO \$\$
DECLARE d record; s int; m text;
BEGIN
    FOR d IN SELECT * FROM (VALUES ('breast_cancer', 'bc_train', 'target'), ('diabetes', 'diabetes_train', 'target')) v(name, src, tgt) LOOP
        FOR s IN 1..5 LOOP
            FOREACH m IN ARRAY ARRAY['random', 'bayes'] LOOP
                INSERT INTO bench_trials
                SELECT d.name, m, s, x.trial, x.score, x.seconds
                FROM ml_search('b_' || d.name || '_' || m || '_' || s, d.src, d.tgt, 'gbdt', '$SPACE',
                               method => m, trials => 30, seed => s, deploy => 'never') x;
            END LOOP;
        END LOOP;
    END LOOP;
END \$\$;
\echo
\echo TPE against random search: first trial within 0.005 of the best random trial, mean over seeds 1 to 5
SELECT t.dataset, t.method,
       round(avg((SELECT min(x.trial) FROM bench_trials x WHERE x.dataset = t.dataset AND x.method = t.method
                  AND x.seed = t.seed AND x.score >= b.best - 0.005)), 1) AS trials_to_reach,
       round(avg((SELECT max(x.score) FROM bench_trials x WHERE x.dataset = t.dataset AND x.method = t.method
                  AND x.seed = t.seed))::numeric, 4) AS best_score,
       count(*) FILTER (WHERE (SELECT min(x.trial) FROM bench_trials x WHERE x.dataset = t.dataset AND x.method = t.method
                  AND x.seed = t.seed AND x.score >= b.best - 0.005) IS NULL) AS seeds_not_reached
FROM (SELECT DISTINCT dataset, method, seed FROM bench_trials) t,
     LATERAL (SELECT max(score) AS best FROM bench_trials r WHERE r.dataset = t.dataset AND r.seed = t.seed
              AND r.method = 'random') b
GROUP BY t.dataset, t.method ORDER BY 1, 2 DESC;

CREATE TABLE bench_halving (dataset text, method text, best float8, seconds float8, compute float8);
DO \$\$
DECLARE d record; m text; t0 timestamptz; b float8; c float8;
BEGIN
    FOR d IN SELECT * FROM (VALUES ('breast_cancer', 'bc_train', 'target'), ('diabetes', 'diabetes_train', 'target'),
                                   ('digits', 'SELECT pixels, digit FROM digits', 'digit')) v(name, src, tgt) LOOP
        FOREACH m IN ARRAY ARRAY['random', 'halving'] LOOP
            t0 := clock_timestamp();
            SELECT max(score) FILTER (WHERE status = 'finished'), sum(seconds) INTO b, c
            FROM ml_search('h_' || d.name || '_' || m, d.src, d.tgt, 'gbdt', '$SPACE',
                           method => m, trials => 27, seed => 1, deploy => 'never');
            INSERT INTO bench_halving VALUES (d.name, m, b, extract(epoch FROM clock_timestamp() - t0), c);
        END LOOP;
    END LOOP;
END \$\$;
\echo
\echo Successive halving against random search, 27 configurations, seed 1
\echo compute: seconds of every trial summed over its rungs, wall: the whole call with reading and refit
SELECT h.dataset, round(r.best::numeric, 4) AS random_best, round(h.best::numeric, 4) AS halving_best,
       round((r.best - h.best)::numeric, 4) AS gap, round(r.compute::numeric, 1) AS random_compute_s,
       round(h.compute::numeric, 1) AS halving_compute_s, round((h.compute / r.compute)::numeric, 2) AS compute_share,
       round(r.seconds::numeric, 1) AS random_wall_s, round(h.seconds::numeric, 1) AS halving_wall_s
FROM bench_halving h JOIN bench_halving r ON r.dataset = h.dataset AND r.method = 'random'
WHERE h.method = 'halving' ORDER BY 1;
SQL
