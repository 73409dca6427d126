/*-------------------------------------------------------------------------
 *
 * gbdt.c
 *	  Gradient-boosted decision trees, histogram algorithm.
 *
 * Features are quantized once into at most max_bins (<= 255) bins per
 * feature, from quantiles of (a stride sample of at most 262 144) training
 * values; a missing value (NaN) has bin 255 of its own.  The bins are a
 * row-major uint8 matrix, so a node's histogram is one pass over its rows
 * reading each row's p contiguous bytes (prefetched ahead), plus a
 * column-major copy for partitioning a node by its split feature.
 *
 * Each round fits one tree per output (1, or k for multiclass softmax) to
 * the gradients g and hessians h of the loss at the current predictions, as
 * XGBoost's second-order boosting: a leaf weighs -T(G) / (H + lambda) times
 * the learning rate (T: soft threshold by alpha), and a split's gain is
 * T(GL)^2 / (HL + lambda) + T(GR)^2 / (HR + lambda) - T(G)^2 / (H + lambda),
 * kept when above gamma with both children's hessian sums at least
 * min_child_weight.  Missing values go to the side that gains more (the
 * default direction, learned per split); with none in the node they go to
 * the side with more cover.
 *
 * Growth: depth-wise (max_depth) expands nodes depth-first, which builds the
 * same tree as level by level and holds at most max_depth + 1 histograms;
 * leaf-wise (max_leaves > 0) always splits the open leaf of highest gain.
 * Only the smaller child's histogram is built; the larger one is the
 * parent's minus it.  Rows are summed in fixed chunks of GB_CHUNK, one
 * partial histogram per chunk, added in chunk order; large nodes are
 * partitioned by the same chunks and gradients computed per chunk, on
 * worker threads.  No sum depends on the thread count, so the model bytes
 * are the same for any mlsql.threads.
 *
 * Early stopping watches the validation loss (the validation split, or a
 * seeded validation_fraction of the training rows) and keeps the best
 * round.  Every round's train and validation loss is logged (the loss
 * curve).  Prediction walks 16-byte nodes with adjacent children (x <
 * threshold goes left, NaN follows the default direction), blocks of rows
 * through each tree, eight in lockstep; rows of floats walk a float copy
 * of the nodes (gbdt_score.c).  ml_explain uses TreeSHAP (treeshap.c) over
 * the nodes' hessian covers.
 *
 * Files: this one is the learner (parameters, prediction, model bytes,
 * description, importance, explanation, the registry entry); gbdt_grow.c
 * bins the features and grows one tree; gbdt_fit.c is the boosting loop;
 * gbdt_score.c the scoring layouts and walks;
 * gbdt_xgboost.c imports XGBoost's JSON models.  gbdt_internal.h holds what
 * they share.
 *
 *-------------------------------------------------------------------------
 */
#include "../core/model.h"
#include "gbdt.h"
#include "gbdt_internal.h"
#include "treeshap.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const MLParamSpec gbdt_params[] = {
	{"n_trees", ML_PARAM_INT, 100, 1, 100000, NULL, NULL, "boosting rounds"},
	{"learning_rate", ML_PARAM_FLOAT, 0.1, 1e-6, 1.0, NULL, NULL, "shrinkage of each tree"},
	{"max_depth", ML_PARAM_INT, 6, 1, 64, NULL, NULL, "deepest level of a tree"},
	{"max_leaves", ML_PARAM_INT, 0, 0, 65536, NULL, NULL,
	"leaves per tree, grown best-first (0: depth-wise growth)"},
	{"min_child_weight", ML_PARAM_FLOAT, 1.0, 0.0, 1e300, NULL, NULL,
	"least hessian sum of a child"},
	{"lambda", ML_PARAM_FLOAT, 1.0, 0.0, 1e300, NULL, NULL, "L2 penalty on leaf weights"},
	{"alpha", ML_PARAM_FLOAT, 0.0, 0.0, 1e300, NULL, NULL, "L1 penalty on leaf weights"},
	{"gamma", ML_PARAM_FLOAT, 0.0, 0.0, 1e300, NULL, NULL, "least gain of a split (min_split_gain)"},
	{"subsample", ML_PARAM_FLOAT, 1.0, 1e-6, 1.0, NULL, NULL, "share of rows each round draws"},
	{"colsample_bytree", ML_PARAM_FLOAT, 1.0, 1e-6, 1.0, NULL, NULL,
	"share of features each tree draws"},
	{"max_bins", ML_PARAM_INT, 255, 2, 255, NULL, NULL, "histogram bins per feature"},
	{"objective", ML_PARAM_STRING, 0, 0, 0, "auto",
		"auto,squared_error,absolute_error,huber,logloss,softmax",
	"loss: auto picks squared_error, logloss (binary) or softmax"},
	{"huber_delta", ML_PARAM_FLOAT, 1.0, 1e-12, 1e300, NULL, NULL, "pseudo-Huber slope change"},
	{"scale_pos_weight", ML_PARAM_FLOAT, 1.0, 1e-12, 1e300, NULL, NULL,
	"weight of the positive class (binary)"},
	ML_CLASS_WEIGHT_PARAM,
	{"early_stopping_rounds", ML_PARAM_INT, 0, 0, 100000, NULL, NULL,
	"stop when the validation loss has not improved for this many rounds (0: off)"},
	{"validation_fraction", ML_PARAM_FLOAT, 0.1, 0.01, 0.5, NULL, NULL,
	"share of training rows held out for early stopping without a validation split"},
	{NULL}
};

