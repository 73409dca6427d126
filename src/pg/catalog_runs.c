/*-------------------------------------------------------------------------
 *
 * catalog_runs.c
 *	  The catalog door's statements on what a training records: data
 *	  versions (datasets, snapshots, column statistics), experiments, runs,
 *	  metrics, artifacts and search trials.
 *
 * The other half of the door (catalog.c): every statement goes through
 * catalog_door_exec / catalog_door_insert (the extension owner, restricted,
 * search_path locked) or catalog_read_exec (the caller, row-level security
 * applies), with the same rules: everything qualified, arguments only as
 * parameters.  catalog.c alone switches identity.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <math.h>

#include "access/genam.h"
#include "access/htup_details.h"
#include "access/table.h"
#include "access/xact.h"
#include "catalog/indexing.h"
#include "catalog/namespace.h"
#include "catalog/pg_collation.h"
#include "catalog/pg_extension.h"
#include "catalog/pg_type.h"
#include "commands/extension.h"
#include "executor/spi.h"
#include "funcapi.h"
#include "miscadmin.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/fmgroids.h"
#include "utils/guc.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/rel.h"
#include "utils/ruleutils.h"
#include "utils/syscache.h"
#include "utils/varlena.h"

#include "core/metrics.h"
#include "pg/catalog.h"
#include "pg/catalog_door.h"
#include "pg/mlsql_pg.h"

/* ---- data versions ---- */

int64
catalog_next_dataset_id(void)
{
	int			rc = catalog_door_exec("SELECT pg_catalog.nextval('mlsql.datasets_id_seq'::pg_catalog.regclass)",
							   0, NULL, NULL, NULL, false, 1);

	if (rc != SPI_OK_SELECT)
		elog(ERROR, "could not allocate a dataset id: %s", SPI_result_code_string(rc));
	return catalog_first_int(0);
}

int64
catalog_insert_dataset(int64 id, const char *source, int64 n_rows, Datum columns,
					   const char *fingerprint, Oid snapshot)
{
	char		nulls[7] = "       ";
	Oid			role_type;
	Datum		role = catalog_role_arg(GetUserId(), catalog_legacy_schema(), &role_type);

	if (id == 0)
		nulls[0] = 'n';
	if (!OidIsValid(snapshot))
		nulls[5] = 'n';
	return catalog_door_insert("INSERT INTO mlsql.datasets (id, source, n_rows, columns, fingerprint, snapshot, "
					   "created_by) VALUES (COALESCE($1, "
					   "pg_catalog.nextval('mlsql.datasets_id_seq'::pg_catalog.regclass)), "
					   "$2, $3, $4, $5, $6, $7) RETURNING id",
					   7, (Oid[]) {INT8OID, TEXTOID, INT8OID, JSONBOID, TEXTOID, OIDOID, role_type},
					   (Datum[]) {Int64GetDatum(id), TEXT_ARG(source), Int64GetDatum(n_rows), columns,
					   TEXT_ARG(fingerprint), ObjectIdGetDatum(snapshot), role},
					   nulls);
}

char *
catalog_snapshot_relation(int64 dataset_id)
{
	bool		isnull;
	Oid			rel;
	char	   *nsp,
			   *name;

	catalog_read_exec("SELECT d.snapshot::pg_catalog.oid FROM mlsql.datasets d "
			  "WHERE d.id OPERATOR(pg_catalog.=) $1 AND d.snapshot IS NOT NULL",
			  1, (Oid[]) {INT8OID}, (Datum[]) {Int64GetDatum(dataset_id)}, NULL, true, 1);
	if (SPI_processed == 0)
		return NULL;
	rel = DatumGetObjectId(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull));
	nsp = get_namespace_name(get_rel_namespace(rel));
	name = get_rel_name(rel);
	if (nsp == NULL || name == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_TABLE),
				 errmsg("the table of snapshot " INT64_FORMAT " was dropped", dataset_id)));
	return quote_qualified_identifier(nsp, name);
}

