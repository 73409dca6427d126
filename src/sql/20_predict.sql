/*
 * Scoring (src/pg/predict.c): a model is named by a reference ('project',
 * 'project@3', 'project@alias') or by its id; the features by a row (its
 * columns mapped by name) or by an array of the model's raw columns in
 * training order (numbers and booleans; the model's preprocessing runs, as
 * for a row).
 */

CREATE FUNCTION ml_predict(project text, features float8[]) RETURNS float8
AS 'MODULE_PATHNAME', 'mlsql_predict_ref_array' LANGUAGE C STABLE PARALLEL SAFE;
CREATE FUNCTION ml_predict(project text, features record) RETURNS float8
AS 'MODULE_PATHNAME', 'mlsql_predict_ref_record' LANGUAGE C STABLE PARALLEL SAFE;
CREATE FUNCTION ml_predict(model_id bigint, features float8[]) RETURNS float8
AS 'MODULE_PATHNAME', 'mlsql_predict_id_array' LANGUAGE C STABLE PARALLEL SAFE;
CREATE FUNCTION ml_predict(model_id bigint, features record) RETURNS float8
AS 'MODULE_PATHNAME', 'mlsql_predict_id_record' LANGUAGE C STABLE PARALLEL SAFE;
COMMENT ON FUNCTION ml_predict(text, float8[]) IS 'predicted value, or predicted label for numeric / bool labels, of the model''s raw columns in training order';
COMMENT ON FUNCTION ml_predict(text, record) IS 'predicted value; the row''s columns are mapped to features by name';
COMMENT ON FUNCTION ml_predict(bigint, float8[]) IS 'predicted value with model id, of its raw columns in training order';
COMMENT ON FUNCTION ml_predict(bigint, record) IS 'predicted value with model id; columns mapped by name';

CREATE FUNCTION ml_predict_proba(project text, features float8[]) RETURNS float8[]
AS 'MODULE_PATHNAME', 'mlsql_predict_proba_ref_array' LANGUAGE C STABLE PARALLEL SAFE;
CREATE FUNCTION ml_predict_proba(project text, features record) RETURNS float8[]
AS 'MODULE_PATHNAME', 'mlsql_predict_proba_ref_record' LANGUAGE C STABLE PARALLEL SAFE;
CREATE FUNCTION ml_predict_proba(model_id bigint, features float8[]) RETURNS float8[]
AS 'MODULE_PATHNAME', 'mlsql_predict_proba_id_array' LANGUAGE C STABLE PARALLEL SAFE;
CREATE FUNCTION ml_predict_proba(model_id bigint, features record) RETURNS float8[]
AS 'MODULE_PATHNAME', 'mlsql_predict_proba_id_record' LANGUAGE C STABLE PARALLEL SAFE;
COMMENT ON FUNCTION ml_predict_proba(text, float8[]) IS 'class probabilities, in ml_classes order';
COMMENT ON FUNCTION ml_predict_proba(text, record) IS 'class probabilities, in ml_classes order; columns mapped by name';
COMMENT ON FUNCTION ml_predict_proba(bigint, float8[]) IS 'class probabilities with model id';
COMMENT ON FUNCTION ml_predict_proba(bigint, record) IS 'class probabilities with model id; columns mapped by name';

CREATE FUNCTION ml_predict_label(project text, features float8[]) RETURNS text
AS 'MODULE_PATHNAME', 'mlsql_predict_label_ref_array' LANGUAGE C STABLE PARALLEL SAFE;
CREATE FUNCTION ml_predict_label(project text, features record) RETURNS text
AS 'MODULE_PATHNAME', 'mlsql_predict_label_ref_record' LANGUAGE C STABLE PARALLEL SAFE;
CREATE FUNCTION ml_predict_label(model_id bigint, features float8[]) RETURNS text
AS 'MODULE_PATHNAME', 'mlsql_predict_label_id_array' LANGUAGE C STABLE PARALLEL SAFE;
CREATE FUNCTION ml_predict_label(model_id bigint, features record) RETURNS text
AS 'MODULE_PATHNAME', 'mlsql_predict_label_id_record' LANGUAGE C STABLE PARALLEL SAFE;
COMMENT ON FUNCTION ml_predict_label(text, float8[]) IS 'predicted label as the original text';
COMMENT ON FUNCTION ml_predict_label(text, record) IS 'predicted label as the original text; columns mapped by name';
COMMENT ON FUNCTION ml_predict_label(bigint, float8[]) IS 'predicted label with model id';
COMMENT ON FUNCTION ml_predict_label(bigint, record) IS 'predicted label with model id; columns mapped by name';