/* ---- predict, serialize ---- */

static void
gbdt_predict(const void *state, const double *X, size_t n, double *out)
{
	const Gbdt *m = state;
	int			K = m->K;

	if (m->objective == GB_LOGISTIC)
	{
		gbdt_raw(m, X, n, out + n);		/* scratch: the upper half */
		for (size_t i = 0; i < n; i++)
		{
			double		pr = gb_sigmoid(out[n + i]);

			out[2 * i] = 1 - pr;
			out[2 * i + 1] = pr;
		}
		return;
	}
	gbdt_raw(m, X, n, out);
	if (m->objective == GB_SOFTMAX)
		for (size_t i = 0; i < n; i++)
			ml_softmax(out + i * K, K);
}

static void
gbdt_write(const void *state, MLBuffer *out)
{
	const Gbdt *m = state;
	int			T = m->n_rounds * m->K;

	buffer_put_u32(out, (uint32_t) m->p);
	buffer_put_u32(out, (uint32_t) m->k);
	buffer_put_u32(out, (uint32_t) m->K);
	buffer_put_u8(out, (uint8_t) m->objective);
	buffer_put_u32(out, (uint32_t) m->n_rounds);
	buffer_put_f64s(out, m->base, m->K);
	for (int t = 0; t <= T; t++)
		buffer_put_u32(out, m->start[t]);
	for (uint32_t i = 0; i < m->start[T]; i++)
	{
		const GbNode *nd = &m->nodes[i];

		buffer_put_u32(out, (uint32_t) nd->feature);
		buffer_put_u32(out, (uint32_t) nd->left);
		buffer_put_u32(out, (uint32_t) nd->right);
		buffer_put_u8(out, nd->default_left);
		buffer_put_f64(out, nd->threshold);
		buffer_put_f64(out, nd->value);
		buffer_put_f64(out, nd->gain);
		buffer_put_f64(out, nd->cover);
	}
}