Oid
catalog_create_snapshot_table(int64 id, TupleDesc td)
{
	StringInfoData sql;
	char	   *name = psprintf("snapshot_" INT64_FORMAT, id);
	char	   *owner = GetUserNameFromId(GetUserId(), false);
	Oid			nsp,
				rel;
	int			rc;

	initStringInfo(&sql);
	appendStringInfo(&sql, "CREATE TABLE mlsql.%s (", quote_identifier(name));
	for (int i = 0, n = 0; i < td->natts; i++)
	{
		Form_pg_attribute a = TupleDescAttr(td, i);

		if (a->attisdropped)
			continue;
		appendStringInfo(&sql, "%s%s %s", n++ ? ", " : "", quote_identifier(NameStr(a->attname)),
						 format_type_extended(a->atttypid, a->atttypmod,
											  FORMAT_TYPE_TYPEMOD_GIVEN | FORMAT_TYPE_FORCE_QUALIFY));
		if (OidIsValid(a->attcollation) && a->attcollation != get_typcollation(a->atttypid))
		{
			HeapTuple	ct = SearchSysCache1(COLLOID, ObjectIdGetDatum(a->attcollation));
			Form_pg_collation coll;

			if (!HeapTupleIsValid(ct))
				elog(ERROR, "cache lookup failed for collation %u", a->attcollation);
			coll = (Form_pg_collation) GETSTRUCT(ct);
			/* always qualified: the door's search_path is not the caller's */
			appendStringInfo(&sql, " COLLATE %s",
							 quote_qualified_identifier(get_namespace_name(coll->collnamespace),
														NameStr(coll->collname)));
			ReleaseSysCache(ct);
		}
	}
	appendStringInfoString(&sql, ")");
	rc = catalog_door_exec(sql.data, 0, NULL, NULL, NULL, false, 0);
	if (rc != SPI_OK_UTILITY)
		elog(ERROR, "could not create the snapshot table: %s", SPI_result_code_string(rc));
	rc = catalog_door_exec(psprintf("ALTER TABLE mlsql.%s OWNER TO %s", quote_identifier(name), quote_identifier(owner)),
				   0, NULL, NULL, NULL, false, 0);
	if (rc != SPI_OK_UTILITY)
		elog(ERROR, "could not give the snapshot table to its owner: %s", SPI_result_code_string(rc));
	nsp = get_namespace_oid("mlsql", false);
	rel = get_relname_relid(name, nsp);
	if (!OidIsValid(rel))
		elog(ERROR, "snapshot table %s was not created", name);
	return rel;
}

