/*-------------------------------------------------------------------------
 *
 * ensemble_config.c
 *	  Checking an ensemble's configuration and resolving its members.
 *
 * A member is a JSON object: "algorithm", optionally "features" (names of
 * features, columns or source columns; the member reads only those), and
 * the learner's parameters.  The whole configuration, nested ensembles
 * included, is checked in the calling thread before anything trains, and
 * every error names the member by its path ("estimators.2", "base",
 * "final").
 *
 *-------------------------------------------------------------------------
 */
#include "ensemble_internal.h"
#include "../core/json.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

char *
ensemble_path_join(const char *parent, const char *fmt, int i)
{
	char		buf[256];
	char	   *s;
	size_t		n;

	snprintf(buf, sizeof(buf), fmt, i);
	n = (parent && parent[0] ? strlen(parent) + 1 : 0) + strlen(buf) + 1;
	s = ml_alloc(n);
	snprintf(s, n, "%s%s%s", parent && parent[0] ? parent : "",
			 parent && parent[0] ? "." : "", buf);
	return s;
}

static char *
hint_list(const char *prefix, const char *list)
{
	size_t		n = strlen(prefix) + strlen(list) + 2;
	char	   *s = ml_alloc(n);

	snprintf(s, n, "%s%s.", prefix, list);
	return s;
}

static bool
name_matches(const Names *nm, size_t j, const char *want)
{
	return (nm->name && strcmp(nm->name[j], want) == 0) ||
		(nm->column && strcmp(nm->column[j], want) == 0) ||
		(nm->source && strcmp(nm->source[j], want) == 0);
}

/* the names of the features cols[0..p) of nm */
Names
ensemble_names_subset(const Names *nm, const int *cols, size_t p)
{
	Names		s = {p, NULL, NULL, NULL};

	if (cols == NULL)
		return *nm;
	if (nm->name)
	{
		char	  **a = ml_alloc(sizeof(char *) * (p ? p : 1));
		char	  **b = ml_alloc(sizeof(char *) * (p ? p : 1));
		char	  **c = ml_alloc(sizeof(char *) * (p ? p : 1));

		for (size_t j = 0; j < p; j++)
		{
			a[j] = nm->name[cols[j]];
			b[j] = nm->column ? nm->column[cols[j]] : nm->name[cols[j]];
			c[j] = nm->source ? nm->source[cols[j]] : nm->name[cols[j]];
		}
		s.name = a;
		s.column = b;
		s.source = c;
	}
	return s;
}

static Kind
kind_of(const MLLearner *l)
{
	return l->id == ML_ID_BAGGING ? K_BAGGING : l->id == ML_ID_VOTING ? K_VOTING : K_STACKING;
}

/*
 * Check one member's configuration and resolve it.  A nested ensemble's own
 * configuration is checked here too, recursively.
 */
