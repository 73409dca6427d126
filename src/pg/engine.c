/*-------------------------------------------------------------------------
 *
 * engine.c
 *	  The aggregate and partitions engines of ml_train: training from
 *	  passes of one SQL aggregate over the source, so that the rows stay
 *	  where they are (parallel workers, Citus shards) and the backend holds
 *	  statistics and the model, never the rows.
 *
 * Every pass is one query,
 *
 *	SELECT mlsql.engine_pass($1, ARRAY[...]::float8[], ARRAY[...]::text[], y, label)
 *	  FROM (<source>) s
 *
 * with the pass's config in $1 (core/engine.h): the number columns as
 * float8 (bool as 0 / 1, dates as days and timestamps as seconds since
 * 1970 through mlsql.raw_num, exactly as the memory engine reads them), the
 * category columns as text (their output function).  The aggregate's state
 * is bytea with a combine function, so PostgreSQL runs it with parallel
 * workers and Citus pushes it to the shards.  Passes run read-only in one
 * snapshot, so every pass sees the same rows, as the caller.
 *
 *	1. STATS: sketches of every column (the data version; the pipeline's
 *	   statistics over the training rows), the target's values
 *	2. the learner's passes (its agg_fit): one STATE pass (least squares,
 *	   naive Bayes, baseline), MOMENTS + GRAM (elastic net, lasso), MOMENTS
 *	   + one NEWTON pass per iteration (logistic), MOMENTS with a sample +
 *	   one LLOYD pass per iteration (kmeans); or, for "partitions", one
 *	   ROWS pass grouped by a seeded bucket whose final function trains
 *	   each partition's model, averaged into one voting model
 *	3. METRICS: the model, the baseline and the live model on the training
 *	   and test rows
 *
 * This file is the host, in the backend that runs ml_train; the aggregate
 * itself (its transition, combine and final functions, and the SQL helpers
 * the pass queries call) is engine_agg.c.
 *
 * The split is the memory engine's "random" split (a row is a test row
 * when its seeded hash falls below test_size): the same rows whatever the
 * plan.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <math.h>
#include <sys/resource.h>
#include <time.h>

#include "access/xact.h"
#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "funcapi.h"
#include "miscadmin.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/expandeddatum.h"
#include "utils/float.h"
#include "utils/guc.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/snapmgr.h"

#include "core/buffer.h"
#include "core/engine.h"
#include "core/rng.h"
#include "core/linalg.h"
#include "ensemble/ensemble.h"
#include "pg/cache.h"
#include "pg/catalog.h"
#include "pg/engine.h"
#include "pg/engine_run.h"
#include "pg/mlsql_pg.h"
#include "pg/params.h"
#include "pg/prepare.h"
#include "pg/record.h"
#include "pg/source.h"

#define DEFAULT_PARTITIONS 4
#define MAX_PARTITIONS 1000

/* ==== the host: ml_train with an engine ==== */


/* the expression that reads column c of s as the memory engine reads it */
static char *
column_expr(const SourceColumn *sc)
{
	const char *q = quote_identifier(sc->name);
	Oid			base = getBaseType(sc->type);

	if (sc->cls == SRC_NUMERIC)
	{
		if (base == BOOLOID)
			return psprintf("s.%s::pg_catalog.int4::pg_catalog.float8", q);
		if (base == DATEOID || base == TIMESTAMPOID || base == TIMESTAMPTZOID)
			return psprintf("mlsql.raw_num(s.%s)", q);
		return psprintf("s.%s::pg_catalog.float8", q);
	}
	if (base == TEXTOID || base == VARCHAROID || base == NAMEOID || type_is_enum(base))
		return psprintf("s.%s::pg_catalog.text", q);
	return psprintf("mlsql.raw_text(s.%s)", q);
}

/* the columns, the target, the split, and the SQL of the pass arguments */
static void
engine_columns(EngineRun *er)
{
	TrainData  *td = er->td;
	SourceData *src = td->src;
	MLEngineConfig *c = &er->base;
	StringInfoData nums,
				cats;
	int			nn = 0,
				nc = 0;

	c->seed = (uint64_t) td->seed;
	c->test_size = td->test_size;
	c->n_cols = src->n_raw;
	c->kinds = palloc(sizeof(MLColKind) * Max(c->n_cols, 1));
	c->names = palloc(sizeof(char *) * Max(c->n_cols, 1));
	c->slot = palloc(sizeof(int) * Max(c->n_cols, 1));
	initStringInfo(&nums);
	initStringInfo(&cats);
	for (int f = 0; f < src->n_cols; f++)
	{
		const SourceColumn *sc = &src->cols[f];
		int			r = sc->first_raw;

		c->kinds[r] = src->raw[r].kind;
		c->names[r] = (char *) src->raw[r].name;
		if (c->kinds[r] == ML_COL_NUMERIC)
		{
			c->slot[r] = nn++;
			appendStringInfo(&nums, "%s%s", nums.len ? ", " : "", column_expr(sc));
		}
		else
		{
			c->slot[r] = nc++;
			appendStringInfo(&cats, "%s%s", cats.len ? ", " : "", column_expr(sc));
		}
	}
	c->n_num = nn;
	c->n_cat = nc;
	c->target = td->target == NULL ? 0 : (src->target_numeric || src->target_bool) ? 1 : 2;
	{
		char	   *y = "NULL::pg_catalog.float8",
				   *label = "NULL::pg_catalog.text";

		if (c->target)
		{
			const char *q = quote_identifier(src->target_name);
			Oid			t = src->target_type;

			if (src->target_bool)
				y = psprintf("s.%s::pg_catalog.int4::pg_catalog.float8", q);
			else if (src->target_numeric)
				y = psprintf("s.%s::pg_catalog.float8", q);
			else if (t == TEXTOID || t == VARCHAROID || t == NAMEOID || type_is_enum(t))
				label = psprintf("s.%s::pg_catalog.text", q);
			else
				label = psprintf("mlsql.raw_text(s.%s)", q);
		}
		er->args_sql = psprintf("ARRAY[%s]::pg_catalog.float8[], ARRAY[%s]::pg_catalog.text[], %s, %s",
								nums.data, cats.data, y, label);
	}
}