bool
catalog_column_stats(int64 dataset_id, const char *column, CatalogColumnStats *out)
{
	HeapTuple	t;
	TupleDesc	td;
	bool		isnull;
	Datum		d;
	Datum	   *el;
	bool	   *nl;
	int			n;

	catalog_read_exec("SELECT (c OPERATOR(pg_catalog.->>) 'nulls')::pg_catalog.float8 OPERATOR(pg_catalog./) "
			  " CASE WHEN (c OPERATOR(pg_catalog.->>) 'count')::pg_catalog.float8 OPERATOR(pg_catalog.>) 0 "
			  " THEN (c OPERATOR(pg_catalog.->>) 'count')::pg_catalog.float8 END, "
			  "ARRAY(SELECT pg_catalog.jsonb_array_elements_text(c OPERATOR(pg_catalog.->) 'edges')::pg_catalog.float8), "
			  "ARRAY(SELECT pg_catalog.jsonb_array_elements_text(c OPERATOR(pg_catalog.->) 'shares')::pg_catalog.float8), "
			  "ARRAY(SELECT x OPERATOR(pg_catalog.->>) 'value' "
			  "      FROM pg_catalog.jsonb_array_elements(c OPERATOR(pg_catalog.->) 'top') x), "
			  "ARRAY(SELECT (x OPERATOR(pg_catalog.->>) 'share')::pg_catalog.float8 "
			  "      FROM pg_catalog.jsonb_array_elements(c OPERATOR(pg_catalog.->) 'top') x) "
			  "FROM mlsql.datasets d, pg_catalog.jsonb_array_elements(d.columns) c "
			  "WHERE d.id OPERATOR(pg_catalog.=) $1 AND (c OPERATOR(pg_catalog.->>) 'name') OPERATOR(pg_catalog.=) $2 "
			  "AND (c OPERATOR(pg_catalog.->>) 'role') OPERATOR(pg_catalog.=) 'feature'",
			  2, (Oid[]) {INT8OID, TEXTOID},
			  (Datum[]) {Int64GetDatum(dataset_id), TEXT_ARG(column)}, NULL, true, 1);
	if (SPI_processed == 0)
		return false;
	memset(out, 0, sizeof(*out));
	t = SPI_tuptable->vals[0];
	td = SPI_tuptable->tupdesc;
	d = SPI_getbinval(t, td, 1, &isnull);
	out->null_rate = isnull ? NAN : DatumGetFloat8(d);
	for (int col = 2; col <= 5; col++)
	{
		d = SPI_getbinval(t, td, col, &isnull);
		if (isnull)
			continue;
		if (col == 4)
		{
			deconstruct_array(DatumGetArrayTypeP(d), TEXTOID, -1, false, TYPALIGN_INT, &el, &nl, &n);
			out->top_values = palloc(sizeof(char *) * Max(n, 1));
			for (int i = 0; i < n; i++)
				out->top_values[i] = nl[i] ? pstrdup("") : TextDatumGetCString(el[i]);
			out->n_top = n;
			continue;
		}
		deconstruct_array(DatumGetArrayTypeP(d), FLOAT8OID, 8, FLOAT8PASSBYVAL, TYPALIGN_DOUBLE,
						  &el, &nl, &n);
		{
			double	   *v = palloc(sizeof(double) * Max(n, 1));

			for (int i = 0; i < n; i++)
				v[i] = nl[i] ? 0 : DatumGetFloat8(el[i]);
			if (col == 2)
				out->edges = v, out->n_edges = n;
			else if (col == 3)
				out->shares = v, out->n_shares = n;
			else
				out->top_shares = v;
		}
	}
	return true;
}

/* ---- experiments, runs, metrics, artifacts ---- */

int64
catalog_insert_experiment(int64 project_id, const char *name, const char *kind, Datum config)
{
	if (catalog_legacy_schema())
		return catalog_door_insert("INSERT INTO mlsql.experiments (project_id, name, kind, config) "
						   "VALUES ($1, $2, $3, $4) RETURNING id",
						   4, (Oid[]) {INT8OID, TEXTOID, TEXTOID, JSONBOID},
						   (Datum[]) {Int64GetDatum(project_id), TEXT_ARG(name), TEXT_ARG(kind), config},
						   NULL);
	return catalog_door_insert("INSERT INTO mlsql.experiments (project_id, name, kind, config, created_by) "
					   "VALUES ($1, $2, $3, $4, $5) RETURNING id",
					   5, (Oid[]) {INT8OID, TEXTOID, TEXTOID, JSONBOID, OIDOID},
					   (Datum[]) {Int64GetDatum(project_id), TEXT_ARG(name), TEXT_ARG(kind), config,
					   ObjectIdGetDatum(GetUserId())},
					   NULL);
}

int64
catalog_find_experiment(int64 project_id, const char *kind, Datum config)
{
	/* only the caller's own: another role's source text may name other tables */
	if (catalog_legacy_schema())
		return 0;
	catalog_read_exec("SELECT e.id FROM mlsql.experiments e WHERE e.project_id OPERATOR(pg_catalog.=) $1 "
			  "AND e.kind OPERATOR(pg_catalog.=) $2 AND e.config OPERATOR(pg_catalog.=) $3 "
			  "AND e.created_by::pg_catalog.oid OPERATOR(pg_catalog.=) $4 ORDER BY e.id DESC LIMIT 1",
			  4, (Oid[]) {INT8OID, TEXTOID, JSONBOID, OIDOID},
			  (Datum[]) {Int64GetDatum(project_id), TEXT_ARG(kind), config, ObjectIdGetDatum(GetUserId())},
			  NULL, false, 1);
	return catalog_first_int(0);
}

