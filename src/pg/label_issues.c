/*-------------------------------------------------------------------------
 *
 * label_issues.c
 *	  ml_label_issues(project, source, key, folds): rows whose label is
 *	  likely wrong, by confident learning (core/labels.h) on out-of-fold
 *	  class probabilities of the project's configuration.
 *
 * Every row of the source takes part: the configuration is prepared with
 * test_size 0 (the preprocessing is fitted on all rows, as the learner's
 * folds then are), the rows are dealt into stratified folds by the seed,
 * and each fold is scored by the learner fitted on the others.  The rows
 * are named by the key column, or by the whole row as JSON, read with the
 * source as an extra column (the way a split_key is read).
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <math.h>

#include "executor/spi.h"
#include "funcapi.h"
#include "utils/builtins.h"
#include "utils/fmgrprotos.h"
#include "utils/jsonb.h"

#include "core/buffer.h"
#include "core/labels.h"
#include "core/rng.h"
#include "pg/catalog.h"
#include "pg/mlsql_pg.h"
#include "pg/params.h"
#include "pg/practices.h"
#include "pg/source.h"

PG_FUNCTION_INFO_V1(mlsql_label_issues);

#define ROW_KEY "mlsql_label_issues_row"	/* the extra column naming each row */
#define MAX_FOLDS 20

/*
 * The source with the row's name as one more column: the key column as
 * text, or the row as JSON.  The source itself is checked first as any
 * source is (one read-only query, run as the caller).
 */
static const char *
source_with_row_key(const char *source, const char *key)
{
	char	   *sql;
	size_t		len;

	(void) source_prepare(source, NULL);
	sql = source_sql(source);
	len = strlen(sql);
	while (len > 0 && (sql[len - 1] == ';' || sql[len - 1] == ' ' || sql[len - 1] == '\n' ||
					   sql[len - 1] == '\t' || sql[len - 1] == '\r'))
		sql[--len] = '\0';
	if (key)
	{
		bool		found = false;

		/* the key must be a column of the source (LIMIT 0: its columns, no rows) */
		if (SPI_execute(psprintf("SELECT * FROM (%s\n) s LIMIT 0", sql), true, 0) != SPI_OK_SELECT)
			elog(ERROR, "could not read the columns of the source");
		for (int i = 0; i < SPI_tuptable->tupdesc->natts && !found; i++)
			found = strcmp(NameStr(TupleDescAttr(SPI_tuptable->tupdesc, i)->attname), key) == 0;
		if (!found)
			ereport(ERROR,
					(errcode(ERRCODE_UNDEFINED_COLUMN),
					 errmsg("key column \"%s\" does not exist in the source", key),
					 errhint("Name the column that identifies a row, or leave key NULL to name rows by their JSON.")));
	}
	return psprintf("SELECT %s AS %s, s.* FROM (%s\n) s",
					key ? psprintf("(s.%s)::pg_catalog.text", quote_identifier(key))
					: "pg_catalog.row_to_json(s)::pg_catalog.text", ROW_KEY, sql);
}

/* params without the project's split options, with the row key read as a split key */
static Jsonb *
params_with_row_key(Jsonb *params)
{
	static const char *const drop[] = {"split", "split_key", "split_column"};
	Datum		p = JsonbPGetDatum(params);
	const char *add = "{\"split_key\": \"" ROW_KEY "\"}";

	for (size_t i = 0; i < lengthof(drop); i++)
		p = DirectFunctionCall2(jsonb_delete, p, CStringGetTextDatum(drop[i]));
	p = DirectFunctionCall2(jsonb_concat, p, json_text_to_jsonb(add, strlen(add)));
	return DatumGetJsonbP(p);
}

/* out-of-fold class probabilities of every training row (n x k, row-major) */
static double *
out_of_fold(const TrainData *td, int folds, const int *fold)
{
	const MLDataset *d = td->train;
	size_t		n = d->n_rows,
				p = d->n_cols;
	int			k = td->model->n_classes;
	double	   *proba = palloc_extended(Max(n, 1) * k * sizeof(double), MCXT_ALLOC_HUGE);
	size_t	   *fit_rows = palloc_extended(Max(n, 1) * sizeof(size_t), MCXT_ALLOC_HUGE);
	double	   *x = palloc(sizeof(double) * Max(p, 1));

	for (int f = 0; f < folds; f++)
	{
		size_t		nf = 0;
		MLModel    *m;

		for (size_t i = 0; i < n; i++)
			if (fold[i] != f)
				fit_rows[nf++] = i;
		m = practice_fit(td, dataset_subset(d, fit_rows, nf),
						 ml_mix64((uint64_t) td->seed ^ ml_mix64(0x1AB5ull + (uint64_t) f)));
		for (size_t i = 0; i < n; i++)
		{
			if (fold[i] != f)
				continue;
			for (size_t j = 0; j < p; j++)
				x[j] = d->X[j * n + i];
			model_predict(m, x, 1, proba + i * k);
		}
	}
	return proba;
}