/* run one pass; returns the merged state (NULL when the source has no rows) */
static MLEngineState *
run_pass(EngineRun *er, MLEngineConfig *cfg)
{
	MLBuffer	cb;
	bytea	   *param;
	char	   *q;
	SPIPlanPtr	plan;
	SPIExecuteOptions eopt = {0};
	ParamListInfo params;
	bool		isnull;
	Datum		d;
	bytea	   *res;

	buffer_init(&cb);
	engine_config_write(cfg, &cb);
	param = palloc(VARHDRSZ + cb.len);
	SET_VARSIZE(param, VARHDRSZ + cb.len);
	memcpy(VARDATA(param), cb.data, cb.len);
	q = psprintf("SELECT mlsql.engine_pass($1, %s) FROM (%s\n) s", er->args_sql, er->source_sql);
	plan = SPI_prepare_cursor(q, 1, (Oid[]) {BYTEAOID}, CURSOR_OPT_PARALLEL_OK);
	if (plan == NULL)
		elog(ERROR, "SPI_prepare_cursor failed for an engine pass: %s", SPI_result_code_string(SPI_result));
	params = makeParamList(1);
	params->params[0].value = PointerGetDatum(param);
	params->params[0].isnull = false;
	params->params[0].pflags = PARAM_FLAG_CONST;
	params->params[0].ptype = BYTEAOID;
	eopt.params = params;
	eopt.read_only = true;
	if (SPI_execute_plan_extended(plan, &eopt) != SPI_OK_SELECT || SPI_processed != 1)
		elog(ERROR, "engine pass returned no row");
	er->passes++;
	d = SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull);
	if (isnull)
		return NULL;
	res = DatumGetByteaPP(d);
	{
		uint32		cl;
		const uint8 *data = (const uint8 *) VARDATA_ANY(res);

		memcpy(&cl, data, 4);
		return engine_state_read(cfg, data + 4 + cl, VARSIZE_ANY_EXHDR(res) - 4 - cl);
	}
}

/* the partitions' models: one ROWS pass grouped by bucket, trained by the final function */
static MLModel **
run_partitions(EngineRun *er, MLEngineConfig *cfg, int *n_models)
{
	MLBuffer	cb;
	bytea	   *param;
	char	   *q;
	SPIPlanPtr	plan;
	SPIExecuteOptions eopt = {0};
	ParamListInfo params;
	MLModel   **models;
	int			nest;

	buffer_init(&cb);
	engine_config_write(cfg, &cb);
	param = palloc(VARHDRSZ + cb.len);
	SET_VARSIZE(param, VARHDRSZ + cb.len);
	memcpy(VARDATA(param), cb.data, cb.len);
	q = psprintf("SELECT r.b, mlsql.engine_pass($1, r.nums, r.cats, r.y, r.label) "
				 "FROM (SELECT mlsql.engine_bucket($1, a.nums, a.cats, a.y, a.label) AS b, a.* "
				 "FROM (SELECT %s FROM (%s\n) s) a(nums, cats, y, label)) r "
				 "WHERE r.b OPERATOR(pg_catalog.>=) 0 GROUP BY r.b ORDER BY r.b",
				 er->args_sql, er->source_sql);
	/* one partition's rows in memory at a time: sorted groups, not a hash table */
	nest = catalog_planner_setting("enable_hashagg", "off");
	plan = SPI_prepare_cursor(q, 1, (Oid[]) {BYTEAOID}, CURSOR_OPT_PARALLEL_OK);
	if (plan == NULL)
		elog(ERROR, "SPI_prepare_cursor failed for an engine pass: %s", SPI_result_code_string(SPI_result));
	params = makeParamList(1);
	params->params[0].value = PointerGetDatum(param);
	params->params[0].isnull = false;
	params->params[0].pflags = PARAM_FLAG_CONST;
	params->params[0].ptype = BYTEAOID;
	eopt.params = params;
	eopt.read_only = true;
	if (SPI_execute_plan_extended(plan, &eopt) != SPI_OK_SELECT)
		elog(ERROR, "engine partitions pass failed");
	catalog_planner_restore(nest);
	er->passes++;
	*n_models = (int) SPI_processed;
	models = palloc(sizeof(MLModel *) * Max(SPI_processed, 1));
	for (uint64 i = 0; i < SPI_processed; i++)
	{
		bool		isnull;
		Datum		d = SPI_getbinval(SPI_tuptable->vals[i], SPI_tuptable->tupdesc, 2, &isnull);
		bytea	   *b = DatumGetByteaPP(d);

		models[i] = model_read((const uint8_t *) VARDATA_ANY(b), VARSIZE_ANY_EXHDR(b));
	}
	return models;
}