void
catalog_run_init(CatalogRun *r)
{
	memset(r, 0, sizeof(*r));
	r->train_seconds = r->rows_per_second = NAN;
	r->cpu_user_seconds = r->cpu_system_seconds = NAN;
	r->peak_memory_bytes = r->n_train = r->n_test = r->n_validation = -1;
	r->status = "finished";
}

int64
catalog_insert_run(const CatalogRun *r)
{
	Datum		v[21];
	char		n[22];
	bool		legacy = catalog_legacy_schema();

	memset(n, ' ', 21);
	n[21] = '\0';
#define OPT(i, cond, datum) do { if (cond) v[i] = (datum); else { v[i] = (Datum) 0; n[i] = 'n'; } } while (0)
	v[0] = Int64GetDatum(r->experiment_id);
	OPT(1, r->parent_run_id != 0, Int64GetDatum(r->parent_run_id));
	v[2] = Int64GetDatum(r->project_id);
	v[3] = TEXT_ARG(r->algorithm);
	v[4] = r->params != (Datum) 0 ? r->params : json_text_to_jsonb("{}", 2);	/* none given: {} */
	v[5] = Int64GetDatum(r->seed);
	OPT(6, r->dataset_id != 0, Int64GetDatum(r->dataset_id));
	v[7] = TEXT_ARG(r->status);
	OPT(8, r->error != NULL, r->error ? TEXT_ARG(r->error) : 0);
	OPT(9, !isnan(r->train_seconds), Float8GetDatum(r->train_seconds));
	OPT(10, !isnan(r->rows_per_second), Float8GetDatum(r->rows_per_second));
	OPT(11, r->peak_memory_bytes >= 0, Int64GetDatum(r->peak_memory_bytes));
	OPT(12, !isnan(r->cpu_user_seconds), Float8GetDatum(r->cpu_user_seconds));
	OPT(13, !isnan(r->cpu_system_seconds), Float8GetDatum(r->cpu_system_seconds));
	v[14] = TEXT_ARG(MLSQL_VERSION);
	v[15] = TEXT_ARG(r->task);
	OPT(16, r->n_train >= 0, Int64GetDatum(r->n_train));
	OPT(17, r->n_test >= 0, Int64GetDatum(r->n_test));
	OPT(18, r->n_validation >= 0, Int64GetDatum(r->n_validation));
	OPT(19, r->preprocess != (Datum) 0, r->preprocess);
	OPT(20, r->test_fingerprint != NULL, r->test_fingerprint ? TEXT_ARG(r->test_fingerprint) : 0);
#undef OPT
	return catalog_door_insert(legacy
					   ? "INSERT INTO mlsql.runs (experiment_id, parent_run_id, project_id, algorithm, params, "
					   "seed, dataset_id, status, error, started_at, finished_at, train_seconds, "
					   "rows_per_second, peak_memory_bytes, cpu_user_seconds, cpu_system_seconds, "
					   "mlsql_version, pg_version, task, n_train, n_test, n_validation, preprocess) "
					   "VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, pg_catalog.now(), "
					   "pg_catalog.clock_timestamp(), $10, $11, $12, $13, $14, $15, "
					   "pg_catalog.current_setting('server_version'), $16, $17, $18, $19, $20) RETURNING id"
					   : "INSERT INTO mlsql.runs (experiment_id, parent_run_id, project_id, algorithm, params, "
					   "seed, dataset_id, status, error, started_at, finished_at, train_seconds, "
					   "rows_per_second, peak_memory_bytes, cpu_user_seconds, cpu_system_seconds, "
					   "mlsql_version, pg_version, task, n_train, n_test, n_validation, preprocess, "
					   "test_fingerprint) "
					   "VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, pg_catalog.now(), "
					   "pg_catalog.clock_timestamp(), $10, $11, $12, $13, $14, $15, "
					   "pg_catalog.current_setting('server_version'), $16, $17, $18, $19, $20, $21) RETURNING id",
					   legacy ? 20 : 21,
					   (Oid[]) {INT8OID, INT8OID, INT8OID, TEXTOID, JSONBOID, INT8OID, INT8OID, TEXTOID,
						   TEXTOID, FLOAT8OID, FLOAT8OID, INT8OID, FLOAT8OID, FLOAT8OID, TEXTOID, TEXTOID,
					   INT8OID, INT8OID, INT8OID, JSONBOID, TEXTOID},
					   v, n);
}