static void
parse_member(const MLJson *cfg, const char *path, const Names *nm, int k,
			 char *const *labels, int depth, bool allow_features, Spec *out)
{
	MLTask		task = k > 0 ? ML_CLASSIFICATION : ML_REGRESSION;
	const MLJson *alg,
			   *feat;
	static const char *const skip[] = {"algorithm", "features", NULL};
	char	   *label;
	size_t		n;

	memset(out, 0, sizeof(*out));
	out->path = ml_strdup(path);
	if (cfg->type != ML_JSON_OBJECT)
		ml_error(ML_ERR_PARAM, "For example {\"algorithm\": \"tree\", \"max_depth\": 4}.",
				 "ensemble member %s must be a JSON object, not %s", path, json_type_name(cfg->type));
	alg = json_get(cfg, "algorithm");
	if (alg == NULL || alg->type != ML_JSON_STRING)
		ml_error(ML_ERR_PARAM, "For example {\"algorithm\": \"tree\", \"max_depth\": 4}.",
				 "ensemble member %s needs \"algorithm\" as a string", path);
	out->learner = learner_find(alg->str);
	if (out->learner == NULL)
		ml_error(ML_ERR_PARAM, hint_list("Available algorithms: ", learner_names()),
				 "ensemble member %s: unknown algorithm \"%s\"", path, alg->str);
	if (!(out->learner->tasks & ML_TASK_BIT(task)))
		ml_error(ML_ERR_PARAM, hint_list("Algorithms for this task: ", learner_names_for(task)),
				 "ensemble member %s: algorithm \"%s\" does not support %s",
				 path, out->learner->name, ml_task_name(task));
	if (ensemble_is(out->learner) && depth + 1 >= ML_ENSEMBLE_MAX_DEPTH)
		ml_error(ML_ERR_PARAM, "Flatten the configuration: ensembles nest at most 3 levels deep.",
				 "ensemble member %s: ensembles nest at most %d levels deep",
				 path, ML_ENSEMBLE_MAX_DEPTH);

	/* features: names of features, columns or source columns */
	feat = json_get(cfg, "features");
	out->p = nm->p;
	if (feat)
	{
		bool	   *take;

		if (!allow_features)
			ml_error(ML_ERR_PARAM, "The final learner reads the members' predictions.",
					 "ensemble member %s cannot choose \"features\"", path);
		if (feat->type != ML_JSON_ARRAY || feat->n == 0)
			ml_error(ML_ERR_PARAM, "For example \"features\": [\"age\", \"income\"].",
					 "\"features\" of ensemble member %s must be a non-empty array of names", path);
		if (nm->name == NULL)
			ml_error(ML_ERR_PARAM, NULL,
					 "ensemble member %s: feature names are not known here", path);
		take = ml_alloc(nm->p ? nm->p : 1);
		for (int i = 0; i < feat->n; i++)
		{
			bool		found = false;

			if (feat->items[i]->type != ML_JSON_STRING)
				ml_error(ML_ERR_PARAM, "For example \"features\": [\"age\", \"income\"].",
						 "\"features\" of ensemble member %s must be a non-empty array of names", path);
			for (size_t j = 0; j < nm->p; j++)
				if (name_matches(nm, j, feat->items[i]->str))
					take[j] = found = true;
			if (!found)
				ml_error(ML_ERR_PARAM, "Name a feature or column the ensemble trains on.",
						 "ensemble member %s: unknown feature \"%s\"", path, feat->items[i]->str);
		}
		n = 0;
		for (size_t j = 0; j < nm->p; j++)
			n += take[j];
		out->cols = ml_alloc(sizeof(int) * n);
		out->p = 0;
		for (size_t j = 0; j < nm->p; j++)
			if (take[j])
				out->cols[out->p++] = (int) j;
		ml_free(take);
	}

	n = strlen(out->learner->name) + strlen(path) + 4;
	label = ml_alloc(n);
	snprintf(label, n, "%s (%s)", out->learner->name, path);
	out->params = params_from_json(label, out->learner->params, cfg, skip);
	if (labels)
		params_bind_classes(out->params, labels, k);

	if (ensemble_is(out->learner))
	{
		Names		sub = ensemble_names_subset(nm, out->cols, out->p);
		Spec	   *specs,
					fin;
		int			n_specs;
		double	   *w;

		ensemble_parse_config(kind_of(out->learner), out->params, &sub, k, labels, path, depth + 1,
					 &specs, &n_specs, &w, &fin);
	}
}