/* a copy of the base config for a pass */
static MLEngineConfig *
pass_config(EngineRun *er, MLEnginePass pass)
{
	MLEngineConfig *c = palloc(sizeof(MLEngineConfig));

	*c = er->base;
	c->pass = pass;
	return c;
}

/* a learner's params as the JSON object agg_new reads: the user's keys less the general ones */
static char *
learner_params_json(const MLLearner *l, Jsonb *params_jb)
{
	StringInfoData b;
	JsonbValue	v;
	bool		first = true;

	initStringInfo(&b);
	appendStringInfoChar(&b, '{');
	for (int i = 0; l->params[i].name; i++)
		if (params_jb && jsonb_get(params_jb, l->params[i].name, &v))
		{
			Jsonb	   *one;

			one = JsonbValueToJsonb(&v);
			appendStringInfo(&b, "%s\"%s\": %s", first ? "" : ", ", l->params[i].name,
							 JsonbToCString(NULL, &one->root, VARSIZE(one)));
			first = false;
		}
	appendStringInfoChar(&b, '}');
	return b.data;
}

/* feature means and scales (population std, 1 when constant) of a MOMENTS or STATE pass */
static void
moments(const MLEngineState *st, size_t p, double **mean, double **scale)
{
	*mean = palloc(sizeof(double) * Max(p, 1));
	*scale = palloc(sizeof(double) * Max(p, 1));
	for (size_t j = 0; j < p; j++)
	{
		double		sd = st->n_train ? sqrt(st->m2[j] / (double) st->n_train) : 0;

		(*mean)[j] = st->mean[j];
		(*scale)[j] = sd > 0 ? sd : 1.0;
		if (!isfinite((*mean)[j]) || !isfinite(sd))
			ereport(ERROR,
					(errcode(ERRCODE_DATA_EXCEPTION),
					 errmsg("feature %zu has values too large to standardize", j + 1),
					 errhint("Rescale the feature; its values overflow double precision.")));
	}
}

/*
 * Logistic regression by Newton's method, one aggregate pass per step: the
 * pass returns the loss, gradient and Hessian of the memory engine's
 * objective (on standardized features, the same minimizer) at theta; the
 * step solves H d = -g (for k > 2 classes, the intercepts and each
 * feature's weights summed over classes are held at 0, the gauge L-BFGS
 * keeps from its zero start); a step that does not lower the objective
 * enough is halved, at the price of one more pass.  Stops when the largest
 * gradient component (objective / n) is below tol / 1000, or after max_iter
 * steps.
 */
static void *
fit_newton(EngineRun *er, const MLParams *params, const double *mean, const double *scale,
		   uint64 n_train)
{
	TrainData  *td = er->td;
	size_t		p = er->base.p;
	int			k = td->model->n_classes;
	int			K = k == 2 ? 1 : k;
	size_t		q = p + 1,
				d = q * (size_t) K;
	double		alpha = params_get_num(params, "alpha");
	int			max_iter = (int) params_get_num(params, "max_iter");
	double		tol = params_get_num(params, "tol") / 1000.0;
	double	   *theta = palloc0(sizeof(double) * d);
	double	   *trial = palloc0(sizeof(double) * d);
	double	   *step = palloc0(sizeof(double) * d);
	double	   *H = palloc(sizeof(double) * d * d);
	double	   *g = palloc(sizeof(double) * d);
	double		f = INFINITY,
				slope = 0,
				t = 1.0,
				n = (double) n_train;
	MLEngineConfig *cfg = pass_config(er, ML_PASS_NEWTON);
	int			it = 0;
	bool		converged = false;

	if (d > ML_ENGINE_MAX_NEWTON)
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("logistic regression with %zu weights is beyond the aggregate engine's Newton steps (at most %d)",
						d, ML_ENGINE_MAX_NEWTON),
				 errhint("Train with {\"engine\": \"partitions\"} or the memory engine, or use fewer features or classes.")));
	cfg->mean = (double *) mean;
	cfg->scale = (double *) scale;
	cfg->K = K;
	cfg->class_weight = params_class_weights_counts(params, er->train_counts, k, (double) n_train);
	/* parameter index in theta of class c's entry j (j = p: the intercept) */