CREATE FUNCTION ml_transform(project text, features record) RETURNS float8[]
AS 'MODULE_PATHNAME', 'mlsql_transform_ref_record' LANGUAGE C STABLE PARALLEL SAFE;
CREATE FUNCTION ml_transform(model_id bigint, features record) RETURNS float8[]
AS 'MODULE_PATHNAME', 'mlsql_transform_id_record' LANGUAGE C STABLE PARALLEL SAFE;
COMMENT ON FUNCTION ml_transform(text, record) IS 'the row after the model''s preprocessing: the features its learner sees, the input of the float8[] forms';
COMMENT ON FUNCTION ml_transform(bigint, record) IS 'the row after a model id''s preprocessing';
CREATE FUNCTION ml_transform(project text, features float8[]) RETURNS float8[]
AS 'MODULE_PATHNAME', 'mlsql_transform_ref_array' LANGUAGE C STABLE PARALLEL SAFE;
CREATE FUNCTION ml_transform(model_id bigint, features float8[]) RETURNS float8[]
AS 'MODULE_PATHNAME', 'mlsql_transform_id_array' LANGUAGE C STABLE PARALLEL SAFE;
COMMENT ON FUNCTION ml_transform(text, float8[]) IS 'the model''s raw columns (in training order) after its preprocessing: the features its learner sees';
COMMENT ON FUNCTION ml_transform(bigint, float8[]) IS 'the raw columns of a model id after its preprocessing';

CREATE FUNCTION ml_classes(project text) RETURNS text[]
AS 'MODULE_PATHNAME', 'mlsql_classes_ref' LANGUAGE C STABLE PARALLEL SAFE;
CREATE FUNCTION ml_classes(model_id bigint) RETURNS text[]
AS 'MODULE_PATHNAME', 'mlsql_classes_id' LANGUAGE C STABLE PARALLEL SAFE;
COMMENT ON FUNCTION ml_classes(text) IS 'class labels, in the order ml_predict_proba uses';
COMMENT ON FUNCTION ml_classes(bigint) IS 'class labels of a model id, in the order ml_predict_proba uses';

CREATE FUNCTION ml_evaluate(project text, source text, threshold float8 DEFAULT NULL) RETURNS jsonb
AS 'MODULE_PATHNAME', 'mlsql_evaluate_ref' LANGUAGE C STABLE PARALLEL UNSAFE;
CREATE FUNCTION ml_evaluate(model_id bigint, source text, threshold float8 DEFAULT NULL) RETURNS jsonb
AS 'MODULE_PATHNAME', 'mlsql_evaluate_id' LANGUAGE C STABLE PARALLEL UNSAFE;
COMMENT ON FUNCTION ml_evaluate(text, text, float8) IS 'metrics of the model on any source that has its feature and target columns; a binary classifier''s labels at its threshold (ml_set_threshold) or the one given';
COMMENT ON FUNCTION ml_evaluate(bigint, text, float8) IS 'metrics of a model id on any source that has its feature and target columns; labels at its threshold or the one given';

CREATE FUNCTION ml_model_info(project text) RETURNS jsonb
AS 'MODULE_PATHNAME', 'mlsql_model_info_ref' LANGUAGE C STABLE PARALLEL SAFE;
CREATE FUNCTION ml_model_info(model_id bigint) RETURNS jsonb
AS 'MODULE_PATHNAME', 'mlsql_model_info_id' LANGUAGE C STABLE PARALLEL SAFE;
COMMENT ON FUNCTION ml_model_info(text) IS 'what a model is: algorithm, features, classes and learned parameters (coefficients)';
COMMENT ON FUNCTION ml_model_info(bigint) IS 'what a model id is: algorithm, features, classes and learned parameters';

CREATE FUNCTION ml_model_id(project text) RETURNS bigint
AS 'MODULE_PATHNAME', 'mlsql_model_id' LANGUAGE C STABLE PARALLEL SAFE;
COMMENT ON FUNCTION ml_model_id(text) IS 'the model id a reference (''project'', ''project@3'', ''project@alias'') resolves to';