/* the members of an ensemble's configuration, checked */
void
ensemble_parse_config(Kind kind, const MLParams *params, const Names *nm, int k, char *const *labels,
			 const char *path, int depth, Spec **specs, int *n_specs, double **weights,
			 Spec *final)
{
	const char *what = kind == K_BAGGING ? "bagging" : kind == K_VOTING ? "voting" : "stacking";

	*specs = NULL;
	*n_specs = 0;
	*weights = NULL;
	memset(final, 0, sizeof(*final));
	if (kind == K_BAGGING)
	{
		const char *base = params_get_str(params, "base");
		MLJson	   *cfg = json_parse(base, strlen(base), "parameter \"base\"");

		*specs = ml_alloc(sizeof(Spec));
		*n_specs = 1;
		parse_member(cfg, ensemble_path_join(path, "base", 0), nm, k, labels, depth, true, &(*specs)[0]);
		return;
	}
	{
		const char *est = params_get_str(params, "estimators");
		MLJson	   *arr;

		if (est == NULL)
			ml_error(ML_ERR_PARAM,
					 "For example {\"estimators\": [{\"algorithm\": \"logistic\"}, {\"algorithm\": \"knn\"}]}.",
					 "%s%s%s needs \"estimators\"", path[0] ? path : "", path[0] ? ": " : "", what);
		arr = json_parse(est, strlen(est), "parameter \"estimators\"");
		if (arr->n == 0)
			ml_error(ML_ERR_PARAM, "Name at least one member, e.g. [{\"algorithm\": \"tree\"}].",
					 "%s%s\"estimators\" of %s is empty", path[0] ? path : "", path[0] ? ": " : "", what);
		if (arr->n > MAX_MEMBERS)
			ml_error(ML_ERR_LIMIT, NULL, "%s has more than %d members", what, MAX_MEMBERS);
		*specs = ml_alloc(sizeof(Spec) * (size_t) arr->n);
		*n_specs = arr->n;
		for (int i = 0; i < arr->n; i++)
			parse_member(arr->items[i], ensemble_path_join(path, "estimators.%d", i), nm, k, labels,
						 depth, true, &(*specs)[i]);
	}
	if (kind == K_VOTING)
	{
		const char *ws = params_get_str(params, "weights");
		double		sum = 0;

		*weights = ml_alloc(sizeof(double) * (size_t) *n_specs);
		for (int i = 0; i < *n_specs; i++)
			(*weights)[i] = 1.0;
		if (ws)
		{
			MLJson	   *arr = json_parse(ws, strlen(ws), "parameter \"weights\"");

			if (arr->n != *n_specs)
				ml_error(ML_ERR_PARAM, "Give one weight per member, in the order of \"estimators\".",
						 "\"weights\" has %d entries for %d members", arr->n, *n_specs);
			for (int i = 0; i < arr->n; i++)
			{
				if (arr->items[i]->type != ML_JSON_NUMBER || !(arr->items[i]->num >= 0) ||
					!isfinite(arr->items[i]->num))
					ml_error(ML_ERR_PARAM, NULL,
							 "weight %d of \"weights\" must be a non-negative number", i);
				(*weights)[i] = arr->items[i]->num;
			}
		}
		for (int i = 0; i < *n_specs; i++)
			sum += (*weights)[i];
		if (!(sum > 0))
			ml_error(ML_ERR_PARAM, NULL, "\"weights\" must not all be zero");
	}
	if (kind == K_STACKING)
	{
		const char *fin = params_get_str(params, "final");
		Names		meta = {0, NULL, NULL, NULL};
		MLJson	   *cfg;
		const char *def = k > 0 ? "{\"algorithm\": \"logistic\"}" : "{\"algorithm\": \"linear\"}";

		if (fin == NULL)
			fin = def;
		cfg = json_parse(fin, strlen(fin), "parameter \"final\"");
		parse_member(cfg, ensemble_path_join(path, "final", 0), &meta, k, labels, depth, false, final);
	}
}

bool
ensemble_is(const MLLearner *learner)
{
	return learner->id == ML_ID_BAGGING || learner->id == ML_ID_VOTING ||
		learner->id == ML_ID_STACKING;
}

/* ---- what every fit uses ---- */

Names
ensemble_ctx_names(const MLFitContext *ctx, size_t p)
{
	Names		nm = {p, NULL, NULL, NULL};

	if (ctx && ctx->feature_names)
	{
		nm.name = ctx->feature_names;
		nm.column = ctx->feature_columns;
		nm.source = ctx->feature_sources;
	}
	return nm;
}