#define TIDX(c, j) ((j) < p ? (size_t) (c) * p + (j) : p * (size_t) K + (c))
	for (;;)
	{
		MLEngineState *st;
		double		fnew,
					gmax = 0;

		memcpy(trial, theta, sizeof(double) * d);
		if (it > 0 || isfinite(f))
			for (size_t i = 0; i < d; i++)
				trial[i] = theta[i] + t * step[i];
		cfg->theta = trial;
		st = run_pass(er, cfg);
		fnew = st->loss;
		for (int c = 0; c < K; c++)
			for (size_t j = 0; j < p; j++)
				fnew += alpha / 2.0 * trial[TIDX(c, j)] * trial[TIDX(c, j)];
		if (isfinite(f) && !(fnew <= f + 1e-4 * t * slope) && t > 1e-10)
		{
			t /= 2;				/* backtrack: the same direction, half the step */
			continue;
		}
		/* accept trial */
		memcpy(theta, trial, sizeof(double) * d);
		f = fnew;
		ml_log_metric(&er->ctx, "train", "log_loss", it, st->loss / n);
		mlsql_progress_report("pass", er->passes, 0, "log_loss", st->loss / n);
		/* gradient and Hessian in theta's order, penalty added */
		for (int c = 0; c < K; c++)
			for (size_t j = 0; j < q; j++)
			{
				size_t		a = TIDX(c, j);

				g[a] = st->grad[(size_t) c * q + j] + (j < p ? alpha * theta[a] : 0);
				for (int e = 0; e < K; e++)
					for (size_t i = 0; i < q; i++)
					{
						size_t		row = (size_t) c * q + j,
									col = (size_t) e * q + i,
									bidx = TIDX(e, i);
						double		h = row <= col ? st->hess[col * d + row] : st->hess[row * d + col];

						H[bidx * d + a] = h + (a == bidx && j < p ? alpha : 0);
					}
			}
		for (size_t i = 0; i < d; i++)
			gmax = fmax(gmax, fabs(g[i]) / n);
		if (gmax < tol)
		{
			converged = true;
			break;
		}
		if (it >= max_iter)
			break;
		it++;
		/* the gauge of k > 2: sum over classes of each weight row and of the intercepts stays 0 */
		if (K > 1)
			for (size_t j = 0; j < q; j++)
				for (int c = 0; c < K; c++)
					for (int e = 0; e < K; e++)
						H[TIDX(e, j) * d + TIDX(c, j)] += n / K;
		for (size_t i = 0; i < d; i++)
			step[i] = -g[i];
		if (!linalg_solve_spd(H, step, d))
			ereport(ERROR,
					(errcode(ERRCODE_DATA_EXCEPTION),
					 errmsg("the logistic loss has no unique minimum on these rows"),
					 errhint("Give a positive \"alpha\" (an L2 penalty); the classes may be separable.")));
		slope = 0;
		for (size_t i = 0; i < d; i++)
			slope += g[i] * step[i];
		t = 1.0;
	}
#undef TIDX
	ml_log_metric(&er->ctx, "train", "n_iter", -1, it);
	ml_log_metric(&er->ctx, "train", "converged", -1, converged ? 1 : 0);
	/* back to the original feature scale */
	{
		double	   *W = palloc(sizeof(double) * Max(p * K, 1));
		double	   *b = palloc(sizeof(double) * K);

		for (int c = 0; c < K; c++)
		{
			double		bc = theta[p * K + c];

			for (size_t j = 0; j < p; j++)
			{
				double		w = theta[(size_t) c * p + j] / scale[j];

				W[(size_t) c * p + j] = w;
				bc -= w * mean[j];
			}
			b[c] = bc;
		}
		return td->learner->from_weights(p, k, W, b);
	}
}

/*
 * k-means: k-means++ with n_init runs on a seeded sample of the training
 * rows (the rows of the ML_ENGINE_SAMPLE smallest hashes: the same sample
 * whatever the plan), then one Lloyd pass per iteration over every row
 * until no center moves by more than tol times the mean feature variance
 * (the memory engine's rule), or max_iter.  A center that loses every row
 * stays where it was.
 */
static void *
fit_lloyd(EngineRun *er, const MLParams *params, const MLEngineState *mom, const double *mean,
		  const double *scale)
{
	TrainData  *td = er->td;
	size_t		p = er->base.p;
	int			k = (int) params_get_num(params, "k");
	int			max_iter = (int) params_get_num(params, "max_iter");
	double		tol = params_get_num(params, "tol"),
				var = 0;
	size_t		ns = mom->n_sample;
	MLEngineConfig *cfg = pass_config(er, ML_PASS_LLOYD);
	double	   *centers;
	int			it = 0;
	bool		converged = false;

	if ((size_t) k > ns)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("k = %d clusters need at least %d training rows, the source has %zu",
						k, k, ns)));
	for (size_t j = 0; j < p; j++)
		var += scale[j] * scale[j];
	var /= Max(p, 1);
	/* seeding: the memory learner on the sample */
	{
		MLDataset  *d = dataset_create(ns, p, 0);
		MLFitContext ctx = {0};

		for (size_t i = 0; i < ns; i++)
			for (size_t j = 0; j < p; j++)
				d->X[j * ns + i] = mom->sample_x[i * p + j];
		ctx.seed = (uint64_t) td->seed;
		ctx.threads = mlsql_threads;
		centers = palloc(sizeof(double) * (size_t) k * Max(p, 1));
		td->learner->centers(td->learner->fit(d, NULL, params, &ctx), centers);
	}
	cfg->mean = (double *) mean;
	cfg->scale = (double *) scale;
	cfg->k = k;
	for (it = 0; it < max_iter; it++)
	{
		MLEngineState *st;
		double		moved = 0;

		cfg->centers = centers;
		st = run_pass(er, cfg);
		ml_log_metric(&er->ctx, "train", "inertia", it, st->inertia);
		mlsql_progress_report("pass", er->passes, 0, "inertia", st->inertia);
		for (int c = 0; c < k; c++)
		{
			if (st->center_n[c] == 0)
				continue;
			for (size_t j = 0; j < p; j++)
			{
				double		v = st->center_sum[(size_t) c * p + j] / (double) st->center_n[c],
							dv = v - centers[(size_t) c * p + j];

				moved = fmax(moved, dv * dv);
				centers[(size_t) c * p + j] = v;
			}
		}
		if (moved <= tol * var)
		{
			converged = true;
			it++;
			break;
		}
	}
	ml_log_metric(&er->ctx, "train", "n_iter", -1, it);
	ml_log_metric(&er->ctx, "train", "converged", -1, converged ? 1 : 0);
	return td->learner->from_centers(p, k, centers);
}

