/*-------------------------------------------------------------------------
 *
 * train.c
 *	  ml_train: check the arguments, then hand the training to its engine:
 *	  memory (memory.c, the default) or aggregate / partitions (engine.c).
 *
 * The whole training runs inside one SPI connection; its procedure memory
 * context holds the data, the model and every temporary, and SPI_finish (or
 * the transaction's abort on error) frees them all.  Catalog rows are
 * written at the end, in the caller's transaction (record.c): an error
 * anywhere leaves nothing behind.  Arguments are checked before any data is
 * read, in the order the errors have always come in.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "funcapi.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/jsonb.h"

#include "pg/catalog.h"
#include "pg/engine.h"
#include "pg/memory.h"
#include "pg/mlsql_pg.h"
#include "pg/params.h"
#include "pg/prepare.h"

PG_FUNCTION_INFO_V1(mlsql_train);

static char *
arg_text(FunctionCallInfo fcinfo, int i, const char *name)
{
	if (PG_ARGISNULL(i))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("%s must not be NULL", name)));
	return text_to_cstring(PG_GETARG_TEXT_PP(i));
}

/* text[] -> C strings; NULL elements are an error */
static char **
text_array(ArrayType *a, int *n, const char *what)
{
	Datum	   *elems;
	bool	   *nulls;
	char	  **out;

	if (ARR_NDIM(a) > 1)
		ereport(ERROR,
				(errcode(ERRCODE_ARRAY_SUBSCRIPT_ERROR),
				 errmsg("%s must be a one-dimensional array", what)));
	deconstruct_array(a, TEXTOID, -1, false, TYPALIGN_INT, &elems, &nulls, n);
	out = palloc(sizeof(char *) * Max(*n, 1));
	for (int i = 0; i < *n; i++)
	{
		if (nulls[i])
			ereport(ERROR,
					(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
					 errmsg("%s must not contain NULL", what)));
		out[i] = TextDatumGetCString(elems[i]);
	}
	return out;
}

/* errors on a test_size, deploy or task argument ml_train does not take */
static void
check_choices(double test_size, const char *deploy, const char *task_arg)
{
	if (!(test_size >= 0.0 && test_size < 1.0))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("test_size must be in [0, 1), got %g", test_size),
				 errhint("Use 0.25 to hold out a quarter of the rows, or 0 to train on all of them.")));
	if (strcmp(deploy, "if_better") != 0 && strcmp(deploy, "always") != 0 &&
		strcmp(deploy, "never") != 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("invalid deploy \"%s\"", deploy),
				 errhint("Use 'if_better', 'always' or 'never'.")));
	if (task_arg && strcmp(task_arg, "regression") != 0 &&
		strcmp(task_arg, "classification") != 0 && strcmp(task_arg, "clustering") != 0 &&
		strcmp(task_arg, "anomaly") != 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("invalid task \"%s\"", task_arg),
				 errhint("Use 'regression', 'classification', 'clustering' or 'anomaly', or NULL to infer it.")));
}

/*
 * params' "skip_identical" (false when absent); an obviously bad params
 * object (not an object) fails here, before any data is read.
 */
static bool
skip_identical_option(Jsonb *params_jb, const MLLearner *learner)
{
	bool		skip_identical = false;

	if (params_jb && JB_ROOT_IS_OBJECT(params_jb) && !JB_ROOT_IS_SCALAR(params_jb))
	{
		JsonbValue	v;

		if (jsonb_get(params_jb, "skip_identical", &v))
		{
			if (v.type != jbvBool)
				ereport(ERROR,
						(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
						 errmsg("\"skip_identical\" must be a boolean")));
			skip_identical = v.val.boolean;
		}
	}
	if (params_jb && (!JB_ROOT_IS_OBJECT(params_jb) || JB_ROOT_IS_SCALAR(params_jb)))
		(void) params_from_jsonb(learner ? learner : learner_default(ML_REGRESSION), params_jb);
	return skip_identical;
}

/*
 * ml_train(project, source, target, algorithm, params, task, features,
 * test_size, seed, deploy): one result row naming the new model version,
 * its metrics, the baseline's, and whether it was deployed.
 */
Datum
mlsql_train(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	char	   *project = catalog_project_name_arg(arg_text(fcinfo, 0, "project"));
	char	   *source = arg_text(fcinfo, 1, "source");
	char	   *target = PG_ARGISNULL(2) ? NULL : text_to_cstring(PG_GETARG_TEXT_PP(2));
	char	   *algorithm = PG_ARGISNULL(3) ? NULL : text_to_cstring(PG_GETARG_TEXT_PP(3));
	Jsonb	   *params_jb = PG_ARGISNULL(4) ? NULL : PG_GETARG_JSONB_P(4);
	char	   *task_arg = PG_ARGISNULL(5) ? NULL : text_to_cstring(PG_GETARG_TEXT_PP(5));
	char	  **features = NULL;
	int			n_features = 0;
	char	   *deploy = arg_text(fcinfo, 9, "deploy");
	const MLLearner *learner;
	bool		skip_identical;
	char	   *engine;
	TrainData	td = {0};

	InitMaterializedSRF(fcinfo, 0);
	mlsql_progress_begin("ml_train");

	if (PG_ARGISNULL(7))
		ereport(ERROR, (errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED), errmsg("test_size must not be NULL")));
	if (PG_ARGISNULL(8))
		ereport(ERROR, (errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED), errmsg("seed must not be NULL")));

	catalog_check_project_name(project);
	/* NULL: linear for regression, logistic for classification, once the task is known */
	learner = algorithm ? learner_find(algorithm) : NULL;
	if (algorithm && learner == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("unknown algorithm \"%s\"", algorithm),
				 errhint("Available algorithms: %s.", learner_names())));
	check_choices(PG_GETARG_FLOAT8(7), deploy, task_arg);
	if (!PG_ARGISNULL(6))
	{
		features = text_array(PG_GETARG_ARRAYTYPE_P(6), &n_features, "features");
		if (n_features == 0)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("features must not be empty"),
					 errhint("Pass NULL to use every column but the target.")));
	}
	skip_identical = skip_identical_option(params_jb, learner);

	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");

	td.project = project;
	td.source = source;
	td.target = target;
	td.features = features;
	td.n_features = n_features;
	td.params_jb = params_jb;
	td.task_arg = task_arg;
	td.test_size = PG_GETARG_FLOAT8(7);
	td.seed = PG_GETARG_INT64(8);
	td.learner = learner;

	/* the engines that keep the rows where they are, or the memory engine */
	engine = train_engine(params_jb);
	if (strcmp(engine, "memory") != 0)
		engine_train(&td, engine, deploy, skip_identical, rsinfo);
	else
		memory_train(&td, deploy, skip_identical, rsinfo);
	SPI_finish();
	mlsql_progress_end();
	return (Datum) 0;
}
