/*-------------------------------------------------------------------------
 *
 * calibrated.c
 *	  Calibrated: a classifier whose probabilities pass through calibrators
 *	  fitted on out-of-fold predictions (scikit-learn's
 *	  CalibratedClassifierCV with ensemble=False; Platt 1999, Zadrozny and
 *	  Elkan 2002).
 *
 * Fit: the training rows are dealt into `folds` stratified folds
 * (dataset_folds, from the run's seed); the base learner is fit on the
 * other folds and scores each fold, so every training row gets a
 * probability from a model that did not see it; one calibrator per class
 * (one for the second class of two, calibrate.h) is fitted on those
 * out-of-fold probabilities; then the base is fit once more on every
 * training row with the run's own seed and context, exactly as a training
 * of the base alone would fit it: with the same data, params and seed the
 * base's bytes are those of the model ml_calibrate calibrates.  The test
 * split never reaches the fit.  Cost: folds + 1 fits of the base.  The fit
 * logs brier_before / brier_after / ece_before / ece_after (validation
 * split, final values): the out-of-fold probabilities before calibration
 * and after it, cross-fitted (log_before_after).
 *
 * Predict: the base's probabilities, then calibrate_probabilities.
 *
 * Payload: u8 method, u16 base learner id, u32 length and the base's
 * payload (read with the nesting depth of an ensemble member), u32 count
 * of calibrators (1 for two classes, else k), each calibrator_write.
 *
 *-------------------------------------------------------------------------
 */
#include "ensemble_internal.h"
#include "../core/calibrate.h"
#include "../core/json.h"
#include "../core/rng.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#define ROW_BLOCK 256

static const MLParamSpec calibrated_params[] = {
	{"base", ML_PARAM_JSON, 0, 0, 0, "{\"algorithm\": \"logistic\"}", "object",
	"the classifier to calibrate, e.g. {\"algorithm\": \"gbdt\", \"max_depth\": 6}"},
	{"method", ML_PARAM_STRING, 0, 0, 0, "isotonic", "isotonic,sigmoid",
	"isotonic regression, or Platt's sigmoid"},
	{"folds", ML_PARAM_INT, 5, 2, 20, NULL, NULL, "folds of the out-of-fold predictions"},
	{NULL}
};

typedef struct Calibrated
{
	const MLLearner *base;		/* the wrapped classifier */
	void	   *base_state;
	size_t		p;				/* features */
	int			k;				/* classes */
	MLCalibration method;
	int			n_cal;			/* 1 for two classes, else k */
	MLCalibrator *cal;
} Calibrated;

/* the base's learner and params from the "base" parameter (the JSON text) */
static const MLLearner *
base_config(const MLParams *params, MLParams **base_params)
{
	const char *text = params_get_str(params, "base");
	MLJson	   *cfg = json_parse(text, strlen(text), "parameter \"base\"");
	const MLJson *alg = json_get(cfg, "algorithm");
	const MLLearner *l;
	static const char *const skip[] = {"algorithm", NULL};

	if (cfg->type != ML_JSON_OBJECT || alg == NULL || alg->type != ML_JSON_STRING)
		ml_error(ML_ERR_PARAM, "For example {\"algorithm\": \"gbdt\", \"max_depth\": 6}.",
				 "parameter \"base\" needs \"algorithm\" as a string");
	l = learner_find(alg->str);
	if (l == NULL)
		ml_error(ML_ERR_PARAM, NULL, "parameter \"base\": unknown algorithm \"%s\"", alg->str);
	if (!(l->tasks & ML_TASK_BIT(ML_CLASSIFICATION)))
		ml_error(ML_ERR_PARAM, NULL, "parameter \"base\": algorithm \"%s\" is not a classifier", l->name);
	if (l->id == ML_ID_CALIBRATED)
		ml_error(ML_ERR_PARAM, "Calibrate the base model instead.",
				 "parameter \"base\": a calibrated model cannot be calibrated again");
	if (base_params)
		*base_params = params_from_json(l->name, l->params, cfg, skip);
	return l;
}

static const MLLearner *
calibrated_preprocess_as(const MLParams *params)
{
	return base_config(params, NULL);
}

/* the base's probabilities for n rows of d (column-major) from row first, into out (n x k) */
static void
predict_rows(const MLLearner *l, const void *state, const MLDataset *d, const size_t *rows,
			 size_t n, double *out)
{
	size_t		p = d->n_cols,
				k = (size_t) d->n_classes;
	double	   *X = ml_alloc(ml_mul_size(ROW_BLOCK, p ? p : 1) * sizeof(double));

	for (size_t s = 0; s < n; s += ROW_BLOCK)
	{
		size_t		b = n - s < ROW_BLOCK ? n - s : ROW_BLOCK;

		for (size_t i = 0; i < b; i++)
			for (size_t j = 0; j < p; j++)
				X[i * p + j] = d->X[j * d->n_rows + rows[s + i]];
		l->predict(state, X, b, out + s * k);
	}
	ml_free(X);
}