/* ---- the METRICS pass: the model, the baseline and the live model ---- */

typedef struct EngineArgs
{
	double		live_score;		/* NaN: not scored here */
	bool		live_scored;
	double		auc_bound;		/* the test roc_auc's largest histogram error */
} EngineArgs;

/*
 * The live model scored on the same rows when it reads columns of this
 * source (by name, kind and the conversions of scoring) and has the same
 * task and classes; NULL otherwise.
 */
static MLEngineScored *
live_scored(EngineRun *er, int64 deployed_id, const MLModel *m)
{
	MLModel    *old = model_for_id(deployed_id);
	const MLEngineConfig *c = &er->base;
	MLEngineScored *sc;

	if (old->task != m->task || old->n_classes != m->n_classes)
		return NULL;
	for (int i = 0; i < m->n_classes; i++)
		if (strcmp(old->class_labels[i], m->class_labels[i]) != 0)
			return NULL;
	sc = palloc0(sizeof(MLEngineScored));
	sc->model = old;
	sc->col = palloc(sizeof(int) * Max(old->pipeline->n_cols, 1));
	sc->factor = palloc(sizeof(double) * Max(old->pipeline->n_cols, 1));
	for (int i = 0; i < old->pipeline->n_cols; i++)
	{
		const MLPipeCol *pc = &old->pipeline->cols[i];
		int			found = -1;
		SourceConversion conv = CONV_AS_IS;

		for (int r = 0; r < c->n_cols && found < 0; r++)
			if (strcmp(c->names[r], pc->name) == 0 && c->kinds[r] == pc->kind)
				found = r;
		if (found < 0 || !source_conversion_ok(pc->ctype, er->td->src->raw[found].ctype, &conv))
			return NULL;
		sc->col[i] = found;
		sc->factor[i] = conv == CONV_DAYS_TO_SECONDS ? SECONDS_PER_DAY : 1.0;
	}
	return sc;
}

static void
engine_extras(TrainRecord *r, int64 run_id, int64 experiment_id, int64 project_id, int64 dataset_id)
{
	(void) r;
	(void) run_id;
	(void) experiment_id;
	(void) project_id;
	(void) dataset_id;
}

static double
engine_live_score(TrainRecord *r, int64 deployed_id, const char *key, const char **basis)
{
	EngineArgs *a = r->arg;

	if (a->live_scored)
	{
		*basis = "re-scored on the same test rows";
		return a->live_score;
	}
	*basis = "its recorded score (it reads other columns or classes)";
	return catalog_recorded_score(deployed_id, key);
}

/* ---- ml_train's engines ---- */

/* a learner declares the engines that train it (MLLearner.engines) */
static void
check_engine(const MLLearner *l, const char *engine)
{
	uint32		want = strcmp(engine, "partitions") == 0 ? ML_ENGINE_PARTITIONS : ML_ENGINE_AGGREGATE;

	if (!(l->engines & want))
		ereport(ERROR,
				(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
				 errmsg("algorithm \"%s\" does not train on the %s engine", l->name, engine),
				 errhint("It trains on the engines: memory%s%s.",
						 (l->engines & ML_ENGINE_AGGREGATE) ? ", aggregate" : "",
						 (l->engines & ML_ENGINE_PARTITIONS) ? ", partitions" : "")));
}

/* params "partitions": the partitions engine's partition count (DEFAULT_PARTITIONS when absent) */
static int
partitions_option(Jsonb *params_jb, bool partitions)
{
	JsonbValue	v;
	double		n;

	if (!jsonb_get(params_jb, "partitions", &v))
		return DEFAULT_PARTITIONS;
	if (v.type != jbvNumeric)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("\"partitions\" must be an integer")));
	n = DatumGetFloat8(DirectFunctionCall1(numeric_float8, NumericGetDatum(v.val.numeric)));
	if (!partitions)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("\"partitions\" needs {\"engine\": \"partitions\"}")));
	if (n != floor(n) || n < 1 || n > MAX_PARTITIONS)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("\"partitions\" must be an integer from 1 to %d, got %g", MAX_PARTITIONS, n)));
	return (int) n;
}

/* 1. STATS; again without the columns that identify rows */
static MLEngineState *
engine_stats(EngineRun *er)
{
	TrainData  *td = er->td;
	MLEngineState *stats = run_pass(er, pass_config(er, ML_PASS_STATS));

	if (stats == NULL || stats->rows == 0)
		ereport(ERROR,
				(errcode(ERRCODE_DATA_EXCEPTION),
				 errmsg("source has no rows"),
				 errhint("The query or table gave nothing to train on.")));
	if (td->features == NULL && leave_out_identifiers_sketched(er, stats) > 0)
	{
		engine_columns(er);
		stats = run_pass(er, pass_config(er, ML_PASS_STATS));
	}
	td->src->n_rows = (size_t) stats->rows;
	return stats;
}