void
catalog_set_parent_run(int64 run_id, int64 parent_run_id)
{
	int			rc = catalog_door_exec("UPDATE mlsql.runs SET parent_run_id = $1 WHERE id OPERATOR(pg_catalog.=) $2",
							   2, (Oid[]) {INT8OID, INT8OID},
							   (Datum[]) {Int64GetDatum(parent_run_id), Int64GetDatum(run_id)},
							   NULL, false, 0);

	if (rc != SPI_OK_UPDATE)
		elog(ERROR, "run update failed: %s", SPI_result_code_string(rc));
}

static Datum *
grow_datums(Datum *p, int cap)
{
	return p ? repalloc(p, sizeof(Datum) * cap) : palloc(sizeof(Datum) * cap);
}

void
add_metric(MetricRows *r, const char *split, const char *name, int step, double value)
{
	if (r->n == r->cap)
	{
		r->cap = r->cap ? r->cap * 2 : 64;
		r->split = grow_datums(r->split, r->cap);
		r->name = grow_datums(r->name, r->cap);
		r->step = grow_datums(r->step, r->cap);
		r->value = grow_datums(r->value, r->cap);
		r->step_null = r->step_null ? repalloc(r->step_null, sizeof(bool) * r->cap)
			: palloc(sizeof(bool) * r->cap);
	}
	r->split[r->n] = CStringGetTextDatum(split);
	r->name[r->n] = CStringGetTextDatum(name);
	r->step[r->n] = Int32GetDatum(step);
	r->step_null[r->n] = step < 0;
	r->value[r->n] = Float8GetDatum(value);
	r->n++;
}

void
add_metric_set(MetricRows *r, const char *split, const MLMetricSet *m)
{
	for (int i = 0; i < m->n; i++)
		add_metric(r, split, m->names[i], -1, m->values[i]);
}

void
catalog_insert_metrics(int64 run_id, MetricRows *r)
{
	int			dims[1] = {r->n},
				lbs[1] = {1};
	Datum		vals[5];
	int			rc;

	if (r->n == 0)
		return;
	vals[0] = Int64GetDatum(run_id);
	vals[1] = PointerGetDatum(construct_array(r->split, r->n, TEXTOID, -1, false, TYPALIGN_INT));
	vals[2] = PointerGetDatum(construct_array(r->name, r->n, TEXTOID, -1, false, TYPALIGN_INT));
	vals[3] = PointerGetDatum(construct_md_array(r->step, r->step_null, 1, dims, lbs,
												 INT4OID, 4, true, TYPALIGN_INT));
	vals[4] = PointerGetDatum(construct_array(r->value, r->n, FLOAT8OID, 8,
											  FLOAT8PASSBYVAL, TYPALIGN_DOUBLE));
	/* ROWS FROM, not unnest(a, b, ...): that form exists only unqualified */
	rc = catalog_door_exec("INSERT INTO mlsql.metrics (run_id, split, name, step, value) "
				   "SELECT $1, u.s, u.n, u.st, u.v FROM ROWS FROM (pg_catalog.unnest($2), "
				   "pg_catalog.unnest($3), pg_catalog.unnest($4), pg_catalog.unnest($5)) AS u(s, n, st, v)",
				   5, (Oid[]) {INT8OID, TEXTARRAYOID, TEXTARRAYOID, INT4ARRAYOID, FLOAT8ARRAYOID},
				   vals, NULL, false, 0);
	if (rc != SPI_OK_INSERT)
		elog(ERROR, "metrics insert failed: %s", SPI_result_code_string(rc));
}

