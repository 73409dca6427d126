
-- ==== the book's practices: sanity checks, label issues ====
-- Both reuse the project's recorded training configuration (algorithm,
-- params, target, features, test size, seed) and record what they find as
-- a run of an experiment of their own kind.

-- not SET search_path: the source is read with the caller's search_path, as ml_train reads it
CREATE FUNCTION ml_sanity_check(project text, source text DEFAULT NULL)
RETURNS TABLE (check_name text, passed boolean, value float8, detail text)
AS 'MODULE_PATHNAME', 'mlsql_sanity_check'
LANGUAGE C VOLATILE PARALLEL UNSAFE;
COMMENT ON FUNCTION ml_sanity_check(text, text)
IS 'checks of the project''s training configuration (or of it on another source): overfit a small sample, determinism, shuffled labels, single-feature leakage, train/test overlap, constant and empty features, class balance; recorded as a sanity_check run';

CREATE FUNCTION ml_label_issues(project text, source text DEFAULT NULL, key text DEFAULT NULL,
                                folds int DEFAULT 5)
RETURNS TABLE (row_key text, given text, suggested text, self_confidence float8, margin float8)
AS 'MODULE_PATHNAME', 'mlsql_label_issues'
LANGUAGE C VOLATILE PARALLEL UNSAFE;
COMMENT ON FUNCTION ml_label_issues(text, text, text, int)
IS 'rows whose label is likely wrong (confident learning on out-of-fold probabilities of the project''s configuration), most suspicious first; recorded as a label_issues run';