/* the pipeline from the training rows' sketches */
static void
engine_pipeline(EngineRun *er, const MLEngineState *stats, MLModel *model)
{
	TrainData  *td = er->td;
	SourceData *src = td->src;
	const MLNumSketch **num = palloc0(sizeof(MLNumSketch *) * Max(src->n_raw, 1));
	const MLCatSketch **cat = palloc0(sizeof(MLCatSketch *) * Max(src->n_raw, 1));
	MLPipelineDefaults def = {td->learner->encode ? td->learner->encode : ML_ENCODE_ONEHOT,
	td->learner->scale ? td->learner->scale : ML_SCALE_NONE, td->learner->keep_missing};

	for (int c = 0; c < src->n_raw; c++)
	{
		if (src->raw[c].kind == ML_COL_NUMERIC)
			num[c] = &stats->num_train[er->base.slot[c]];
		else
			cat[c] = &stats->cat_train[er->base.slot[c]];
	}
	model->pipeline = pipeline_from_sketches(src->raw, src->n_raw, td->opts, &def,
											 (const MLNumSketch *const *) num,
											 (const MLCatSketch *const *) cat, model->n_classes);
	model->n_features = model->pipeline->n_out;
	model->feature_names = model->pipeline->out_names;
	report_imputation(model->pipeline);
	er->base.pipeline = model->pipeline;
	er->base.p = model->n_features;
}

/* the data version: every row's sketches */
static void
engine_dataset_json(const EngineRun *er, const MLEngineState *stats, MLBuffer *out)
{
	const TrainData *td = er->td;

	buffer_init(out);
	buffer_printf(out, "[");
	for (int c = 0; c < td->src->n_raw; c++)
	{
		MLBuffer	st;

		buffer_init(&st);
		if (td->src->raw[c].kind == ML_COL_NUMERIC)
			num_sketch_json(&stats->num_all[er->base.slot[c]], td->src->raw[c].name, &st);
		else
			cat_sketch_json(&stats->cat_all[er->base.slot[c]], td->src->raw[c].name, &st);
		buffer_printf(out, "%s{\"type\": ", c ? ", " : "");
		buffer_json_str(out, format_type_be(td->src->cols[c].type));
		buffer_printf(out, ", \"role\": \"feature\", ");
		buffer_put_bytes(out, st.data + 1, st.len - 1);
	}
	if (td->target)
	{
		MLBuffer	st;

		buffer_init(&st);
		if (er->base.target == 1)
			num_sketch_json(&stats->y_num_all, td->target, &st);
		else
			cat_sketch_json(&stats->y_cat_all, td->target, &st);
		buffer_printf(out, ", {\"type\": ");
		buffer_json_str(out, format_type_be(td->src->target_type));
		buffer_printf(out, ", \"role\": \"target\", ");
		buffer_put_bytes(out, st.data + 1, st.len - 1);
	}
	buffer_printf(out, "]");
}

/* the partitions engine: one model per seeded bucket of rows, averaged into a voting model */
static void
fit_partitions(EngineRun *er, MLModel *model)
{
	TrainData  *td = er->td;
	MLEngineConfig *cfg;
	int			n_models;
	MLModel   **models;

	cfg = pass_config(er, ML_PASS_ROWS);
	cfg->algorithm = (char *) td->learner->name;
	cfg->params = learner_params_json(td->learner, td->params_jb);
	/* every random choice of the partitions' learners flows from ml_train's seed */
	cfg->params = psprintf("%.*s%s\"seed\": " INT64_FORMAT "}", (int) strlen(cfg->params) - 1,
						   cfg->params, strlen(cfg->params) > 2 ? ", " : "", td->seed);
	cfg->buckets = er->partitions;
	models = run_partitions(er, cfg, &n_models);
	if (n_models == 0)
		ereport(ERROR,
				(errcode(ERRCODE_DATA_EXCEPTION),
				 errmsg("no partition has training rows")));
	for (int i = 0; i < n_models; i++)
		if (models[i]->n_classes != model->n_classes)
			ereport(ERROR,
					(errcode(ERRCODE_DATA_EXCEPTION),
					 errmsg("partition %d of %d has %d of the %d classes", i + 1, n_models,
							models[i]->n_classes, model->n_classes),
					 errhint("Use fewer partitions ({\"partitions\": N}), so that every partition sees every class.")));
	model->learner = ensemble_voting_learner();
	model->state = ensemble_average(models, n_models, model->n_features, model->n_classes);
	ml_log_metric(&er->ctx, "train", "partitions", -1, n_models);
}

/* one STATE pass: the learner's exact sums (least squares, naive Bayes, baseline) */
static void
fit_state(EngineRun *er, MLModel *model)
{
	TrainData  *td = er->td;
	MLEngineConfig *cfg;
	MLEngineState *st;
	MLModel    *m;
	MLAggState *probe;

	cfg = pass_config(er, ML_PASS_STATE);
	cfg->algorithm = (char *) td->learner->name;
	cfg->params = learner_params_json(td->learner, td->params_jb);
	/* an option the sums cannot carry (class_weight) needs the rows */
	probe = agg_new(cfg->algorithm, cfg->params, td->task,
					td->task == ML_CLASSIFICATION ? model->label_type : ML_LABEL_NONE);
	if (probe->kind == ML_AGG_ROWS)
		ereport(ERROR,
				(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
				 errmsg("algorithm \"%s\" with these params does not train on the aggregate engine", td->learner->name),
				 errhint("Its options beyond the exact sums (such as class_weight) need the memory or partitions engine.")));
	st = run_pass(er, cfg);
	m = agg_finish(st->agg, mlsql_threads);
	model->state = m->state;
	model->feature_mean = palloc(sizeof(double) * Max(model->n_features, 1));
	memcpy(model->feature_mean, st->mean, sizeof(double) * model->n_features);
}