static void
dataset_release(MLDataset *d)
{
	ml_free(d->X);
	ml_free(d->y);
	ml_free(d);
}

/* the context of one of the base's fits: ctx's names and threads, none of its logs */
static MLFitContext
base_context(const MLFitContext *ctx, uint64_t seed)
{
	MLFitContext c = {0};

	if (ctx)
	{
		c.threads = ctx->threads;
		c.feature_names = ctx->feature_names;
		c.feature_columns = ctx->feature_columns;
		c.feature_sources = ctx->feature_sources;
		c.class_labels = ctx->class_labels;
		c.path = ctx->path;
		c.depth = ctx->depth + 1;
	}
	else
		c.threads = 1;
	c.seed = seed;
	return c;
}

/*
 * Out-of-fold probabilities of every training row (n x k): fold f's rows
 * scored by the base fit on the other folds.
 */
static double *
out_of_fold(const MLLearner *l, const MLParams *bp, const MLDataset *train, int folds,
			const MLFitContext *ctx, int **fold_out)
{
	size_t		n = train->n_rows,
				k = (size_t) train->n_classes;
	uint64_t	seed = ctx ? ctx->seed : 0;
	int		   *fold = dataset_folds(train, folds, ml_mix64(seed ^ 0xCA1Bull));
	double	   *oof = ml_alloc(ml_mul_size(n ? n : 1, k * sizeof(double)));
	size_t	   *in = ml_alloc(sizeof(size_t) * (n ? n : 1));
	size_t	   *out = ml_alloc(sizeof(size_t) * (n ? n : 1));
	double	   *pred = ml_alloc(ml_mul_size(n ? n : 1, k * sizeof(double)));

	for (int f = 0; f < folds; f++)
	{
		size_t		ni = 0,
					no = 0;
		MLDataset  *sub;
		MLFitContext fc = base_context(ctx, ensemble_member_seed(seed, 0xCA1Bull, (uint64_t) f));
		void	   *state;

		ml_check_interrupts();
		for (size_t i = 0; i < n; i++)
		{
			if (fold[i] == f)
				out[no++] = i;
			else
				in[ni++] = i;
		}
		if (no == 0 || ni == 0)
			continue;
		sub = dataset_subset(train, in, ni);
		state = l->fit(sub, NULL, bp, &fc);
		predict_rows(l, state, train, out, no, pred);
		for (size_t i = 0; i < no; i++)
			memcpy(oof + out[i] * k, pred + i * k, k * sizeof(double));
		dataset_release(sub);
		if (fc.metrics)
			ml_free(fc.metrics);
		ml_progress("fold", f + 1, folds, NULL, NAN);
	}
	*fold_out = fold;
	ml_free(in);
	ml_free(out);
	ml_free(pred);
	return oof;
}

/* fit the calibrators of c on n rows of out-of-fold probabilities */
static void
fit_calibrators(Calibrated *c, const double *proba, const double *y, size_t n,
				const double *row_weight)
{
	double	   *score = ml_alloc(sizeof(double) * (n ? n : 1));
	double	   *pos = ml_alloc(sizeof(double) * (n ? n : 1));

	c->n_cal = c->k == 2 ? 1 : c->k;
	c->cal = ml_alloc(sizeof(MLCalibrator) * (size_t) c->n_cal);
	for (int j = 0; j < c->n_cal; j++)
	{
		int			cls = c->k == 2 ? 1 : j;

		for (size_t i = 0; i < n; i++)
		{
			score[i] = proba[i * (size_t) c->k + cls];
			pos[i] = (int) y[i] == cls ? 1.0 : 0.0;
		}
		calibrator_fit(&c->cal[j], c->method, score, pos, row_weight, n);
	}
	ml_free(score);
	ml_free(pos);
}

/*
 * The Brier score and ECE of the out-of-fold probabilities before
 * calibration and after it, the after cross-fitted (fold f's rows through
 * calibrators fitted on the other folds' rows, so no row calibrates
 * itself): final values of the validation split, brier_before,
 * brier_after, ece_before, ece_after.
 */