/* the run: a 'label_issues' experiment, the issues' counts as metrics, the rows as JSON */
static void
label_issues_record(const TrainData *td, int64 project_id, int folds, const char *key,
					const double *proba, const MLLabelIssue *issues, size_t n_issues,
					char **row_key)
{
	size_t		n = td->train->n_rows;
	int			k = td->model->n_classes;
	MetricRows	rows = {0};
	MLBuffer	js,
				extra;
	double		correct = 0;

	for (size_t i = 0; i < n; i++)
		correct += ml_argmax(proba + i * k, k) == (int) td->train->y[i];
	add_metric(&rows, "validation", "accuracy", -1, correct / Max(n, 1));
	add_metric(&rows, "validation", "label_issues", -1, (double) n_issues);
	add_metric(&rows, "validation", "label_issue_share", -1, (double) n_issues / Max(n, 1));
	buffer_init(&js);
	buffer_printf(&js, "[");
	for (size_t i = 0; i < n_issues; i++)
	{
		buffer_printf(&js, "%s{\"row_key\": ", i ? ", " : "");
		if (row_key[i])
			buffer_json_str(&js, row_key[i]);
		else
			buffer_printf(&js, "null");
		buffer_printf(&js, ", \"given\": ");
		buffer_json_str(&js, td->model->class_labels[issues[i].given]);
		buffer_printf(&js, ", \"suggested\": ");
		buffer_json_str(&js, td->model->class_labels[issues[i].suggested]);
		buffer_printf(&js, ", \"self_confidence\": ");
		buffer_json_num(&js, issues[i].self_confidence);
		buffer_printf(&js, ", \"margin\": ");
		buffer_json_num(&js, issues[i].margin);
		buffer_printf(&js, "}");
	}
	buffer_printf(&js, "]");
	buffer_init(&extra);
	buffer_printf(&extra, "\"folds\": %d, \"key\": ", folds);
	if (key)
		buffer_json_str(&extra, key);
	else
		buffer_printf(&extra, "null");
	buffer_put_u8(&extra, '\0');
	practice_record(td, project_id, "label_issues", (char *) extra.data, &rows, "label_issues", &js,
					(int64) n, 0);
}

/*
 * ml_label_issues(project, source, key, folds): the likely mislabelled
 * rows, most suspicious first, recorded as a run of a 'label_issues'
 * experiment.
 */
Datum
mlsql_label_issues(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	TrainData	td = {0};
	int64		project_id;
	char	   *task = NULL;
	const char *key = PG_ARGISNULL(2) ? NULL : text_to_cstring(PG_GETARG_TEXT_PP(2));
	int			folds;
	Jsonb	   *params;
	int		   *fold;
	double	   *proba;
	MLLabelIssue *issues = NULL;
	size_t		n_issues;
	char	  **row_key;

	InitMaterializedSRF(fcinfo, 0);
	if (PG_ARGISNULL(3))
		ereport(ERROR, (errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED), errmsg("folds must not be NULL")));
	folds = PG_GETARG_INT32(3);
	if (folds < 2 || folds > MAX_FOLDS)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("folds must be between 2 and %d, got %d", MAX_FOLDS, folds)));
	practice_config(fcinfo, "label issue search", &td, &project_id, &task);
	if (task == NULL || strcmp(task, "classification") != 0)
		ereport(ERROR,
				(errcode(ERRCODE_WRONG_OBJECT_TYPE),
				 errmsg("label issues need a classification project; \"%s\" is %s", td.project,
						task ? task : "not trained yet"),
				 errhint("Confident learning compares each row's label with the classes its features suggest.")));
	params = td.params_jb;
	td.source = source_with_row_key(td.source, key);
	td.params_jb = params_with_row_key(params);
	td.test_size = 0;
	train_prepare(&td);
	td.params_jb = params;
	if (td.task != ML_CLASSIFICATION)
		ereport(ERROR,
				(errcode(ERRCODE_WRONG_OBJECT_TYPE),
				 errmsg("label issues need a classification target, and \"%s\" is %s", td.target,
						ml_task_name(td.task))));
	if ((size_t) folds > td.train->n_rows)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("folds (%d) must not exceed the rows (%zu)", folds, td.train->n_rows)));
	fold = dataset_folds(td.train, folds, ml_mix64((uint64_t) td.seed ^ 0xF07Dull));
	proba = out_of_fold(&td, folds, fold);
	n_issues = label_issues_find(td.train->y, proba, td.train->n_rows, td.model->n_classes, &issues, NULL);
	row_key = palloc(sizeof(char *) * Max(n_issues, 1));
	for (size_t i = 0; i < n_issues; i++)
		row_key[i] = td.src->aux_text[0][td.train_rows[issues[i].row]];
	label_issues_record(&td, project_id, folds, key, proba, issues, n_issues, row_key);
	for (size_t i = 0; i < n_issues; i++)
	{
		Datum		vals[5];
		bool		nulls[5] = {0};

		nulls[0] = row_key[i] == NULL;
		vals[0] = nulls[0] ? (Datum) 0 : CStringGetTextDatum(row_key[i]);
		vals[1] = CStringGetTextDatum(td.model->class_labels[issues[i].given]);
		vals[2] = CStringGetTextDatum(td.model->class_labels[issues[i].suggested]);
		vals[3] = Float8GetDatum(issues[i].self_confidence);
		vals[4] = Float8GetDatum(issues[i].margin);
		tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, vals, nulls);
	}
	SPI_finish();
	return (Datum) 0;
}