void
catalog_insert_artifact(int64 run_id, const char *name, const char *content_type,
						const void *data, size_t len)
{
	bytea	   *content = palloc(VARHDRSZ + len);
	int			rc;

	SET_VARSIZE(content, VARHDRSZ + len);
	memcpy(VARDATA(content), data, len);
	rc = catalog_door_exec("INSERT INTO mlsql.artifacts (run_id, name, content_type, content) "
				   "VALUES ($1, $2, $3, $4)",
				   4, (Oid[]) {INT8OID, TEXTOID, TEXTOID, BYTEAOID},
				   (Datum[]) {Int64GetDatum(run_id), TEXT_ARG(name), TEXT_ARG(content_type),
				   PointerGetDatum(content)},
				   NULL, false, 0);
	if (rc != SPI_OK_INSERT)
		elog(ERROR, "artifact insert failed: %s", SPI_result_code_string(rc));
}

/* the columns of a training configuration c, as CatalogTraining reads them */
#define TRAINING_COLUMNS \
	"c OPERATOR(pg_catalog.->>) 'source', c OPERATOR(pg_catalog.->>) 'target', " \
	"c OPERATOR(pg_catalog.->>) 'algorithm', " \
	"COALESCE(c OPERATOR(pg_catalog.->) 'params', '{}'::pg_catalog.jsonb)::pg_catalog.text, " \
	"c OPERATOR(pg_catalog.->>) 'task', " \
	"CASE WHEN pg_catalog.jsonb_typeof(c OPERATOR(pg_catalog.->) 'features') OPERATOR(pg_catalog.=) 'array' " \
	"THEN ARRAY(SELECT pg_catalog.jsonb_array_elements_text(c OPERATOR(pg_catalog.->) 'features')) END, " \
	"(c OPERATOR(pg_catalog.->>) 'test_size')::pg_catalog.float8, " \
	"(c OPERATOR(pg_catalog.->>) 'seed')::pg_catalog.int8"