static void
log_before_after(const Calibrated *c, const double *oof, const MLDataset *train, const int *fold,
				 int folds, MLFitContext *ctx)
{
	size_t		n = train->n_rows,
				k = (size_t) c->k,
				nk = ml_mul_size(n, k * sizeof(double));
	double	   *cal_oof = ml_alloc(nk);	/* the cross-fitted calibrated probabilities */
	double	   *part = ml_alloc(nk);	/* the calibrators' rows */
	double	   *held = ml_alloc(nk);	/* fold f's rows */
	double	   *ya = ml_alloc(sizeof(double) * n);
	size_t	   *rows = ml_alloc(sizeof(size_t) * n);

	memcpy(cal_oof, oof, nk);
	for (int f = 0; f < folds; f++)
	{
		Calibrated	cf = *c;
		size_t		m = 0,
					q = 0;

		for (size_t i = 0; i < n; i++)
			if (fold[i] != f)
			{
				memcpy(part + m * k, oof + i * k, k * sizeof(double));
				ya[m++] = train->y[i];
			}
			else
				rows[q++] = i;
		if (m == 0 || q == 0)
			continue;
		fit_calibrators(&cf, part, ya, m, NULL);
		for (size_t i = 0; i < q; i++)
			memcpy(held + i * k, oof + rows[i] * k, k * sizeof(double));
		calibrate_probabilities(cf.cal, c->k, held, q);
		for (size_t i = 0; i < q; i++)
			memcpy(cal_oof + rows[i] * k, held + i * k, k * sizeof(double));
		for (int j = 0; j < cf.n_cal; j++)
			calibrator_free(&cf.cal[j]);
		ml_free(cf.cal);
	}
	ml_log_metric(ctx, "validation", "brier_before", -1, calibration_brier(train->y, oof, n, c->k));
	ml_log_metric(ctx, "validation", "brier_after", -1, calibration_brier(train->y, cal_oof, n, c->k));
	ml_log_metric(ctx, "validation", "ece_before", -1,
				  calibration_ece(train->y, oof, n, c->k, ML_ECE_BINS));
	ml_log_metric(ctx, "validation", "ece_after", -1,
				  calibration_ece(train->y, cal_oof, n, c->k, ML_ECE_BINS));
	ml_free(cal_oof);
	ml_free(part);
	ml_free(held);
	ml_free(ya);
	ml_free(rows);
}

static void *
calibrated_fit(const MLDataset *train, const MLDataset *valid, const MLParams *params,
			   MLFitContext *ctx)
{
	Calibrated *c = ml_alloc(sizeof(Calibrated));
	MLParams   *bp;
	double	   *oof;
	int		   *fold;
	MLFitContext fc;

	c->base = base_config(params, &bp);
	if (ctx && ctx->class_labels)
		params_bind_classes(bp, ctx->class_labels, train->n_classes);
	if (ctx && ctx->depth + 1 >= ML_ENSEMBLE_MAX_DEPTH)
		ml_error(ML_ERR_PARAM, NULL, "a calibrated model nests at most %d levels deep",
				 ML_ENSEMBLE_MAX_DEPTH);
	c->p = train->n_cols;
	c->k = train->n_classes;
	c->method = calibration_from_name(params_get_str(params, "method"));
	if (c->k < 2)
		ml_error(ML_ERR_DATA, NULL, "calibration needs at least two classes");
	if (train->n_rows < (size_t) params_get_num(params, "folds"))
		ml_error(ML_ERR_DATA, "Use fewer folds.", "calibration with %d folds needs at least %d training rows, got %zu",
				 (int) params_get_num(params, "folds"), (int) params_get_num(params, "folds"), train->n_rows);

	oof = out_of_fold(c->base, bp, train, (int) params_get_num(params, "folds"), ctx, &fold);
	if (ctx)
		log_before_after(c, oof, train, fold, (int) params_get_num(params, "folds"), ctx);
	fit_calibrators(c, oof, train->y, train->n_rows, NULL);
	ml_free(oof);
	ml_free(fold);

	/* the base on every training row, as a training of the base alone fits it */
	fc = base_context(ctx, ctx ? ctx->seed : 0);
	fc.depth = ctx ? ctx->depth : 0;
	fc.want_train_pred = ctx ? ctx->want_train_pred : false;
	if (ctx)
	{
		fc.metrics = ctx->metrics;
		fc.n_metrics = ctx->n_metrics;
		fc.cap_metrics = ctx->cap_metrics;
	}
	c->base_state = c->base->fit(train, valid, bp, &fc);
	if (ctx)
	{
		/* the base's loss curves are the run's; its training probabilities, calibrated */
		ctx->metrics = fc.metrics;
		ctx->n_metrics = fc.n_metrics;
		ctx->cap_metrics = fc.cap_metrics;
		if (fc.train_pred)
		{
			calibrate_probabilities(c->cal, c->k, fc.train_pred, train->n_rows);
			ctx->train_pred = fc.train_pred;
		}
	}
	return c;
}