static void *
gbdt_read(MLReader *in, size_t p, int k)
{
	Gbdt	   *m = ml_alloc(sizeof(Gbdt));
	int			T;

	m->p = reader_u32(in);
	m->k = (int) reader_u32(in);
	m->K = (int) reader_u32(in);
	m->objective = reader_u8(in);
	m->n_rounds = (int) reader_u32(in);
	if (m->p != p || m->k != k || m->objective < GB_SQUARED || m->objective > GB_SOFTMAX ||
		m->K != (m->objective == GB_SOFTMAX ? k : 1) || m->K < 1 ||
		m->n_rounds < 0 || m->n_rounds > 100000)
		ml_error(ML_ERR_CORRUPT, NULL, "gbdt model shape does not match its header");
	if (((size_t) m->n_rounds * (size_t) m->K + 1) * 4 > in->len - in->pos)
		ml_error(ML_ERR_CORRUPT, NULL, "gbdt model is truncated");
	T = m->n_rounds * m->K;
	m->base = reader_f64s(in, (size_t) m->K);
	m->start = ml_alloc(sizeof(uint32_t) * ((size_t) T + 1));
	for (int t = 0; t <= T; t++)
	{
		m->start[t] = reader_u32(in);
		if ((t == 0 && m->start[t] != 0) || (t > 0 && m->start[t] <= m->start[t - 1]))
			ml_error(ML_ERR_CORRUPT, NULL, "gbdt model tree offsets are invalid");
	}
	if ((size_t) m->start[T] > (in->len - in->pos) / (4 * 3 + 1 + 8 * 4))
		ml_error(ML_ERR_CORRUPT, NULL, "gbdt model is truncated");
	m->nodes = ml_alloc(sizeof(GbNode) * (m->start[T] ? m->start[T] : 1));
	for (int t = 0; t < T; t++)
	{
		uint32_t	size = m->start[t + 1] - m->start[t];

		for (uint32_t i = 0; i < size; i++)
		{
			GbNode	   *nd = &m->nodes[m->start[t] + i];

			nd->feature = (int32_t) reader_u32(in);
			nd->left = (int32_t) reader_u32(in);
			nd->right = (int32_t) reader_u32(in);
			nd->default_left = reader_u8(in);
			nd->threshold = reader_f64(in);
			nd->value = reader_f64(in);
			nd->gain = reader_f64(in);
			nd->cover = reader_f64(in);
			/* children come after their parent: every walk ends */
			if (nd->feature >= 0 &&
				((size_t) nd->feature >= p || nd->left <= (int32_t) i || nd->right <= (int32_t) i ||
				 (uint32_t) nd->left >= size || (uint32_t) nd->right >= size ||
				 isnan(nd->threshold)))
				ml_error(ML_ERR_CORRUPT, NULL, "gbdt model node is invalid");
			if (nd->feature < -1 || !isfinite(nd->value))
				ml_error(ML_ERR_CORRUPT, NULL, "gbdt model node is invalid");
		}
	}
	gbdt_compile(m);
	return m;
}

static const char *
objective_name(int obj)
{
	static const char *const names[] = {"", "squared_error", "absolute_error", "huber",
	"logloss", "softmax"};

	return obj >= GB_SQUARED && obj <= GB_SOFTMAX ? names[obj] : "?";
}

static void
gbdt_describe(const void *state, MLBuffer *json)
{
	const Gbdt *m = state;
	int			T = m->n_rounds * m->K;
	uint32_t	leaves = 0;

	for (uint32_t i = 0; i < m->start[T]; i++)
		leaves += m->nodes[i].feature < 0;
	buffer_printf(json, "{\"objective\": \"%s\", \"rounds\": %d, \"trees\": %d, \"nodes\": %u, \"leaves\": %u, \"base_score\": [",
				  objective_name(m->objective), m->n_rounds, T, m->start[T], leaves);
	for (int c = 0; c < m->K; c++)
	{
		buffer_printf(json, "%s", c ? ", " : "");
		buffer_json_num(json, m->base[c]);
	}
	buffer_printf(json, "]}");
}

/* total split gain per feature, normalized to sum 1 */
void
gbdt_importance_of(const void *state, GbImportance kind, double *out)
{
	const Gbdt *m = state;
	double		s = 0;

	memset(out, 0, sizeof(double) * m->p);
	for (uint32_t i = 0; i < m->start[m->n_rounds * m->K]; i++)
		if (m->nodes[i].feature >= 0)
			out[m->nodes[i].feature] += kind == GB_IMPORTANCE_GAIN ? m->nodes[i].gain
				: kind == GB_IMPORTANCE_COVER ? m->nodes[i].cover : 1.0;
	for (size_t j = 0; j < m->p; j++)
		s += out[j];
	if (s > 0)
		for (size_t j = 0; j < m->p; j++)
			out[j] /= s;
}

static void
gbdt_importance(const void *state, const MLDataset *train, double *out)
{
	(void) train;
	gbdt_importance_of(state, GB_IMPORTANCE_GAIN, out);
}