void
catalog_training_config(int64 project_id, const char *project, bool replay, CatalogTraining *out)
{
	HeapTuple	tup;
	TupleDesc	desc;
	bool		isnull;
	Datum		d;

	if (replay)
		catalog_read_exec("SELECT " TRAINING_COLUMNS " FROM mlsql.last_training($1, NULL) c",
				  1, (Oid[]) {TEXTOID}, (Datum[]) {TEXT_ARG(project)}, NULL, false, 1);
	else
		catalog_read_exec("SELECT " TRAINING_COLUMNS " FROM (SELECT COALESCE("
				  "(SELECT e.config FROM mlsql.deployments d "
				  " JOIN mlsql.models m ON m.id OPERATOR(pg_catalog.=) d.model_id "
				  " JOIN mlsql.runs r ON r.id OPERATOR(pg_catalog.=) m.run_id "
				  " JOIN mlsql.experiments e ON e.id OPERATOR(pg_catalog.=) r.experiment_id "
				  " WHERE d.project_id OPERATOR(pg_catalog.=) $1 AND e.kind OPERATOR(pg_catalog.=) 'train' "
				  " AND e.config OPERATOR(pg_catalog.?) 'source' ORDER BY d.id DESC LIMIT 1), "
				  "(SELECT e.config FROM mlsql.experiments e WHERE e.project_id OPERATOR(pg_catalog.=) $1 "
				  " AND e.kind OPERATOR(pg_catalog.=) 'train' AND e.config OPERATOR(pg_catalog.?) 'source' "
				  " ORDER BY e.id DESC LIMIT 1)) AS c) s WHERE s.c IS NOT NULL",
				  1, (Oid[]) {INT8OID}, (Datum[]) {Int64GetDatum(project_id)}, NULL, false, 1);
	if (SPI_processed == 0)
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_OBJECT),
				 errmsg("project \"%s\" has no training to check", project),
				 errhint("Train it once with ml_train.")));
	tup = SPI_tuptable->vals[0];
	desc = SPI_tuptable->tupdesc;
	memset(out, 0, sizeof(*out));
	out->source = SPI_getvalue(tup, desc, 1);
	out->target = SPI_getvalue(tup, desc, 2);
	out->algorithm = SPI_getvalue(tup, desc, 3);
	out->params = SPI_getvalue(tup, desc, 4);
	out->task = SPI_getvalue(tup, desc, 5);
	d = SPI_getbinval(tup, desc, 6, &isnull);
	if (!isnull)
	{
		Datum	   *elems;
		bool	   *nulls;
		int			n;

		deconstruct_array(DatumGetArrayTypeP(d), TEXTOID, -1, false, TYPALIGN_INT, &elems, &nulls, &n);
		if (n > 0)
		{
			out->features = palloc(sizeof(char *) * n);
			for (int i = 0; i < n; i++)
				out->features[i] = nulls[i] ? pstrdup("") : TextDatumGetCString(elems[i]);
			out->n_features = n;
		}
	}
	d = SPI_getbinval(tup, desc, 7, &isnull);
	out->test_size = isnull ? 0.25 : DatumGetFloat8(d);
	d = SPI_getbinval(tup, desc, 8, &isnull);
	out->seed = isnull ? 42 : DatumGetInt64(d);
	if (out->source == NULL || out->algorithm == NULL)
		elog(ERROR, "the training configuration of project \"%s\" has no source or algorithm", project);
}

CatalogTrial *
catalog_search_trials(int64 experiment_id, const char *metric, int *n)
{
	CatalogTrial *tr;

	catalog_read_exec("SELECT r.id, r.params::pg_catalog.text, r.status, r.train_seconds, "
			  "(SELECT m.value FROM mlsql.metrics m WHERE m.run_id OPERATOR(pg_catalog.=) r.id "
			  " AND m.split OPERATOR(pg_catalog.=) 'validation' AND m.name OPERATOR(pg_catalog.=) $2 "
			  " AND m.step IS NULL), "
			  "(SELECT m.value FROM mlsql.metrics m WHERE m.run_id OPERATOR(pg_catalog.=) r.id "
			  " AND m.split OPERATOR(pg_catalog.=) 'validation' "
			  " AND m.name OPERATOR(pg_catalog.=) ($2 OPERATOR(pg_catalog.||) '_std') AND m.step IS NULL), "
			  "(SELECT m.value FROM mlsql.metrics m WHERE m.run_id OPERATOR(pg_catalog.=) r.id "
			  " AND m.split OPERATOR(pg_catalog.=) 'validation' "
			  " AND m.name OPERATOR(pg_catalog.=) 'train_fraction' AND m.step IS NULL) "
			  "FROM mlsql.runs r WHERE r.experiment_id OPERATOR(pg_catalog.=) $1 ORDER BY r.id",
			  2, (Oid[]) {INT8OID, TEXTOID},
			  (Datum[]) {Int64GetDatum(experiment_id), TEXT_ARG(metric)}, NULL, false, 0);
	*n = (int) SPI_processed;
	tr = palloc0(sizeof(CatalogTrial) * Max(*n, 1));
	for (int i = 0; i < *n; i++)
	{
		HeapTuple	tup = SPI_tuptable->vals[i];
		TupleDesc	desc = SPI_tuptable->tupdesc;
		bool		isnull;
		Datum		d;

		tr[i].run_id = DatumGetInt64(SPI_getbinval(tup, desc, 1, &isnull));
		tr[i].params = SPI_getvalue(tup, desc, 2);
		tr[i].status = SPI_getvalue(tup, desc, 3);
		d = SPI_getbinval(tup, desc, 4, &isnull);
		tr[i].seconds = isnull ? NAN : DatumGetFloat8(d);
		d = SPI_getbinval(tup, desc, 5, &isnull);
		tr[i].score = isnull ? NAN : DatumGetFloat8(d);
		d = SPI_getbinval(tup, desc, 6, &isnull);
		tr[i].std = isnull ? NAN : DatumGetFloat8(d);
		d = SPI_getbinval(tup, desc, 7, &isnull);
		tr[i].fraction = isnull ? NAN : DatumGetFloat8(d);
	}
	return tr;
}