static void
calibrated_predict(const void *state, const double *X, size_t n, double *out)
{
	const Calibrated *c = state;

	c->base->predict(c->base_state, X, n, out);
	calibrate_probabilities(c->cal, c->k, out, n);
}

static void
calibrated_write(const void *state, MLBuffer *out)
{
	const Calibrated *c = state;
	MLBuffer	b;

	buffer_put_u8(out, (uint8_t) c->method);
	buffer_put_u16(out, c->base->id);
	buffer_init(&b);
	c->base->write(c->base_state, &b);
	buffer_put_u32(out, (uint32_t) b.len);
	buffer_put_bytes(out, b.data, b.len);
	ml_free(b.data);
	buffer_put_u32(out, (uint32_t) c->n_cal);
	for (int j = 0; j < c->n_cal; j++)
		calibrator_write(&c->cal[j], out);
}

static void *
calibrated_read(MLReader *in, size_t p, int k)
{
	Calibrated *c = ml_alloc(sizeof(Calibrated));
	uint16_t	id;
	uint32_t	len,
				n_cal;
	MLReader	sub;

	if (in->depth >= ML_ENSEMBLE_MAX_DEPTH)
		ml_error(ML_ERR_CORRUPT, NULL, "models nested more than %d deep", ML_ENSEMBLE_MAX_DEPTH);
	if (k < 2)
		ml_error(ML_ERR_CORRUPT, NULL, "calibrated model without classes");
	c->p = p;
	c->k = k;
	c->method = (MLCalibration) reader_u8(in);
	if (c->method != ML_CALIB_ISOTONIC && c->method != ML_CALIB_SIGMOID)
		ml_error(ML_ERR_CORRUPT, NULL, "calibrated model has unknown method %d", (int) c->method);
	id = reader_u16(in);
	c->base = learner_find_id(id);
	if (c->base == NULL)
		ml_error(ML_ERR_CORRUPT, NULL, "calibrated model has unknown base learner id %u", id);
	if (c->base->id == ML_ID_CALIBRATED || !(c->base->tasks & ML_TASK_BIT(ML_CLASSIFICATION)))
		ml_error(ML_ERR_CORRUPT, NULL, "calibrated model has base learner \"%s\"", c->base->name);
	len = reader_u32(in);
	reader_init(&sub, reader_bytes(in, len), len);
	sub.depth = in->depth + 1;
	c->base_state = c->base->read(&sub, p, k);
	reader_expect_end(&sub);
	n_cal = reader_u32(in);
	if (n_cal != (uint32_t) (k == 2 ? 1 : k))
		ml_error(ML_ERR_CORRUPT, NULL, "calibrated model has %u calibrators for %d classes", n_cal, k);
	c->n_cal = (int) n_cal;
	c->cal = ml_alloc(sizeof(MLCalibrator) * n_cal);
	for (uint32_t j = 0; j < n_cal; j++)
	{
		calibrator_read(&c->cal[j], in);
		if (c->cal[j].method != c->method)
			ml_error(ML_ERR_CORRUPT, NULL, "calibrated model mixes calibration methods");
	}
	return c;
}

static void
calibrated_describe(const void *state, MLBuffer *json)
{
	const Calibrated *c = state;

	buffer_printf(json, "{\"method\": ");
	buffer_json_str(json, calibration_name(c->method));
	buffer_printf(json, ", \"calibrators\": %d, \"base\": {\"algorithm\": ", c->n_cal);
	buffer_json_str(json, c->base->name);
	if (c->base->describe)
	{
		buffer_printf(json, ", \"model\": ");
		c->base->describe(c->base_state, json);
	}
	buffer_printf(json, "}}");
}

const MLLearner ml_learner_calibrated = {
	.name = "calibrated",
	.id = ML_ID_CALIBRATED,
	.tasks = ML_TASK_BIT(ML_CLASSIFICATION),
	.params = calibrated_params,
	.doc = "a classifier with probabilities calibrated on out-of-fold predictions (isotonic or sigmoid)",
	.fit = calibrated_fit,
	.predict = calibrated_predict,
	.write = calibrated_write,
	.read = calibrated_read,
	.describe = calibrated_describe,
	.engines = ML_ENGINE_MEMORY,
	.preprocess_as = calibrated_preprocess_as,
};
