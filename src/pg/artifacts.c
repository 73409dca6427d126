/*-------------------------------------------------------------------------
 *
 * artifacts.c
 *	  The memory engine's artifacts of a run: per-class reports and the
 *	  confusion matrix, feature importance (the learner's own and
 *	  permutation importance), and an ensemble's member runs.
 *
 * Written through the catalog door (catalog.c) in the caller's transaction.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "common/cryptohash.h"
#include "common/sha2.h"

#include <math.h>

#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "funcapi.h"
#include "lib/stringinfo.h"
#include "miscadmin.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/float.h"
#include "utils/jsonb.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/numeric.h"

#include "core/buffer.h"
#include "core/calibrate.h"
#include "core/metrics.h"
#include "core/parallel.h"
#include "core/rng.h"
#include "ensemble/ensemble.h"
#include "pg/artifacts.h"
#include "pg/catalog.h"
#include "pg/evaluate.h"
#include "pg/mlsql_pg.h"
#include "pg/params.h"


/* one application/json artifact of a run */
static void
insert_artifact(int64 run_id, const char *name, MLBuffer *b)
{
	catalog_insert_artifact(run_id, name, "application/json", b->data, b->len);
}

/*
 * Confusion matrix (rows: true class, columns: predicted), per-class
 * precision / recall / f1 / support and the reliability curve (calibrate.h,
 * the ML_ECE_BINS bins the ece metric sums) of a classification model on a
 * split, as three JSON artifacts of the run.
 */
/* the reliability curve of n rows' probabilities (n x k) as artifact calibration_curve */
static void
write_curve_artifact(int64 run_id, const double *y, const double *proba, size_t n, int k,
					 const char *split)
{
	int			bin[ML_ECE_BINS];
	double		mp[ML_ECE_BINS],
				ob[ML_ECE_BINS];
	int64_t		cnt[ML_ECE_BINS];
	int			used = calibration_curve(y, proba, n, k, ML_ECE_BINS, bin, mp, ob, cnt);
	MLBuffer	c;

	buffer_init(&c);
	buffer_printf(&c, "{\"split\": \"%s\", \"bins\": %d, \"of\": \"%s\", \"points\": [",
				  split, ML_ECE_BINS, k == 2 ? "second class" : "top label");
	for (int i = 0; i < used; i++)
	{
		buffer_printf(&c, "%s{\"bin\": %d, \"mean_predicted\": ", i ? ", " : "", bin[i] + 1);
		buffer_json_num(&c, mp[i]);
		buffer_printf(&c, ", \"observed\": ");
		buffer_json_num(&c, ob[i]);
		buffer_printf(&c, ", \"n\": " INT64_FORMAT "}", (int64) cnt[i]);
	}
	buffer_printf(&c, "]}");
	insert_artifact(run_id, "calibration_curve", &c);
}

void
write_class_artifacts(int64 run_id, const MLModel *m, const MLDataset *d, const char *split,
					  const double *proba)
{
	int			k = m->n_classes;
	size_t		n = d->n_rows;
	int64	   *cm = palloc0(sizeof(int64) * k * k);
	double	   *own = proba ? NULL : mlsql_predict_dataset(m, d);
	MLBuffer	a,
				b;

	if (own)
		proba = own;
	for (size_t i = 0; i < n; i++)
		cm[(int) d->y[i] * k + ml_argmax(proba + i * k, k)]++;
	write_curve_artifact(run_id, d->y, proba, n, k, split);
	if (own)
		pfree(own);
	buffer_init(&a);
	buffer_init(&b);
	buffer_printf(&a, "{\"split\": \"%s\", \"labels\": [", split);
	buffer_printf(&b, "{\"split\": \"%s\", \"labels\": [", split);
	for (int c = 0; c < k; c++)
	{
		buffer_printf(&a, "%s", c ? ", " : "");
		buffer_json_str(&a, m->class_labels[c]);
		buffer_printf(&b, "%s", c ? ", " : "");
		buffer_json_str(&b, m->class_labels[c]);
	}
	buffer_printf(&a, "], \"matrix\": [");
	buffer_printf(&b, "], \"classes\": [");
	for (int t = 0; t < k; t++)
	{
		int64		tp = cm[t * k + t],
					support = 0,
					predicted = 0;
		double		prec,
					rec;

		buffer_printf(&a, "%s[", t ? ", " : "");
		for (int c = 0; c < k; c++)
		{
			buffer_printf(&a, "%s" INT64_FORMAT, c ? ", " : "", cm[t * k + c]);
			support += cm[t * k + c];
			predicted += cm[c * k + t];
		}
		buffer_printf(&a, "]");
		prec = predicted ? (double) tp / predicted : 0;
		rec = support ? (double) tp / support : 0;
		buffer_printf(&b, "%s{\"label\": ", t ? ", " : "");
		buffer_json_str(&b, m->class_labels[t]);
		buffer_printf(&b, ", \"precision\": ");
		buffer_json_num(&b, prec);
		buffer_printf(&b, ", \"recall\": ");
		buffer_json_num(&b, rec);
		buffer_printf(&b, ", \"f1\": ");
		buffer_json_num(&b, prec + rec > 0 ? 2 * prec * rec / (prec + rec) : 0);
		buffer_printf(&b, ", \"support\": " INT64_FORMAT "}", support);
	}
	buffer_printf(&a, "]}");
	buffer_printf(&b, "]}");
	insert_artifact(run_id, "confusion_matrix", &a);
	insert_artifact(run_id, "classification_report", &b);
}