static int
gbdt_explain(const void *state, const double *x, const double *mean, double *phi)
{
	const Gbdt *m = state;
	int			K = m->K,
				c = 0;
	ShapNode   *sn = NULL;
	uint8_t    *hot = NULL;
	uint32_t	cap = 0;

	(void) mean;				/* TreeSHAP is relative to the expected value already */

	if (K > 1)
	{
		double	   *raw = ml_alloc(sizeof(double) * K);

		gbdt_raw(m, x, 1, raw);
		c = ml_argmax(raw, K);
		ml_free(raw);
	}
	memset(phi, 0, sizeof(double) * (m->p + 1));
	phi[m->p] = m->base[c];
	for (int r = 0; r < m->n_rounds; r++)
	{
		const GbNode *tree = m->nodes + m->start[r * K + c];
		uint32_t	size = m->start[r * K + c + 1] - m->start[r * K + c];

		if (size > cap)
		{
			if (sn)
			{
				ml_free(sn);
				ml_free(hot);
			}
			cap = size;
			sn = ml_alloc(sizeof(ShapNode) * cap);
			hot = ml_alloc(cap);
		}
		for (uint32_t i = 0; i < size; i++)
		{
			sn[i].feature = tree[i].feature;
			sn[i].left = tree[i].left;
			sn[i].right = tree[i].right;
			sn[i].cover = tree[i].cover;
			sn[i].value = tree[i].value;
			if (tree[i].feature >= 0)
			{
				double		v = x[tree[i].feature];

				hot[i] = isnan(v) ? tree[i].default_left : v < tree[i].threshold;
			}
		}
		treeshap_add(sn, hot, 1.0, phi, &phi[m->p]);
	}
	if (sn)
	{
		ml_free(sn);
		ml_free(hot);
	}
	return K > 1 ? c : -1;
}

/*
 * For tests: the path-dependent expectation of the explained output at x
 * when only the features in `known` (a bit mask) are known, summed over the
 * trees of class c plus the base score: the value function whose Shapley
 * values TreeSHAP computes.
 */
static double
known_expectation(const GbNode *tree, int j, const double *x, uint64_t known)
{
	const GbNode *nd = &tree[j];

	if (nd->feature < 0)
		return nd->value;
	if (known & ((uint64_t) 1 << nd->feature))
	{
		double		v = x[nd->feature];
		bool		left = isnan(v) ? nd->default_left : v < nd->threshold;

		return known_expectation(tree, left ? nd->left : nd->right, x, known);
	}
	{
		double		cl = tree[nd->left].cover,
					cr = tree[nd->right].cover;

		return (cl * known_expectation(tree, nd->left, x, known) +
				cr * known_expectation(tree, nd->right, x, known)) / (cl + cr);
	}
}

double		gbdt_known_expectation(const void *state, const double *x, uint64_t known, int c);

double
gbdt_known_expectation(const void *state, const double *x, uint64_t known, int c)
{
	const Gbdt *m = state;
	double		s = m->base[c];

	for (int r = 0; r < m->n_rounds; r++)
		s += known_expectation(m->nodes + m->start[r * m->K + c], 0, x, known);
	return s;
}

/* the importance kinds beside gain, as XGBoost's weight and cover */
static const char *const gbdt_importance_kinds[] = {"split_count", "cover", NULL};

static void
gbdt_importance_kind(const void *state, int kind, double *out)
{
	gbdt_importance_of(state, kind == 0 ? GB_IMPORTANCE_SPLITS : GB_IMPORTANCE_COVER, out);
}

const MLLearner ml_learner_gbdt = {
	.name = "gbdt",
	.id = 15,
	.tasks = ML_TASK_BIT(ML_REGRESSION) | ML_TASK_BIT(ML_CLASSIFICATION),
	.memorizes = ML_TASK_BIT(ML_REGRESSION),
	.params = gbdt_params,
	.doc = "gradient-boosted trees, histogram algorithm, native missing values",
	.encode = ML_ENCODE_ORDINAL,
	.keep_missing = true,
	.importance_method = "gain",
	.fit = gbdt_fit,
	.predict = gbdt_predict,
	.write = gbdt_write,
	.read = gbdt_read,
	.describe = gbdt_describe,
	.importance = gbdt_importance,
	.explain = gbdt_explain,
	.engines = ML_ENGINE_MEMORY | ML_ENGINE_PARTITIONS,
	.importance_kinds = gbdt_importance_kinds,
	.importance_kind = gbdt_importance_kind,
	.predict_in_tasks = true,
};
