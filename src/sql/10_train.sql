/*
 * Training: ml_train (src/pg/train.c), the learners it knows (ml_algorithms,
 * src/pg/learners.c) and the query a source reads (mlsql.source_query).
 */

CREATE FUNCTION ml_train(project text, source text, target text,
                         algorithm text DEFAULT NULL, params jsonb DEFAULT '{}',
                         task text DEFAULT NULL, features text[] DEFAULT NULL,
                         test_size float8 DEFAULT 0.25, seed bigint DEFAULT 42,
                         deploy text DEFAULT 'if_better')
RETURNS TABLE (project text, version int, model_id bigint, run_id bigint, algorithm text,
               task text, metrics jsonb, baseline jsonb, deployed boolean)
AS 'MODULE_PATHNAME', 'mlsql_train'
LANGUAGE C VOLATILE PARALLEL UNSAFE;
COMMENT ON FUNCTION ml_train(text, text, text, text, jsonb, text, text[], float8, bigint, text)
IS 'train a model on a table, view or query, evaluate it against the baseline, record it and deploy it by rule; algorithm NULL: linear for regression, logistic for classification';
CREATE FUNCTION mlsql.source_query(source text) RETURNS text
AS 'MODULE_PATHNAME', 'mlsql_source_query' LANGUAGE C STABLE STRICT;
COMMENT ON FUNCTION mlsql.source_query(text) IS 'the query a source (table, view or query text) reads, as ml_train reads it';

CREATE FUNCTION ml_algorithms()
RETURNS TABLE (algorithm text, tasks text[], engines text[], parameters jsonb, description text)
AS 'MODULE_PATHNAME', 'mlsql_algorithms' LANGUAGE C STABLE PARALLEL SAFE;
COMMENT ON FUNCTION ml_algorithms() IS 'every learner with its tasks, the engines that train it (memory, aggregate, partitions), its parameters (name, type, default, range, choices, doc) and a description, from the learners'' own declarations';