/* MOMENTS, then GRAM (elastic net, lasso), NEWTON passes (logistic) or LLOYD passes (kmeans) */
static void
fit_from_moments(EngineRun *er, const MLEngineState *stats, MLModel *model)
{
	TrainData  *td = er->td;
	MLEngineConfig *cfg;
	MLEngineState *mom,
			   *st;
	double	   *mean,
			   *scale;

	cfg = pass_config(er, ML_PASS_MOMENTS);
	if (td->learner->agg_fit == ML_AGGFIT_LLOYD)
		cfg->k = (int) params_get_num(td->params, "k");
	mom = run_pass(er, cfg);
	moments(mom, er->base.p, &mean, &scale);
	model->feature_mean = mean;
	if (td->learner->agg_fit == ML_AGGFIT_GRAM)
	{
		cfg = pass_config(er, ML_PASS_GRAM);
		cfg->mean = mean;
		cfg->scale = scale;
		cfg->y_mean = stats->y_num_train.mean;
		st = run_pass(er, cfg);
		model->state = td->learner->fit_gram(st->gram, st->gram_y, mean, stats->y_num_train.mean,
											 er->base.p, st->n_train, td->params, &er->ctx);
	}
	else if (td->learner->agg_fit == ML_AGGFIT_NEWTON)
		model->state = fit_newton(er, td->params, mean, scale, mom->n_train);
	else
		model->state = fit_lloyd(er, td->params, mom, mean, scale);
}

/* 2. the fit, by the learner's aggregate method (or by partitions) */
static void
engine_fit(EngineRun *er, const MLEngineState *stats, MLModel *model, bool partitions)
{
	const MLLearner *l = er->td->learner;

	if (partitions)
	{
		fit_partitions(er, model);
		return;
	}
	switch (l->agg_fit)
	{
		case ML_AGGFIT_LEAST_SQUARES:
		case ML_AGGFIT_GAUSSIAN_NB:
		case ML_AGGFIT_PRIOR:
			fit_state(er, model);
			break;
		case ML_AGGFIT_GRAM:
		case ML_AGGFIT_NEWTON:
		case ML_AGGFIT_LLOYD:
			fit_from_moments(er, stats, model);
			break;
		case ML_AGGFIT_NONE:
			elog(ERROR, "learner \"%s\" has no aggregate fit", l->name);
	}
}

/*
 * 3. METRICS: the model, the baseline and (deploy => 'if_better') the live
 * model on both splits, into r and args.
 */
static void
engine_score(EngineRun *er, const MLEngineState *stats, MLModel *model, MLModel *base_model,
			 const char *deploy, TrainRecord *r, EngineArgs *args)
{
	TrainData  *td = er->td;
	MLEngineConfig *cfg = pass_config(er, ML_PASS_METRICS);
	int			n = 0;
	int64		deployed_id = 0;
	MLEngineScored *live = NULL;
	MLEngineState *st;
	int		   *ident = palloc(sizeof(int) * Max(er->base.n_cols, 1));
	double	   *one = palloc(sizeof(double) * Max(er->base.n_cols, 1));

	for (int c = 0; c < er->base.n_cols; c++)
	{
		ident[c] = c;
		one[c] = 1.0;
	}
	cfg->scored[n].model = model;
	cfg->scored[n].col = ident;
	cfg->scored[n++].factor = one;
	if (base_model)
	{
		cfg->scored[n].model = base_model;
		cfg->scored[n].col = ident;
		cfg->scored[n++].factor = one;
	}
	if (td->project_id != 0)
		deployed_id = catalog_deployed_model(td->project_id);
	if (deployed_id != 0 && strcmp(deploy, "if_better") == 0)
		live = live_scored(er, deployed_id, model);
	if (live)
		cfg->scored[n++] = *live;
	cfg->n_scored = n;
	st = run_pass(er, cfg);
	engine_metrics(st, 0, 0, &r->m_train);
	engine_metrics(st, 0, 1, &r->m_test);
	if (base_model)
	{
		engine_metrics(st, 1, 0, &r->b_train);
		engine_metrics(st, 1, 1, &r->b_test);
	}
	if (st->n_test == 0)
	{
		r->m_test = r->m_train;
		r->b_test = r->b_train;
		ereport(NOTICE,
				(errmsg("test_size is 0: metrics describe the training data")));
	}
	if (live)
	{
		MLMetricSet lm;
		const char *key = catalog_project_metric(td->project_id);

		engine_metrics(st, n - 1, st->n_test > 0 ? 1 : 0, &lm);
		args->live_score = metrics_get(&lm, key ? key : metrics_key(td->task));
		args->live_scored = true;
	}
	if (td->task == ML_CLASSIFICATION && st->n_test > 0)
	{
		double		worst = 0;

		for (int c = (model->n_classes == 2 ? 1 : 0); c < model->n_classes; c++)
		{
			double		bound;

			(void) engine_auc(&st->acc[0][1], c, &bound);
			worst = fmax(worst, bound);
		}
		ml_log_metric(&er->ctx, "test", "roc_auc_max_error", -1, worst);
	}
	r->n_train = (size_t) st->n_train;
	r->n_test = (size_t) st->n_test;
	r->test_fp = psprintf("%016llx", (unsigned long long) (st->n_test > 0 ? stats->test_fp : stats->train_fp));
}