/* a feature-level measure summed over each source column's features */
static void
sum_by_column(const MLPipeline *pl, const double *imp, double *col_imp)
{
	for (int c = 0; c < pl->n_cols; c++)
	{
		col_imp[c] = 0;
		for (int w = 0; w < pl->cols[c].out_width; w++)
			col_imp[c] += imp[pl->cols[c].out_start + w];
	}
}

/*
 * Feature importance of the model's features as an artifact: the learner's
 * own (impurity, standardized coefficients), or permutation importance on
 * the evaluation split (the drop in the key metric when one feature's
 * values are shuffled, seeded; at most 2000 rows).  Permutation scores the
 * rows p + 1 times, so its row count is bounded by a work budget: scoring
 * one row is taken to cost about one operation per 8 bytes of the model
 * (true of k-NN and the MLP, an overestimate for trees), and rows are
 * capped so that (p + 1) * rows * cost stays under ML_IMPORTANCE_BUDGET.
 * Fewer than 100 affordable rows skips it with a notice.  Deterministic:
 * the same model gives the same rows.
 */
#define ML_IMPORTANCE_BUDGET 5e9

/* learners that measure their features' importance themselves */
static bool
own_importance(const MLLearner *l)
{
	return l->importance != NULL;
}

void
write_importance(int64 run_id, const MLModel *m, const MLDataset *train,
				 const MLDataset *eval, uint64_t seed, size_t model_bytes)
{
	size_t		p = m->n_features;
	const MLPipeline *pl = m->pipeline;
	double	   *imp = palloc0(sizeof(double) * Max(p, 1));
	double	   *col_imp = palloc0(sizeof(double) * Max(pl->n_cols, 1));
	const char *method;
	MLBuffer	b;
	bool		own = false;

	if (m->learner->importance)
	{
		/* NaN first: the learner has none here (an ensemble of such members) */
		m->learner->importance(m->state, train, imp);
		own = p == 0 || !isnan(imp[0]);
	}
	if (!own && metrics_key(m->task) == NULL)
		return;					/* no score to permute against */
	if (own)
		method = m->learner->importance_method ? m->learner->importance_method : "coefficients";
	else
	{
		size_t		n = Min(eval->n_rows, 2000);
		MLDataset	d = *eval;
		const char *key = metrics_key(m->task);
		MLMetricSet ms;
		double		base,
					afford;
		MLRng		rng;

		afford = ML_IMPORTANCE_BUDGET / ((double) (p + 1) * Max((double) model_bytes / 8, (double) p));
		if (afford < (double) n)
		{
			if (afford < 100 && n >= 100)
			{
				ereport(NOTICE,
						(errmsg("permutation feature importance skipped: scoring %zu features is too costly for this model", p),
						 errhint("Fewer features, or a learner that measures its own importance (%s), record one.",
								 learner_names_where(own_importance))));
				return;
			}
			n = Max((size_t) afford, Min(n, 100));
		}
		method = "permutation";
		d.n_rows = n;
		d.X = palloc_extended(Max(n, 1) * Max(p, 1) * sizeof(double), MCXT_ALLOC_HUGE);
		for (size_t j = 0; j < p; j++)
			memcpy(d.X + j * n, eval->X + j * eval->n_rows, n * sizeof(double));
		mlsql_evaluate_dataset(m, &d, &ms);
		base = metrics_get(&ms, key);
		ml_rng_seed(&rng, seed ^ 0x9e3779b97f4a7c15ull);

		/*
		 * One permutation per source column: its features (one-hot parts,
		 * an indicator) move together, as the column's values would
		 */
		for (int c = 0; c < pl->n_cols && n > 1; c++)
		{
			const MLPipeCol *pc = &pl->cols[c];
			size_t	   *perm = palloc(n * sizeof(size_t));
			double	   *save = palloc(n * Max(pc->out_width, 1) * sizeof(double));

			for (size_t i = 0; i < n; i++)
				perm[i] = i;
			for (size_t i = n - 1; i > 0; i--)
			{
				size_t		r = (size_t) (ml_rng_next(&rng) % (i + 1));
				size_t		t = perm[i];

				perm[i] = perm[r];
				perm[r] = t;
			}
			for (int w = 0; w < pc->out_width; w++)
			{
				double	   *col = d.X + (size_t) (pc->out_start + w) * n;

				memcpy(save + (size_t) w * n, col, n * sizeof(double));
				for (size_t i = 0; i < n; i++)
					col[i] = save[(size_t) w * n + perm[i]];
			}
			mlsql_evaluate_dataset(m, &d, &ms);
			col_imp[c] = base - metrics_get(&ms, key);
			for (int w = 0; w < pc->out_width; w++)
				memcpy(d.X + (size_t) (pc->out_start + w) * n, save + (size_t) w * n, n * sizeof(double));
			pfree(save);
			pfree(perm);
		}
		/* a column's features share its importance evenly, for the per-feature list */
		for (int c = 0; c < pl->n_cols; c++)
			for (int w = 0; w < pl->cols[c].out_width; w++)
				imp[pl->cols[c].out_start + w] = col_imp[c] / pl->cols[c].out_width;
	}
	if (own)
		sum_by_column(pl, imp, col_imp);
	buffer_init(&b);
	buffer_printf(&b, "{\"method\": \"%s\", \"features\": [", method);
	for (size_t j = 0; j < p; j++)
	{
		buffer_printf(&b, "%s", j ? ", " : "");
		buffer_json_str(&b, m->feature_names[j]);
	}
	buffer_printf(&b, "], \"importance\": [");
	for (size_t j = 0; j < p; j++)
	{
		buffer_printf(&b, "%s", j ? ", " : "");
		buffer_json_num(&b, imp[j]);
	}
	buffer_printf(&b, "]");
	/* per source column (one-hot parts summed), what ml_feature_importance reports */
	buffer_printf(&b, ", \"columns\": [");
	for (int c = 0; c < pl->n_cols; c++)
	{
		buffer_printf(&b, "%s", c ? ", " : "");
		buffer_json_str(&b, pl->cols[c].name);
	}
	buffer_printf(&b, "], \"column_importance\": [");
	for (int c = 0; c < pl->n_cols; c++)
	{
		buffer_printf(&b, "%s", c ? ", " : "");
		buffer_json_num(&b, col_imp[c]);
	}
	buffer_printf(&b, "]");
	if (own && m->learner->importance_kinds)
	{
		/* more kinds the learner measures (boosting: splits and their cover) */
		const char *const *kinds = m->learner->importance_kinds;

		buffer_printf(&b, ", \"also\": {");
		for (int k = 0; kinds[k]; k++)
		{
			m->learner->importance_kind(m->state, k, imp);
			buffer_printf(&b, "%s\"%s\": [", k ? ", " : "", kinds[k]);
			for (size_t j = 0; j < p; j++)
			{
				buffer_printf(&b, "%s", j ? ", " : "");
				buffer_json_num(&b, imp[j]);
			}
			buffer_printf(&b, "]");
		}
		buffer_printf(&b, "}, \"also_columns\": {");
		for (int k = 0; kinds[k]; k++)
		{
			m->learner->importance_kind(m->state, k, imp);
			sum_by_column(pl, imp, col_imp);
			buffer_printf(&b, "%s\"%s\": [", k ? ", " : "", kinds[k]);
			for (int c = 0; c < pl->n_cols; c++)
			{
				buffer_printf(&b, "%s", c ? ", " : "");
				buffer_json_num(&b, col_imp[c]);
			}
			buffer_printf(&b, "]");
		}
		buffer_printf(&b, "}");
	}
	buffer_printf(&b, "}");
	insert_artifact(run_id, "feature_importance", &b);
}

