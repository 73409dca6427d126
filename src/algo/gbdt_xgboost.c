/*-------------------------------------------------------------------------
 *
 * gbdt_xgboost.c
 *	  gbdt: importing a model that XGBoost saved as JSON (gbdt_import_xgboost).
 *
 * A file format, not training: the JSON is read with every member checked
 * (type, length, range), and bad input is an ML_ERR_PARAM error, never a
 * crash (fuzzed by test/fuzz/fuzz.c).  The result is an ordinary gbdt model.
 *
 *-------------------------------------------------------------------------
 */
#include "../core/json.h"
#include "gbdt.h"
#include "gbdt_internal.h"

#include <float.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/*
 * ---- import: an XGBoost model saved as JSON ----
 *
 * XGBoost (1.x, booster "gbtree") saves learner.learner_model_param
 * (base_score, num_class, num_feature as strings), learner.objective.name,
 * and per tree the arrays left_children, right_children, split_indices,
 * split_conditions (the leaf value at a leaf), default_left, loss_changes
 * and sum_hessian; tree_info gives each tree's class.  XGBoost compares
 * float32: a row goes left when (float) x < t.  For a double x that is
 * x < m, m the midpoint between t and the float below it (or just above m
 * when m itself rounds down), so the imported thresholds give XGBoost's
 * routes for every input.  Nodes are renumbered breadth first, so children
 * are adjacent; nodes no path reaches (XGBoost's deleted ones) are dropped.
 */
static const MLJson *
xgb_member(const MLJson *obj, const char *key, MLJsonType type)
{
	const MLJson *v = json_get(obj, key);

	if (v == NULL || v->type != type)
		ml_error(ML_ERR_PARAM, "Pass the JSON that XGBoost's save_model writes for a \".json\" file name.",
				 "XGBoost model has no %s \"%s\"", json_type_name(type), key);
	return v;
}

/* a number that XGBoost may have written as a string ("5E-1") */
static double
xgb_number(const MLJson *obj, const char *key)
{
	const MLJson *v = json_get(obj, key);
	char	   *end;
	double		x;

	if (v && v->type == ML_JSON_NUMBER)
		return v->num;
	if (v == NULL || v->type != ML_JSON_STRING)
		ml_error(ML_ERR_PARAM, NULL, "XGBoost model has no number \"%s\"", key);
	x = strtod(v->str, &end);
	if (end == v->str || *end != '\0' || !isfinite(x))
		ml_error(ML_ERR_PARAM, NULL, "XGBoost model's \"%s\" is not a number: \"%s\"", key, v->str);
	return x;
}

/* array item i as a finite number (booleans as 0 / 1) */
static double
xgb_item(const MLJson *arr, int i, const char *key)
{
	const MLJson *v = arr->items[i];

	if ((v->type != ML_JSON_NUMBER && v->type != ML_JSON_BOOL) || !isfinite(v->num))
		ml_error(ML_ERR_PARAM, NULL, "XGBoost model's \"%s\" holds a non-number", key);
	return v->num;
}

/* the double threshold t' with x < t' exactly when (float) x < t */
static double
float_threshold(double v)
{
	float		t = (float) v;
	double		m;

	if (isinf(t))
		return t < 0 ? -INFINITY : (double) FLT_MAX + ldexp(1.0, 103);	/* rounds to inf */
	m = ((double) nextafterf(t, -INFINITY) + (double) t) / 2;
	return (float) m < t ? nextafter(m, INFINITY) : m;
}

MLModel *
gbdt_import_xgboost(const char *text, size_t len, char *const *names, int n_names)
{
	MLJson	   *root = json_parse(text, len, "model");
	const MLJson *learner = xgb_member(root, "learner", ML_JSON_OBJECT);
	const MLJson *lmp = xgb_member(learner, "learner_model_param", ML_JSON_OBJECT);
	const MLJson *gb = xgb_member(learner, "gradient_booster", ML_JSON_OBJECT);
	const char *oname = xgb_member(xgb_member(learner, "objective", ML_JSON_OBJECT), "name", ML_JSON_STRING)->str;
	const MLJson *gmodel,
			   *trees,
			   *info,
			   *fnames;
	double		base = xgb_number(lmp, "base_score"),
				nf = xgb_number(lmp, "num_feature"),
				nc = xgb_number(lmp, "num_class");
	MLModel    *model = ml_alloc(sizeof(MLModel));
	Gbdt	   *m = ml_alloc(sizeof(Gbdt));
	size_t		p,
				total = 0;
	int			T;
	char	  **cols;

	if (strcmp(xgb_member(gb, "name", ML_JSON_STRING)->str, "gbtree") != 0)
		ml_error(ML_ERR_PARAM, "Only tree boosters import; gblinear and dart models do not.",
				 "XGBoost booster \"%s\" cannot be imported", xgb_member(gb, "name", ML_JSON_STRING)->str);
	if (!(nf >= 1 && nf <= 100000 && nf == floor(nf)))
		ml_error(ML_ERR_PARAM, NULL, "XGBoost model's num_feature %g is not a feature count", nf);
	p = (size_t) nf;
	if (strcmp(oname, "binary:logistic") == 0)
	{
		if (!(base > 0 && base < 1))
			ml_error(ML_ERR_PARAM, NULL, "XGBoost model's base_score %g is not a probability", base);
		m->objective = GB_LOGISTIC;
		m->k = 2;
		m->K = 1;
		base = log(base / (1 - base));
	}
	else if (strcmp(oname, "multi:softprob") == 0 || strcmp(oname, "multi:softmax") == 0)
	{
		if (!(nc >= 2 && nc <= 10000 && nc == floor(nc)))
			ml_error(ML_ERR_PARAM, NULL, "XGBoost model's num_class %g is not a class count", nc);
		m->objective = GB_SOFTMAX;
		m->k = m->K = (int) nc;
	}
	else if (strcmp(oname, "reg:squarederror") == 0 || strcmp(oname, "reg:linear") == 0 ||
			 strcmp(oname, "reg:absoluteerror") == 0 || strcmp(oname, "reg:pseudohubererror") == 0)
	{
		m->objective = GB_SQUARED;	/* an identity link: the loss mattered only to training */
		m->k = 0;
		m->K = 1;
	}
	else
		ml_error(ML_ERR_PARAM,
				 "Objectives that import: binary:logistic, multi:softprob, multi:softmax, reg:squarederror, reg:absoluteerror, reg:pseudohubererror.",
				 "XGBoost objective \"%s\" cannot be imported", oname);
	m->p = p;
	gmodel = xgb_member(gb, "model", ML_JSON_OBJECT);
	trees = xgb_member(gmodel, "trees", ML_JSON_ARRAY);
	info = xgb_member(gmodel, "tree_info", ML_JSON_ARRAY);
	T = trees->n;
	if (T == 0 || T % m->K != 0 || info->n != T || T / m->K > 100000)
		ml_error(ML_ERR_PARAM, NULL, "XGBoost model has %d trees for %d per round", T, m->K);
	for (int t = 0; t < T; t++)
		if (xgb_item(info, t, "tree_info") != t % m->K)
			ml_error(ML_ERR_PARAM, "Import models trained with num_parallel_tree 1.",
					 "XGBoost model's trees are not one per class per round");
	m->n_rounds = T / m->K;
	m->base = ml_alloc(sizeof(double) * m->K);
	for (int c = 0; c < m->K; c++)
		m->base[c] = base;
	m->start = ml_alloc(sizeof(uint32_t) * ((size_t) T + 1));
	for (int t = 0; t < T; t++)
		total += (size_t) xgb_member(trees->items[t], "left_children", ML_JSON_ARRAY)->n;
	if (total > (size_t) INT32_MAX)
		ml_error(ML_ERR_LIMIT, NULL, "XGBoost model has too many nodes");
	m->nodes = ml_alloc(sizeof(GbNode) * (total ? total : 1));
	total = 0;
	for (int t = 0; t < T; t++)
	{
		const MLJson *tr = trees->items[t];
		const MLJson *lc = xgb_member(tr, "left_children", ML_JSON_ARRAY),
				   *rc = xgb_member(tr, "right_children", ML_JSON_ARRAY),
				   *si = xgb_member(tr, "split_indices", ML_JSON_ARRAY),
				   *sc = xgb_member(tr, "split_conditions", ML_JSON_ARRAY),
				   *dl = xgb_member(tr, "default_left", ML_JSON_ARRAY),
				   *lch = json_get(tr, "loss_changes"),
				   *hess = json_get(tr, "sum_hessian"),
				   *st = json_get(tr, "split_type");
		int			nn = lc->n,
					next = 1;
		int		   *order,
				   *newid;

		if (nn == 0 || rc->n != nn || si->n != nn || sc->n != nn || dl->n != nn ||
			(lch && (lch->type != ML_JSON_ARRAY || lch->n != nn)) ||
			(hess && (hess->type != ML_JSON_ARRAY || hess->n != nn)) ||
			(st && (st->type != ML_JSON_ARRAY || st->n != nn)))
			ml_error(ML_ERR_PARAM, NULL, "XGBoost model's tree %d has arrays of different lengths", t);
		order = ml_alloc(sizeof(int) * nn);
		newid = ml_alloc(sizeof(int) * nn);
		for (int i = 0; i < nn; i++)
			newid[i] = -1;
		newid[0] = 0;
		for (int head = 0; head < next; head++)
		{
			int			x = head == 0 ? 0 : order[head];
			double		l = xgb_item(lc, x, "left_children"),
						r = xgb_item(rc, x, "right_children");
			GbNode	   *nd = &m->nodes[total + head];

			order[head] = x;
			memset(nd, 0, sizeof(GbNode));
			nd->cover = hess ? xgb_item(hess, x, "sum_hessian") : 0;
			if (st && xgb_item(st, x, "split_type") != 0)
				ml_error(ML_ERR_PARAM, "Import models trained without categorical features.",
						 "XGBoost model's tree %d has a categorical split", t);
			if (l == -1 && r == -1)
			{
				nd->feature = -1;
				nd->value = (double) (float) xgb_item(sc, x, "split_conditions");
				continue;
			}
			if (!(l >= 1 && l < nn && r >= 1 && r < nn && l == floor(l) && r == floor(r)) ||
				newid[(int) l] >= 0 || newid[(int) r] >= 0 || l == r)
				ml_error(ML_ERR_PARAM, NULL, "XGBoost model's tree %d is not a tree", t);
			{
				double		f = xgb_item(si, x, "split_indices");

				if (!(f >= 0 && f < (double) p && f == floor(f)))
					ml_error(ML_ERR_PARAM, NULL, "XGBoost model's tree %d splits on feature %g of %zu", t, f, p);
				nd->feature = (int32_t) f;
			}
			nd->threshold = float_threshold(xgb_item(sc, x, "split_conditions"));
			nd->default_left = xgb_item(dl, x, "default_left") != 0;
			nd->gain = lch ? xgb_item(lch, x, "loss_changes") : 0;
			nd->left = next;
			nd->right = next + 1;
			newid[(int) l] = next;
			order[next++] = (int) l;
			newid[(int) r] = next;
			order[next++] = (int) r;
		}
		m->start[t] = (uint32_t) total;
		total += (size_t) next;
		ml_free(order);
		ml_free(newid);
	}
	m->start[T] = (uint32_t) total;
	gbdt_compile(m);

	/* feature names: given, else XGBoost's, else x1, x2, ... */
	fnames = json_get(learner, "feature_names");
	if (n_names > 0 && (size_t) n_names != p)
		ml_error(ML_ERR_PARAM, NULL, "features has %d names, the XGBoost model takes %zu features", n_names, p);
	cols = ml_alloc(sizeof(char *) * p);
	for (size_t j = 0; j < p; j++)
	{
		if (n_names > 0)
			cols[j] = ml_strdup(names[j]);
		else if (fnames && fnames->type == ML_JSON_ARRAY && (size_t) fnames->n == p &&
				 fnames->items[j]->type == ML_JSON_STRING && fnames->items[j]->str[0])
			cols[j] = ml_strdup(fnames->items[j]->str);
		else
		{
			cols[j] = ml_alloc(24);
			snprintf(cols[j], 24, "x%zu", j + 1);
		}
	}
	model->learner = learner_find("gbdt");
	model->task = m->k > 0 ? ML_CLASSIFICATION : ML_REGRESSION;
	model->label_type = m->k > 0 ? ML_LABEL_NUMERIC : ML_LABEL_NONE;
	model->pipeline = pipeline_identity(cols, (int) p);
	model->n_features = p;
	model->feature_names = model->pipeline->out_names;
	model->target_name = ml_strdup("y");
	model->threshold = NAN;
	model->n_classes = m->k;
	if (m->k > 0)
	{
		model->class_labels = ml_alloc(sizeof(char *) * m->k);
		model->class_values = ml_alloc(sizeof(double) * m->k);
		for (int c = 0; c < m->k; c++)
		{
			model->class_labels[c] = ml_alloc(16);
			snprintf(model->class_labels[c], 16, "%d", c);
			model->class_values[c] = c;
		}
	}
	model->state = m;
	return model;
}