/*
 * engine_train: ml_train with params "engine" set to "aggregate" or
 * "partitions" (see the file header).  td holds ml_train's arguments; the
 * caller is connected to SPI.
 */
void
engine_train(TrainData *td, const char *engine, const char *deploy, bool skip_identical,
			 struct ReturnSetInfo *rsinfo)
{
	EngineRun	er = {0};
	EngineArgs	args = {NAN, false, NAN};
	MLEngineState *stats;
	MLModel    *model,
			   *base_model = NULL;
	TrainRecord r = {0};
	struct timespec t0,
				t1;
	struct rusage ru0,
				ru1;
	bool		partitions = strcmp(engine, "partitions") == 0;
	MemoryContext cxt = CurrentMemoryContext;

	er.td = td;
	er.engine = engine;
	if (td->learner)
		check_engine(td->learner, engine);	/* before any pass */
	train_prepare_front(td);
	if ((td->split_name && strcmp(td->split_name, "random") != 0) || td->split_key || td->split_column)
		ereport(ERROR,
				(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
				 errmsg("the %s engine splits by a seeded hash of each row (split \"random\")", engine),
				 errhint("Leave out \"split\", \"split_key\" and \"split_column\", or train with {\"engine\": \"memory\"}.")));
	er.partitions = partitions_option(td->params_jb, partitions);

	/* the columns; every pass from one snapshot */
	td->src = source_describe(td->source, td->target, td->features, td->n_features, &er.source_sql);
	if (td->target)
		td->target = td->src->target_name;
	PushActiveSnapshot(GetTransactionSnapshot());
	engine_columns(&er);
	stats = engine_stats(&er);

	/* task, classes, learner: the memory engine's decisions */
	if (er.base.target == 1)
		td->target_distinct = (size_t) num_sketch_distinct(&stats->y_num_all);
	train_decide_task(td);
	model = td->model;
	if (td->task == ML_CLASSIFICATION)
		engine_classes(&er, stats);
	er.base.task = td->task;
	train_decide_learner(td);
	check_engine(td->learner, engine);
	if (stats->n_train < 2)
		ereport(ERROR,
				(errcode(ERRCODE_DATA_EXCEPTION),
				 errmsg("training split has %llu rows, at least 2 are needed",
						(unsigned long long) stats->n_train)));
	if (td->task == ML_CLASSIFICATION)
		er.train_counts = train_class_counts(&er, stats, model);
	engine_pipeline(&er, stats, model);
	engine_dataset_json(&er, stats, &r.dataset_js);

	er.ctx.seed = (uint64_t) td->seed;
	er.ctx.threads = mlsql_threads;
	getrusage(RUSAGE_SELF, &ru0);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	engine_fit(&er, stats, model, partitions);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	getrusage(RUSAGE_SELF, &ru1);
	model->learner = partitions ? ensemble_voting_learner() : td->learner;

	if (td->target)
		base_model = engine_baseline(&er, stats, model);
	engine_score(&er, stats, model, base_model, deploy, &r, &args);
	PopActiveSnapshot();
	ml_log_metric(&er.ctx, "train", "passes", -1, er.passes);

	/* the model's bytes, read back before they reach the catalog */
	buffer_init(&r.bytes);
	model_write(model, &r.bytes);
	(void) model_read(r.bytes.data, r.bytes.len);

	r.project = td->project;
	r.source = td->source;
	r.target = td->target;
	r.deploy = deploy;
	r.split_name = "random";
	r.learner = model->learner;
	r.task = td->task;
	r.params_jb = td->params_jb;
	r.params = td->params;
	r.src = td->src;
	r.test_size = td->test_size;
	r.seed = td->seed;
	r.skip_identical = skip_identical;
	r.model = model;
	r.base_model = base_model;
	r.n_rows_total = (int64) stats->rows;
	r.fingerprint = stats->fingerprint;
	r.train_seconds = (double) (t1.tv_sec - t0.tv_sec) + (double) (t1.tv_nsec - t0.tv_nsec) / 1e9;
	r.peak_bytes = (double) MemoryContextMemAllocated(cxt, true);
	r.cpu_user = (double) (ru1.ru_utime.tv_sec - ru0.ru_utime.tv_sec) +
		(double) (ru1.ru_utime.tv_usec - ru0.ru_utime.tv_usec) / 1e6;
	r.cpu_system = (double) (ru1.ru_stime.tv_sec - ru0.ru_stime.tv_sec) +
		(double) (ru1.ru_stime.tv_usec - ru0.ru_stime.tv_usec) / 1e6;
	r.ctx = &er.ctx;
	r.target_info = td->target_info;
	r.extras = engine_extras;
	r.live_score = engine_live_score;
	r.arg = &args;
	train_record(&r, rsinfo);
}