/*
 * An ensemble's members: one child run each (its parameters, the
 * validation metrics its fit logged, its metrics on the evaluation split),
 * and the 'ensemble_report' artifact behind ml_ensemble_report: each
 * member's score and the correlation of the members' errors on the
 * evaluation split (0/1 misclassification, or residuals), for at most
 * ML_REPORT_MAX_CORR members.
 */
#define ML_REPORT_MAX_CORR 256

void
write_members(int64 run_id, int64 experiment_id, int64 project_id, int64 dataset_id,
			  int64 seed, const MLModel *m, const MLFitContext *ctx, const MLDataset *eval,
			  const char *eval_split, size_t n_train, size_t n_test)
{
	int			nm = ensemble_n_members(m);
	size_t		n = eval->n_rows,
				p = eval->n_cols,
				w = model_output_width(m);
	double	   *X = palloc_extended(Max(n, 1) * Max(p, 1) * sizeof(double), MCXT_ALLOC_HUGE);
	double	   *out = palloc_extended(Max(n, 1) * w * sizeof(double), MCXT_ALLOC_HUGE);
	int			nc = Min(nm, ML_REPORT_MAX_CORR);
	double	  **err = palloc0(sizeof(double *) * Max(nc, 1));
	double	   *score = palloc0(sizeof(double) * Max(nm, 1));
	int64	   *run_ids = palloc0(sizeof(int64) * Max(nm, 1));
	const char *key = metrics_key(m->task);
	MLBuffer	b;

	if (nm == 0 || nm != ctx->n_members)
		return;
	for (size_t j = 0; j < p; j++)
		for (size_t i = 0; i < n; i++)
			X[i * p + j] = eval->X[j * n + i];
	for (int i = 0; i < nm; i++)
	{
		const MLMemberLog *log = &ctx->members[i];
		MetricRows	rows = {0};
		MLMetricSet ms;
		CatalogRun	run;

		ensemble_member_predict(m, i, X, n, out);
		if (m->task == ML_CLASSIFICATION)
			metrics_classification(eval->y, out, n, (int) w, &ms);
		else
			metrics_regression(eval->y, out, n, &ms);
		score[i] = metrics_get(&ms, key);
		if (i < nc)
		{
			err[i] = palloc_extended(Max(n, 1) * sizeof(double), MCXT_ALLOC_HUGE);
			for (size_t a = 0; a < n; a++)
				err[i][a] = m->task == ML_CLASSIFICATION
					? (double) (ml_argmax(out + a * w, (int) w) != (int) eval->y[a])
					: eval->y[a] - out[a];
		}
		catalog_run_init(&run);
		run.experiment_id = experiment_id;
		run.parent_run_id = run_id;
		run.project_id = project_id;
		run.algorithm = log->algorithm;
		run.params = DirectFunctionCall1(jsonb_in, CStringGetDatum(log->params_json));
		run.seed = seed;
		run.dataset_id = dataset_id;
		run.task = ml_task_name(m->task);
		run.n_train = (int64) n_train;
		run.n_test = (int64) n_test;
		run_ids[i] = catalog_insert_run(&run);
		for (size_t r = 0; r < log->n_metrics; r++)
			add_metric(&rows, log->metrics[r].split, log->metrics[r].name,
					   log->metrics[r].step, log->metrics[r].value);
		add_metric_set(&rows, eval_split, &ms);
		catalog_insert_metrics(run_ids[i], &rows);
		CHECK_FOR_INTERRUPTS();
	}

	buffer_init(&b);
	buffer_printf(&b, "{\"metric\": ");
	buffer_json_str(&b, key);
	buffer_printf(&b, ", \"split\": ");
	buffer_json_str(&b, eval_split);
	buffer_printf(&b, ", \"members\": [");
	for (int i = 0; i < nm; i++)
	{
		buffer_printf(&b, "%s{\"member\": %d, \"path\": ", i ? ", " : "", i + 1);
		buffer_json_str(&b, ctx->members[i].path);
		buffer_printf(&b, ", \"algorithm\": ");
		buffer_json_str(&b, ctx->members[i].algorithm);
		buffer_printf(&b, ", \"run_id\": " INT64_FORMAT ", \"score\": ", run_ids[i]);
		buffer_json_num(&b, score[i]);
		buffer_printf(&b, ", \"error_correlation\": ");
		if (i >= nc)
		{
			buffer_printf(&b, "null}");
			continue;
		}
		buffer_printf(&b, "[");
		for (int j = 0; j < nc; j++)
		{
			double		sa = 0,
						sb = 0,
						saa = 0,
						sbb = 0,
						sab = 0,
						r;

			for (size_t a = 0; a < n; a++)
			{
				sa += err[i][a];
				sb += err[j][a];
			}
			sa /= Max(n, 1);
			sb /= Max(n, 1);
			for (size_t a = 0; a < n; a++)
			{
				double		da = err[i][a] - sa,
							db = err[j][a] - sb;

				saa += da * da;
				sbb += db * db;
				sab += da * db;
			}
			r = saa > 0 && sbb > 0 ? sab / sqrt(saa * sbb) : NAN;
			buffer_printf(&b, "%s", j ? ", " : "");
			buffer_json_num(&b, r);
		}
		buffer_printf(&b, "]}");
	}
	buffer_printf(&b, "]}");
	insert_artifact(run_id, "ensemble_report", &b);
}