char *
catalog_first_trial_error(int64 experiment_id)
{
	catalog_read_exec("SELECT r.error FROM mlsql.runs r WHERE r.experiment_id OPERATOR(pg_catalog.=) $1 "
			  "AND r.error IS NOT NULL ORDER BY r.id LIMIT 1",
			  1, (Oid[]) {INT8OID}, (Datum[]) {Int64GetDatum(experiment_id)}, NULL, false, 1);
	if (SPI_processed == 0)
		return NULL;
	return SPI_getvalue(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1);
}

char *
catalog_apply_params(Jsonb *params, Datum vals)
{
	catalog_read_exec("SELECT mlsql.apply_params($1, $2)::pg_catalog.text", 2,
			  (Oid[]) {JSONBOID, JSONBOID}, (Datum[]) {JsonbPGetDatum(params), vals},
			  NULL, true, 1);
	if (SPI_processed != 1)
		elog(ERROR, "apply_params failed");
	return SPI_getvalue(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1);
}


/*
 * The configuration of the project's last ml_train that read a source (as
 * mlsql.last_training finds it when nothing is named), and who recorded
 * it; NULL when there is none.  Read as the caller.
 */
char *
catalog_last_training(int64 project_id, Oid *created_by)
{
	bool		legacy = catalog_legacy_schema();
	bool		isnull;
	char	   *config;
	Datum		who;

	*created_by = InvalidOid;
	catalog_read_exec(legacy
					  ? "SELECT e.config::pg_catalog.text, NULL::pg_catalog.oid FROM mlsql.experiments e "
					  "WHERE e.project_id OPERATOR(pg_catalog.=) $1 AND e.kind OPERATOR(pg_catalog.=) 'train' "
					  "AND e.config OPERATOR(pg_catalog.?) 'source' ORDER BY e.id DESC LIMIT 1"
					  : "SELECT e.config::pg_catalog.text, e.created_by::pg_catalog.oid FROM mlsql.experiments e "
					  "WHERE e.project_id OPERATOR(pg_catalog.=) $1 AND e.kind OPERATOR(pg_catalog.=) 'train' "
					  "AND e.config OPERATOR(pg_catalog.?) 'source' ORDER BY e.id DESC LIMIT 1",
					  1, (Oid[]) {INT8OID}, (Datum[]) {Int64GetDatum(project_id)}, NULL, false, 1);
	if (SPI_processed == 0)
		return NULL;
	config = SPI_getvalue(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1);
	who = SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 2, &isnull);
	if (!isnull)
		*created_by = DatumGetObjectId(who);
	return config;
}

/* the default search space of a learner (mlsql.default_space) */
char *
catalog_default_space(const char *algorithm)
{
	catalog_read_exec("SELECT mlsql.default_space($1)::pg_catalog.text", 1,
			  (Oid[]) {TEXTOID}, (Datum[]) {CStringGetTextDatum(algorithm)}, NULL, true, 1);
	if (SPI_processed != 1)
		elog(ERROR, "default_space failed");
	return SPI_getvalue(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1);
}

