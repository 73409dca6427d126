-- data: snapshots, training from a snapshot, data diffs and drift
-- (on the houses table of the preprocess test)
\i test/regress/houses.sql

SELECT ml_snapshot('SELECT id, city, sqft, rooms, heat, price FROM houses') AS snap \gset
SELECT d.source, d.n_rows, d.snapshot::text = 'mlsql.snapshot_' || :snap AS table_named,
       jsonb_array_length(d.columns) AS columns, d.fingerprint ~ '^[0-9a-f]{16}$' AS fingerprint_ok
FROM mlsql.datasets d WHERE d.id = :snap;
SELECT count(*) AS snapshot_rows FROM mlsql.snapshot_:snap;

-- train from the snapshot; later changes to the live table do not reach it
SELECT version FROM ml_train('from_snap', 'snapshot:' || :snap, 'price', 'linear', features => ARRAY['city', 'sqft', 'rooms']);
UPDATE houses SET sqft = sqft * 2, city = 'rome' WHERE id % 3 = 0;
INSERT INTO houses (id, city, sqft, rooms, garden, heat, listed, seen, emb, price, label)
SELECT id + 1000, city, sqft, rooms, garden, heat, listed, seen, emb, price, label FROM houses WHERE id <= 50;
SELECT version FROM ml_train('from_snap', 'snapshot:' || :snap, 'price', 'linear', features => ARRAY['city', 'sqft', 'rooms']);
SELECT version FROM ml_train('from_snap', 'houses', 'price', 'linear', features => ARRAY['city', 'sqft', 'rooms']);
SELECT d.source LIKE 'snapshot:%' AS from_snapshot, d.n_rows,
       d.fingerprint = first_value(d.fingerprint) OVER (ORDER BY r.id) AS same_as_first
FROM mlsql.runs r JOIN mlsql.datasets d ON d.id = r.dataset_id
WHERE r.project_id = (SELECT id FROM mlsql.projects WHERE name = 'from_snap') AND r.parent_run_id IS NULL
ORDER BY r.id;
-- the same models: byte-identical from the snapshot
SELECT a.model = b.model AS snapshot_reproduces
FROM mlsql.models a, mlsql.models b
WHERE a.project_id = (SELECT id FROM mlsql.projects WHERE name = 'from_snap') AND b.project_id = a.project_id
  AND a.version = 1 AND b.version = 2;

-- what changed between the snapshot and the live table
SELECT ml_snapshot('SELECT id, city, sqft, rooms, heat, price FROM houses') AS snap2 \gset
SELECT column_name, status, statistic, round(value_a::numeric, 3) AS value_a,
       round(value_b::numeric, 3) AS value_b, round(change::numeric, 3) AS change
FROM ml_data_diff(:snap, :snap2)
WHERE statistic IN ('rows', 'count', 'mean', 'distinct', 'nulls') OR status <> 'changed'
ORDER BY column_name NULLS FIRST, statistic;
SELECT ml_snapshot('SELECT id, city, rooms, price, 1 AS extra FROM houses') AS snap3 \gset
SELECT column_name, status FROM ml_data_diff(:snap2, :snap3) WHERE status <> 'changed' ORDER BY 1;
SELECT count(*) AS no_changes FROM ml_data_diff(:snap, :snap);

-- drift of new data against the deployed model's training data
SELECT version FROM ml_train('drift', 'snapshot:' || :snap, 'price', 'linear', features => ARRAY['city', 'sqft', 'rooms']);
SELECT feature, kind, round(psi::numeric, 4) AS psi, unseen_share, null_rate_train = null_rate_new AS same_nulls, drifted
FROM ml_drift('drift', 'snapshot:' || :snap) ORDER BY feature;
SELECT feature, kind, psi > 0.2 AS psi_high, round(unseen_share::numeric, 3) AS unseen_share, drifted
FROM ml_drift('drift', 'houses') ORDER BY feature;
SELECT feature, drifted, round(null_rate_new::numeric, 2) AS null_rate_new
FROM ml_drift('drift', 'SELECT city, NULL::float8 AS sqft, rooms FROM houses') ORDER BY feature;

-- errors
SELECT * FROM ml_data_diff(:snap, 999999);
SELECT * FROM ml_drift('drift', 'SELECT city, rooms FROM houses');
SELECT * FROM ml_drift('no_such_project', 'houses');
SELECT ml_snapshot('no_such_table');
SELECT ml_snapshot(NULL);
