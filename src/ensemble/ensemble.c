/*-------------------------------------------------------------------------
 *
 * ensemble.c
 *	  Bagging, voting and stacking over any learners.
 *
 * bagging	n_estimators copies of one base learner, each fit on a sample of
 *			the rows (bootstrap or not) and of the features; combined by
 *			majority vote, probability average ("voting": "soft") or mean.
 *			With bootstrap the out-of-bag score is logged, the ensemble's
 *			and each member's.
 * voting	different learners fit on all rows, combined by weighted
 *			majority vote ("hard"), weighted probability average ("soft"),
 *			or weighted mean (regression).
 * stacking	the base learners' out-of-fold predictions (k folds, stratified
 *			for classification) train the final learner; then every base
 *			learner is refit on all rows.  The final learner never sees an
 *			in-fold prediction.  Binary probabilities give one meta feature
 *			(the second class), multiclass k, "predict" the class index or
 *			value; "passthrough" appends the features.
 *
 * A member is a JSON object: "algorithm", optionally "features" (names of
 * features, columns or source columns; the member reads only those), and the
 * learner's parameters.  The whole configuration, nested ensembles included,
 * is checked in the calling thread before anything trains, and every error
 * names the member by its path ("estimators.2", "base", "final").
 *
 * Members train as ml_parallel_for tasks (bagging members, voting members,
 * stacking's folds and refits together); each task hands back its model
 * bytes and metric log in one block, and the calling thread reads them.  A
 * member's random stream is derived from the run's seed and its position, so
 * the ensemble's bytes do not depend on the thread count.
 *
 * Payload: u8 kind, u8 soft, u8 passthrough, u8 proba, u32 members, the
 * members, then (stacking) the final member.  A member: u16 learner id,
 * u32 feature count (0xFFFFFFFF: all) and the feature indexes, f64 weight,
 * u32 length and the learner's payload.
 *
 *-------------------------------------------------------------------------
 */
#include "ensemble.h"
#include "../core/json.h"
#include "../core/metrics.h"
#include "../core/parallel.h"
#include "../core/rng.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

typedef enum Kind
{
	K_BAGGING = 1,
	K_VOTING = 2,
	K_STACKING = 3
} Kind;

#define ALL_FEATURES 0xFFFFFFFFu
#define MAX_MEMBERS 100000
#define BLOCK 256

typedef struct Member
{
	const MLLearner *learner;
	void	   *state;
	size_t		p;				/* features it reads */
	int		   *cols;			/* their indexes; NULL: all, in order */
	double		weight;
} Member;

typedef struct Ensemble
{
	Kind		kind;
	size_t		p;
	int			k;				/* classes (0: regression) */
	bool		soft;
	bool		passthrough;
	bool		proba;			/* stacking meta features are probabilities */
	int			n;
	Member	   *m;
	Member		final;			/* stacking */
} Ensemble;

/* the names a member's "features" are matched against */
typedef struct Names
{
	size_t		p;
	char	   *const *name;
	char	   *const *column;
	char	   *const *source;
} Names;

/* a member as configured, before training */
typedef struct Spec
{
	const MLLearner *learner;
	MLParams   *params;
	char	   *path;
	int		   *cols;			/* NULL: all */
	size_t		p;
} Spec;

static const MLParamSpec bagging_params[] = {
	{"base", ML_PARAM_JSON, 0, 0, 0, "{\"algorithm\": \"tree\"}", "object",
	"the member learner, e.g. {\"algorithm\": \"tree\", \"max_depth\": 8}"},
	{"n_estimators", ML_PARAM_INT, 10, 1, 10000, NULL, NULL, "members"},
	{"max_samples", ML_PARAM_FLOAT, 1.0, 1e-9, 1.0, NULL, NULL, "share of rows each member draws"},
	{"max_features", ML_PARAM_FLOAT, 1.0, 1e-9, 1.0, NULL, NULL, "share of features each member draws"},
	{"bootstrap", ML_PARAM_BOOL, 1, 0, 1, NULL, NULL, "draw rows with replacement"},
	{"bootstrap_features", ML_PARAM_BOOL, 0, 0, 1, NULL, NULL, "draw features with replacement"},
	{"oob_score", ML_PARAM_BOOL, 1, 0, 1, NULL, NULL, "log the out-of-bag score (with bootstrap)"},
	{"voting", ML_PARAM_STRING, 0, 0, 0, "hard", "hard,soft",
	"hard: majority vote; soft: average probabilities"},
	{NULL}
};

static const MLParamSpec voting_params[] = {
	{"estimators", ML_PARAM_JSON, 0, 0, 0, NULL, "array",
	"the members, e.g. [{\"algorithm\": \"logistic\"}, {\"algorithm\": \"knn\", \"k\": 15}]"},
	{"voting", ML_PARAM_STRING, 0, 0, 0, "hard", "hard,soft",
	"hard: weighted majority vote; soft: weighted average of probabilities"},
	{"weights", ML_PARAM_JSON, 0, 0, 0, NULL, "array", "one non-negative weight per member"},
	{NULL}
};

static const MLParamSpec stacking_params[] = {
	{"estimators", ML_PARAM_JSON, 0, 0, 0, NULL, "array",
	"the base members, e.g. [{\"algorithm\": \"logistic\"}, {\"algorithm\": \"knn\"}]"},
	{"final", ML_PARAM_JSON, 0, 0, 0, NULL, "object",
	"the learner trained on the out-of-fold predictions (default logistic, or linear)"},
	{"folds", ML_PARAM_INT, 5, 2, 100000, NULL, NULL, "folds of the out-of-fold predictions"},
	{"passthrough", ML_PARAM_BOOL, 0, 0, 1, NULL, NULL, "the final learner also reads the features"},
	{"stack_method", ML_PARAM_STRING, 0, 0, 0, "auto", "auto,proba,predict",
	"meta features: class probabilities (auto for classification) or predictions"},
	{NULL}
};

extern /*
 * An averaging ensemble of models trained elsewhere (the partitions engine:
 * one model per partition of the rows): a soft vote of equal weights for
 * classification, the mean for regression.  Every model reads all p
 * features and knows the same k classes; the ensemble takes their states.
 */
void *
ensemble_average(MLModel *const *models, int n, size_t p, int k)
{
	Ensemble   *e = ml_alloc(sizeof(Ensemble));

	if (n < 1 || n > MAX_MEMBERS)
		ml_error(ML_ERR_PARAM, NULL, "an average of %d models", n);
	e->kind = K_VOTING;
	e->p = p;
	e->k = k;
	e->soft = true;
	e->n = n;
	e->m = ml_alloc(sizeof(Member) * (size_t) n);
	for (int i = 0; i < n; i++)
	{
		if (models[i]->n_features != p || models[i]->n_classes != k)
			ml_error(ML_ERR_INTERNAL, NULL, "member %d has %zu features and %d classes, not %zu and %d",
					 i + 1, models[i]->n_features, models[i]->n_classes, p, k);
		e->m[i].learner = models[i]->learner;
		e->m[i].state = models[i]->state;
		e->m[i].p = p;
		e->m[i].weight = 1.0;
	}
	return e;
}

const MLLearner ml_learner_bagging;
extern const MLLearner ml_learner_voting;
extern const MLLearner ml_learner_stacking;

bool
ensemble_is(const MLLearner *learner)
{
	return learner == &ml_learner_bagging || learner == &ml_learner_voting ||
		learner == &ml_learner_stacking;
}

static char *
path_join(const char *parent, const char *fmt, int i)
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
static Names
names_subset(const Names *nm, const int *cols, size_t p)
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

static void parse_config(Kind kind, const MLParams *params, const Names *nm, int k,
						 char *const *labels, const char *path, int depth,
						 Spec **specs, int *n_specs, double **weights, Spec *final);

static Kind
kind_of(const MLLearner *l)
{
	return l == &ml_learner_bagging ? K_BAGGING : l == &ml_learner_voting ? K_VOTING : K_STACKING;
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
		Names		sub = names_subset(nm, out->cols, out->p);
		Spec	   *specs,
					fin;
		int			n_specs;
		double	   *w;

		parse_config(kind_of(out->learner), out->params, &sub, k, labels, path, depth + 1,
					 &specs, &n_specs, &w, &fin);
	}
}

/* the members of an ensemble's configuration, checked */
static void
parse_config(Kind kind, const MLParams *params, const Names *nm, int k, char *const *labels,
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
		parse_member(cfg, path_join(path, "base", 0), nm, k, labels, depth, true, &(*specs)[0]);
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
			parse_member(arr->items[i], path_join(path, "estimators.%d", i), nm, k, labels,
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
		parse_member(cfg, path_join(path, "final", 0), &meta, k, labels, depth, false, final);
	}
}

/* ---- data views ---- */

/* rows (NULL: all) and columns (NULL: all) of d, as a new dataset */
static MLDataset *
view(const MLDataset *d, const size_t *rows, size_t nr, const int *cols, size_t pc)
{
	size_t		p = cols ? pc : d->n_cols;
	MLDataset  *v = dataset_create(nr, p, d->n_classes);

	for (size_t j = 0; j < p; j++)
	{
		const double *src = d->X + (size_t) (cols ? cols[j] : (int) j) * d->n_rows;
		double	   *dst = v->X + j * nr;

		for (size_t i = 0; i < nr; i++)
			dst[i] = src[rows ? rows[i] : i];
	}
	for (size_t i = 0; i < nr; i++)
		v->y[i] = d->y[rows ? rows[i] : i];
	if (d->levels)
	{
		int		   *lv = ml_alloc(sizeof(int) * (p ? p : 1));

		for (size_t j = 0; j < p; j++)
			lv[j] = d->levels[cols ? cols[j] : (int) j];
		v->levels = lv;
	}
	return v;
}

/* rows of a column-major dataset as a row-major block over cols */
static void
gather_rows(const MLDataset *d, const size_t *rows, size_t nr, const int *cols, size_t pc,
			double *out)
{
	size_t		p = cols ? pc : d->n_cols;

	for (size_t j = 0; j < p; j++)
	{
		const double *src = d->X + (size_t) (cols ? cols[j] : (int) j) * d->n_rows;

		for (size_t i = 0; i < nr; i++)
			out[i * p + j] = src[rows ? rows[i] : i];
	}
}

static size_t
out_width(int k)
{
	return k > 0 ? (size_t) k : 1;
}

/* ---- training tasks ---- */

typedef struct Job
{
	const MLDataset *train;
	const Spec *spec;
	const size_t *rows;			/* training rows; NULL: all */
	size_t		nr;
	int		   *cols;			/* features; NULL: all */
	size_t		pc;
	uint64_t	seed;
	int			threads;
	int			depth;
	Names		names;
	char	   *const *labels;
	/* out-of-fold: predict these rows into oof[row * oof_w + oof_at ...] */
	const size_t *pred_rows;
	size_t		n_pred;
	double	   *oof;
	size_t		oof_w;
	size_t		oof_at;
	bool		keep;			/* hand back the model */
	/* handed back: one block, metric rows then model bytes */
	uint8_t    *block;
	size_t		n_metrics;
	size_t		len;
} Job;

static void
fit_job(void *arg, int t)
{
	Job		   *j = &((Job *) arg)[t];
	const MLLearner *l = j->spec->learner;
	MLDataset  *d = view(j->train, j->rows, j->nr, j->cols, j->pc);
	Names		sub = names_subset(&j->names, j->cols, d->n_cols);
	MLFitContext c;
	void	   *state;

	memset(&c, 0, sizeof(c));
	c.seed = j->seed;
	c.threads = j->threads;
	c.feature_names = sub.name;
	c.feature_columns = sub.column;
	c.feature_sources = sub.source;
	c.class_labels = j->labels;
	c.path = j->spec->path;
	c.depth = j->depth;
	state = l->fit(d, NULL, j->spec->params, &c);

	if (j->pred_rows)
	{
		size_t		w = out_width(j->train->n_classes);
		double	   *X = ml_alloc(ml_mul_size(ml_mul_size(j->n_pred, d->n_cols ? d->n_cols : 1),
											 sizeof(double)));
		double	   *o = ml_alloc(ml_mul_size(ml_mul_size(j->n_pred, w), sizeof(double)));

		gather_rows(j->train, j->pred_rows, j->n_pred, j->cols, j->pc, X);
		l->predict(state, X, j->n_pred, o);
		for (size_t i = 0; i < j->n_pred; i++)
			memcpy(j->oof + j->pred_rows[i] * j->oof_w + j->oof_at, o + i * w, w * sizeof(double));
	}
	j->block = NULL;
	if (j->keep)
	{
		MLBuffer	b;

		buffer_init(&b);
		l->write(state, &b);
		j->n_metrics = c.n_metrics;
		j->len = b.len;
		j->block = ml_alloc(c.n_metrics * sizeof(MLMetricRow) + b.len);
		if (c.n_metrics)
			memcpy(j->block, c.metrics, c.n_metrics * sizeof(MLMetricRow));
		memcpy(j->block + c.n_metrics * sizeof(MLMetricRow), b.data, b.len);
	}
	ml_worker_free_others(j->block);
}

static void
job_init(Job *j, const MLDataset *train, const Spec *s, const MLFitContext *ctx,
		 const Names *nm, uint64_t seed)
{
	memset(j, 0, sizeof(*j));
	j->train = train;
	j->spec = s;
	j->nr = train->n_rows;
	j->cols = s->cols;
	j->pc = s->p;
	j->seed = seed;
	j->depth = (ctx ? ctx->depth : 0) + 1;
	j->names = *nm;
	j->labels = ctx ? ctx->class_labels : NULL;
}

/* run the jobs; members share the threads the run may use */
static void
run_jobs(Job *jobs, int n, const MLFitContext *ctx)
{
	int			total = ml_thread_count(ctx ? ctx->threads : 1, 1 << 20);
	int			outer = ml_thread_count(ctx ? ctx->threads : 1, n);

	for (int i = 0; i < n; i++)
		jobs[i].threads = total / outer > 1 ? total / outer : 1;
	ml_check_interrupts();
	ml_progress("member fit", 0, n, NULL, 0);
	ml_parallel_for(n, outer, fit_job, jobs);
	ml_progress("member fit", n, n, NULL, 0);
	ml_check_interrupts();
}

/* read a finished job's model into m, its metric rows into log (may be NULL) */
static void
take_job(Job *j, Member *m, int k, int depth, MLMemberLog *log)
{
	MLReader	r;

	m->learner = j->spec->learner;
	m->p = j->cols ? j->pc : j->train->n_cols;
	if (j->cols)
	{
		m->cols = ml_alloc(sizeof(int) * (m->p ? m->p : 1));
		memcpy(m->cols, j->cols, sizeof(int) * m->p);
	}
	reader_init(&r, j->block + j->n_metrics * sizeof(MLMetricRow), j->len);
	r.depth = depth + 1;
	m->state = m->learner->read(&r, m->p, k);
	reader_expect_end(&r);
	if (log)
	{
		MLBuffer	b;

		log->path = ml_strdup(j->spec->path);
		log->algorithm = m->learner->name;
		buffer_init(&b);
		params_to_json(j->spec->params, &b);
		buffer_put_u8(&b, '\0');
		log->params_json = (char *) b.data;
		log->n_metrics = j->n_metrics;
		log->metrics = ml_alloc(sizeof(MLMetricRow) * (j->n_metrics ? j->n_metrics : 1));
		if (j->n_metrics)
			memcpy(log->metrics, j->block, j->n_metrics * sizeof(MLMetricRow));
	}
	ml_worker_release(j->block);
	j->block = NULL;
}

static void
log_member_metric(MLMemberLog *log, const char *name, double value)
{
	log->metrics = ml_realloc(log->metrics, sizeof(MLMetricRow) * (log->n_metrics + 1));
	log->metrics[log->n_metrics].split = "validation";
	log->metrics[log->n_metrics].name = name;
	log->metrics[log->n_metrics].step = -1;
	log->metrics[log->n_metrics].value = value;
	log->n_metrics++;
}

/* score predictions (n values or n x k probabilities) of rows of y */
static void
score(const double *y, const double *pred, size_t n, int k, MLMetricSet *ms)
{
	if (k > 0)
		metrics_classification(y, pred, n, k, ms);
	else
		metrics_regression(y, pred, n, ms);
}

static void
member_predict(const Member *m, const double *X, size_t n, size_t p, double *scratch,
			   double *out)
{
	if (m->cols == NULL)
	{
		m->learner->predict(m->state, X, n, out);
		return;
	}
	for (size_t i = 0; i < n; i++)
		for (size_t j = 0; j < m->p; j++)
			scratch[i * m->p + j] = X[i * p + (size_t) m->cols[j]];
	m->learner->predict(m->state, scratch, n, out);
}

/* ---- fitting ---- */

static Names
ctx_names(const MLFitContext *ctx, size_t p)
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

static uint64_t
member_seed(uint64_t seed, uint64_t salt, uint64_t i)
{
	return ml_mix64(seed ^ ml_mix64(salt) ^ ml_mix64(i + 1));
}

/* bagging member i's rows: counts[r] draws of row r */
static void
bag_rows(uint64_t seed, int i, size_t n, size_t draws, bool bootstrap, size_t *scratch,
		 unsigned *counts)
{
	MLRng		rng;

	ml_rng_seed(&rng, member_seed(seed, 0xBA66ull, (uint64_t) i));
	memset(counts, 0, sizeof(unsigned) * n);
	if (bootstrap)
	{
		for (size_t d = 0; d < draws; d++)
			counts[(size_t) (ml_rng_uniform(&rng) * (double) n)]++;
		return;
	}
	for (size_t r = 0; r < n; r++)
		scratch[r] = r;
	for (size_t d = 0; d < draws; d++)
	{
		size_t		pick = d + (size_t) (ml_rng_uniform(&rng) * (double) (n - d));
		size_t		t = scratch[d];

		scratch[d] = scratch[pick];
		scratch[pick] = t;
		counts[scratch[d]] = 1;
	}
}

static void *
bagging_fit(const MLDataset *train, const MLDataset *valid, const MLParams *params,
			MLFitContext *ctx)
{
	Ensemble   *e = ml_alloc(sizeof(Ensemble));
	size_t		n = train->n_rows;
	int			k = train->n_classes;
	Names		nm = ctx_names(ctx, train->n_cols);
	Spec	   *specs,
				fin;
	int			n_specs;
	double	   *w;
	int			ne = (int) params_get_num(params, "n_estimators");
	bool		bootstrap = params_get_num(params, "bootstrap") != 0;
	bool		boot_feat = params_get_num(params, "bootstrap_features") != 0;
	size_t		draws = (size_t) fmax(1.0, round(params_get_num(params, "max_samples") * (double) n));
	size_t		pbase;
	size_t		pf;
	Job		   *jobs;
	size_t	   *scratch = ml_alloc(sizeof(size_t) * (n ? n : 1));
	unsigned   *counts = ml_alloc(sizeof(unsigned) * (n ? n : 1));
	const char *path = ctx && ctx->path ? ctx->path : "";
	int			depth = ctx ? ctx->depth : 0;

	(void) valid;
	parse_config(K_BAGGING, params, &nm, k, ctx ? ctx->class_labels : NULL, path, depth,
				 &specs, &n_specs, &w, &fin);
	pbase = specs[0].p;
	pf = (size_t) fmax(1.0, round(params_get_num(params, "max_features") * (double) pbase));
	e->kind = K_BAGGING;
	e->p = train->n_cols;
	e->k = k;
	e->soft = strcmp(params_get_str(params, "voting"), "soft") == 0;
	e->n = ne;
	e->m = ml_alloc(sizeof(Member) * (size_t) ne);
	jobs = ml_alloc(sizeof(Job) * (size_t) ne);

	for (int i = 0; i < ne; i++)
	{
		Job		   *j = &jobs[i];
		size_t		m = 0;
		size_t	   *rows;

		job_init(j, train, &specs[0], ctx, &nm, member_seed(ctx ? ctx->seed : 0, 0xB0B0ull, (uint64_t) i));
		bag_rows(ctx ? ctx->seed : 0, i, n, draws, bootstrap, scratch, counts);
		for (size_t r = 0; r < n; r++)
			m += counts[r];
		rows = ml_alloc(sizeof(size_t) * (m ? m : 1));
		m = 0;
		for (size_t r = 0; r < n; r++)
			for (unsigned c = 0; c < counts[r]; c++)
				rows[m++] = r;
		j->rows = rows;
		j->nr = m;
		j->keep = true;

		/* features: a draw from the base's own features */
		if (pf < pbase || boot_feat)
		{
			MLRng		rng;
			size_t	   *idx = ml_alloc(sizeof(size_t) * pbase);
			int		   *cols = ml_alloc(sizeof(int) * pf);

			ml_rng_seed(&rng, member_seed(ctx ? ctx->seed : 0, 0xFEA7ull, (uint64_t) i));
			for (size_t c = 0; c < pbase; c++)
				idx[c] = c;
			for (size_t c = 0; c < pf; c++)
			{
				size_t		pick;

				if (boot_feat)
					pick = (size_t) (ml_rng_uniform(&rng) * (double) pbase);
				else
				{
					size_t		s = c + (size_t) (ml_rng_uniform(&rng) * (double) (pbase - c));
					size_t		t = idx[c];

					idx[c] = idx[s];
					idx[s] = t;
					pick = idx[c];
				}
				cols[c] = specs[0].cols ? specs[0].cols[pick] : (int) pick;
			}
			if (!boot_feat)
			{
				/* keep the drawn features in column order */
				for (size_t a = 1; a < pf; a++)
					for (size_t b = a; b > 0 && cols[b - 1] > cols[b]; b--)
					{
						int			t = cols[b];

						cols[b] = cols[b - 1];
						cols[b - 1] = t;
					}
			}
			j->cols = cols;
			j->pc = pf;
			ml_free(idx);
		}
	}
	run_jobs(jobs, ne, ctx);

	if (ctx)
	{
		ctx->members = ml_alloc(sizeof(MLMemberLog) * (size_t) ne);
		ctx->n_members = ne;
	}
	for (int i = 0; i < ne; i++)
	{
		take_job(&jobs[i], &e->m[i], k, depth, ctx ? &ctx->members[i] : NULL);
		e->m[i].weight = 1.0;
		if (ctx)
			ctx->members[i].path = path_join(path, "base[%d]", i);
		ml_free((void *) jobs[i].rows);
	}

	/* out of bag: each row scored by the members that did not draw it */
	if (bootstrap && params_get_num(params, "oob_score") != 0 && ctx)
	{
		size_t		wd = out_width(k);
		double	   *sum = ml_alloc(ml_mul_size(ml_mul_size(n, wd), sizeof(double)));
		double	   *votes = ml_alloc(sizeof(double) * (n ? n : 1));
		size_t	   *oob = ml_alloc(sizeof(size_t) * (n ? n : 1));
		double	   *X = ml_alloc(ml_mul_size(ml_mul_size(n, train->n_cols ? train->n_cols : 1), sizeof(double)));
		double	   *o = ml_alloc(ml_mul_size(ml_mul_size(n, wd), sizeof(double)));
		double	   *y = ml_alloc(sizeof(double) * (n ? n : 1));
		double	   *pr = ml_alloc(ml_mul_size(ml_mul_size(n, wd), sizeof(double)));
		MLMetricSet ms;
		size_t		m = 0;

		for (int i = 0; i < ne; i++)
		{
			size_t		no = 0;
			const Member *mb = &e->m[i];

			bag_rows(ctx->seed, i, n, draws, bootstrap, scratch, counts);
			for (size_t r = 0; r < n; r++)
				if (counts[r] == 0)
					oob[no++] = r;
			if (no == 0)
				continue;
			gather_rows(train, oob, no, mb->cols, mb->p, X);
			mb->learner->predict(mb->state, X, no, o);
			for (size_t a = 0; a < no; a++)
			{
				y[a] = train->y[oob[a]];
				if (k > 0 && !e->soft)
				{
					int			c = ml_argmax(o + a * wd, k);

					sum[oob[a] * wd + (size_t) c] += 1;
				}
				else
					for (size_t c = 0; c < wd; c++)
						sum[oob[a] * wd + c] += o[a * wd + c];
				votes[oob[a]]++;
			}
			if (no > 1)
			{
				score(y, o, no, k, &ms);
				log_member_metric(&ctx->members[i], k > 0 ? "oob_accuracy" : "oob_r2",
								  metrics_get(&ms, k > 0 ? "accuracy" : "r2"));
			}
			ml_check_interrupts();
		}
		for (size_t a = 0; a < n; a++)
		{
			if (votes[a] == 0)
				continue;
			y[m] = train->y[a];
			for (size_t c = 0; c < wd; c++)
				pr[m * wd + c] = sum[a * wd + c] / votes[a];
			m++;
		}
		if (m > 1)
		{
			score(y, pr, m, k, &ms);
			ml_log_metric(ctx, "validation", k > 0 ? "oob_accuracy" : "oob_r2", -1,
						  metrics_get(&ms, k > 0 ? "accuracy" : "r2"));
		}
		ml_free(sum);
		ml_free(votes);
		ml_free(oob);
		ml_free(X);
		ml_free(o);
		ml_free(y);
		ml_free(pr);
	}
	ml_free(scratch);
	ml_free(counts);
	ml_free(jobs);
	return e;
}

static void *
voting_fit(const MLDataset *train, const MLDataset *valid, const MLParams *params,
		   MLFitContext *ctx)
{
	Ensemble   *e = ml_alloc(sizeof(Ensemble));
	Names		nm = ctx_names(ctx, train->n_cols);
	Spec	   *specs,
				fin;
	int			n_specs;
	double	   *w;
	Job		   *jobs;
	int			depth = ctx ? ctx->depth : 0;

	(void) valid;
	parse_config(K_VOTING, params, &nm, train->n_classes, ctx ? ctx->class_labels : NULL,
				 ctx && ctx->path ? ctx->path : "", depth, &specs, &n_specs, &w, &fin);
	e->kind = K_VOTING;
	e->p = train->n_cols;
	e->k = train->n_classes;
	e->soft = strcmp(params_get_str(params, "voting"), "soft") == 0;
	e->n = n_specs;
	e->m = ml_alloc(sizeof(Member) * (size_t) n_specs);
	jobs = ml_alloc(sizeof(Job) * (size_t) n_specs);
	for (int i = 0; i < n_specs; i++)
	{
		job_init(&jobs[i], train, &specs[i], ctx, &nm,
				 member_seed(ctx ? ctx->seed : 0, 0x707Eull, (uint64_t) i));
		jobs[i].keep = true;
	}
	run_jobs(jobs, n_specs, ctx);
	if (ctx)
	{
		ctx->members = ml_alloc(sizeof(MLMemberLog) * (size_t) n_specs);
		ctx->n_members = n_specs;
	}
	for (int i = 0; i < n_specs; i++)
	{
		take_job(&jobs[i], &e->m[i], e->k, depth, ctx ? &ctx->members[i] : NULL);
		e->m[i].weight = w[i];
	}
	ml_free(jobs);
	return e;
}

/* stacking meta features per member: k == 2 probabilities give one */
static size_t
meta_width(const Ensemble *e)
{
	if (e->k > 0 && e->proba)
		return e->k == 2 ? 1 : (size_t) e->k;
	return 1;
}

/* member outputs o (n x out_width) to meta features (n x meta_width) at column at of meta (width q) */
static void
to_meta(const Ensemble *e, const double *o, size_t n, double *meta, size_t q, size_t at)
{
	size_t		wd = out_width(e->k);

	for (size_t i = 0; i < n; i++)
	{
		const double *r = o + i * wd;

		if (e->k == 0)
			meta[i * q + at] = r[0];
		else if (!e->proba)
			meta[i * q + at] = (double) ml_argmax(r, e->k);
		else if (e->k == 2)
			meta[i * q + at] = r[1];
		else
			memcpy(meta + i * q + at, r, sizeof(double) * (size_t) e->k);
	}
}


static void *
stacking_fit(const MLDataset *train, const MLDataset *valid, const MLParams *params,
			 MLFitContext *ctx)
{
	Ensemble   *e = ml_alloc(sizeof(Ensemble));
	size_t		n = train->n_rows;
	int			k = train->n_classes;
	Names		nm = ctx_names(ctx, train->n_cols);
	Spec	   *specs,
				fin;
	int			n_specs;
	double	   *w;
	int			folds = (int) params_get_num(params, "folds");
	const char *method = params_get_str(params, "stack_method");
	int			depth = ctx ? ctx->depth : 0;
	uint64_t	seed = ctx ? ctx->seed : 0;
	int		   *fold;
	size_t		wd = out_width(k);
	size_t		q,
				pm;
	double	   *oof;
	Job		   *jobs;
	int			nj = 0;
	size_t	  **fit_rows,
			  **pred_rows,
			   *n_fit,
			   *n_pred;
	MLDataset  *meta;

	(void) valid;
	parse_config(K_STACKING, params, &nm, k, ctx ? ctx->class_labels : NULL,
				 ctx && ctx->path ? ctx->path : "", depth, &specs, &n_specs, &w, &fin);
	if ((size_t) folds > n)
		ml_error(ML_ERR_PARAM, "Use fewer folds, or more rows.",
				 "stacking folds (%d) must not exceed the training rows (%zu)", folds, n);
	if (strcmp(method, "proba") == 0 && k == 0)
		ml_error(ML_ERR_PARAM, "Use stack_method \"predict\" (or \"auto\") for regression.",
				 "stack_method \"proba\" needs a classification target");
	e->kind = K_STACKING;
	e->p = train->n_cols;
	e->k = k;
	e->proba = k > 0 && strcmp(method, "predict") != 0;
	e->passthrough = params_get_num(params, "passthrough") != 0;
	e->n = n_specs;
	e->m = ml_alloc(sizeof(Member) * (size_t) n_specs);
	q = meta_width(e);
	pm = q * (size_t) n_specs + (e->passthrough ? train->n_cols : 0);

	/* the folds' rows */
	fold = dataset_folds(train, folds, member_seed(seed, 0xF01Dull, 0));
	fit_rows = ml_alloc(sizeof(size_t *) * (size_t) folds);
	pred_rows = ml_alloc(sizeof(size_t *) * (size_t) folds);
	n_fit = ml_alloc(sizeof(size_t) * (size_t) folds);
	n_pred = ml_alloc(sizeof(size_t) * (size_t) folds);
	for (int f = 0; f < folds; f++)
	{
		fit_rows[f] = ml_alloc(sizeof(size_t) * n);
		pred_rows[f] = ml_alloc(sizeof(size_t) * n);
		for (size_t i = 0; i < n; i++)
		{
			if (fold[i] == f)
				pred_rows[f][n_pred[f]++] = i;
			else
				fit_rows[f][n_fit[f]++] = i;
		}
	}

	/* out-of-fold predictions of every member, and the refits, in one go */
	oof = ml_alloc(ml_mul_size(ml_mul_size(n, wd * (size_t) n_specs), sizeof(double)));
	jobs = ml_alloc(sizeof(Job) * (size_t) n_specs * (size_t) (folds + 1));
	for (int i = 0; i < n_specs; i++)
	{
		for (int f = 0; f < folds; f++)
		{
			Job		   *j = &jobs[nj++];

			job_init(j, train, &specs[i], ctx, &nm,
					 member_seed(seed, 0x57ACull + (uint64_t) f + 1, (uint64_t) i));
			j->rows = fit_rows[f];
			j->nr = n_fit[f];
			j->pred_rows = pred_rows[f];
			j->n_pred = n_pred[f];
			j->oof = oof;
			j->oof_w = wd * (size_t) n_specs;
			j->oof_at = wd * (size_t) i;
		}
	}
	for (int i = 0; i < n_specs; i++)
	{
		Job		   *j = &jobs[nj++];

		job_init(j, train, &specs[i], ctx, &nm, member_seed(seed, 0x57ACull, (uint64_t) i));
		j->keep = true;
	}
	run_jobs(jobs, nj, ctx);

	if (ctx)
	{
		ctx->members = ml_alloc(sizeof(MLMemberLog) * (size_t) n_specs);
		ctx->n_members = n_specs;
	}
	meta = dataset_create(n, pm, k);
	{
		double	   *mrow = ml_alloc(ml_mul_size(ml_mul_size(n, pm ? pm : 1), sizeof(double)));
		double	   *o = ml_alloc(ml_mul_size(ml_mul_size(n, wd), sizeof(double)));

		for (int i = 0; i < n_specs; i++)
		{
			take_job(&jobs[n_specs * folds + i], &e->m[i], k, depth, ctx ? &ctx->members[i] : NULL);
			e->m[i].weight = 1.0;
			for (size_t a = 0; a < n; a++)
				memcpy(o + a * wd, oof + a * wd * (size_t) n_specs + wd * (size_t) i, wd * sizeof(double));
			to_meta(e, o, n, mrow, pm, q * (size_t) i);
			if (ctx && n > 1)
			{
				MLMetricSet ms;

				score(train->y, o, n, k, &ms);
				for (int s = 0; s < ms.n; s++)
					log_member_metric(&ctx->members[i], ms.names[s], ms.values[s]);
			}
		}
		/* column-major meta dataset: the meta features, then passthrough */
		for (size_t c = 0; c < q * (size_t) n_specs; c++)
			for (size_t a = 0; a < n; a++)
				meta->X[c * n + a] = mrow[a * pm + c];
		if (e->passthrough)
			memcpy(meta->X + q * (size_t) n_specs * n, train->X,
				   ml_mul_size(ml_mul_size(n, train->n_cols), sizeof(double)));
		memcpy(meta->y, train->y, sizeof(double) * n);
		ml_free(mrow);
		ml_free(o);
	}

	/* the final learner, on the out-of-fold predictions */
	{
		MLFitContext c;

		memset(&c, 0, sizeof(c));
		c.seed = member_seed(seed, 0xF1Aull, 0);
		c.threads = ctx ? ctx->threads : 1;
		c.class_labels = ctx ? ctx->class_labels : NULL;
		c.path = fin.path;
		c.depth = depth + 1;
		e->final.learner = fin.learner;
		e->final.p = pm;
		e->final.weight = 1.0;
		e->final.state = fin.learner->fit(meta, NULL, fin.params, &c);
	}
	for (int f = 0; f < folds; f++)
	{
		ml_free(fit_rows[f]);
		ml_free(pred_rows[f]);
	}
	ml_free(oof);
	ml_free(fold);
	ml_free(jobs);
	return e;
}

/* ---- scoring ---- */

static void
ensemble_predict(const void *state, const double *X, size_t n, double *out)
{
	const Ensemble *e = state;
	size_t		wd = out_width(e->k);
	size_t		maxp = 1;
	size_t		q = e->kind == K_STACKING ? meta_width(e) : 0;
	size_t		pm = e->kind == K_STACKING ? e->final.p : 0;
	double		wsum = 0;
	double	   *scratch,
			   *o,
			   *meta = NULL;

	for (int i = 0; i < e->n; i++)
	{
		if (e->m[i].cols && e->m[i].p > maxp)
			maxp = e->m[i].p;
		wsum += e->m[i].weight;
	}
	scratch = ml_alloc(sizeof(double) * BLOCK * maxp);
	o = ml_alloc(sizeof(double) * BLOCK * wd);
	if (e->kind == K_STACKING)
		meta = ml_alloc(sizeof(double) * BLOCK * pm);
	for (size_t start = 0; start < n; start += BLOCK)
	{
		size_t		b = n - start < BLOCK ? n - start : BLOCK;
		const double *Xb = X + start * e->p;
		double	   *ob = out + start * wd;

		if (e->kind == K_STACKING)
		{
			for (int i = 0; i < e->n; i++)
			{
				member_predict(&e->m[i], Xb, b, e->p, scratch, o);
				to_meta(e, o, b, meta, pm, q * (size_t) i);
			}
			if (e->passthrough)
				for (size_t a = 0; a < b; a++)
					memcpy(meta + a * pm + q * (size_t) e->n, Xb + a * e->p, sizeof(double) * e->p);
			e->final.learner->predict(e->final.state, meta, b, ob);
			continue;
		}
		memset(ob, 0, sizeof(double) * b * wd);
		for (int i = 0; i < e->n; i++)
		{
			double		wt = e->m[i].weight;

			if (wt == 0)
				continue;
			member_predict(&e->m[i], Xb, b, e->p, scratch, o);
			for (size_t a = 0; a < b; a++)
			{
				if (e->k > 0 && !e->soft)
					ob[a * wd + (size_t) ml_argmax(o + a * wd, e->k)] += wt;
				else
					for (size_t c = 0; c < wd; c++)
						ob[a * wd + c] += wt * o[a * wd + c];
			}
		}
		for (size_t a = 0; a < b * wd; a++)
			ob[a] /= wsum;
	}
	ml_free(scratch);
	ml_free(o);
	if (meta)
		ml_free(meta);
}

/* ---- model bytes ---- */

static void
write_member(const Member *m, MLBuffer *out)
{
	MLBuffer	b;

	buffer_put_u16(out, m->learner->id);
	if (m->cols)
	{
		buffer_put_u32(out, (uint32_t) m->p);
		for (size_t j = 0; j < m->p; j++)
			buffer_put_u32(out, (uint32_t) m->cols[j]);
	}
	else
		buffer_put_u32(out, ALL_FEATURES);
	buffer_put_f64(out, m->weight);
	buffer_init(&b);
	m->learner->write(m->state, &b);
	buffer_put_u32(out, (uint32_t) b.len);
	buffer_put_bytes(out, b.data, b.len);
	ml_free(b.data);
}

static void
ensemble_write(const void *state, MLBuffer *out)
{
	const Ensemble *e = state;

	buffer_put_u8(out, (uint8_t) e->kind);
	buffer_put_u8(out, e->soft);
	buffer_put_u8(out, e->passthrough);
	buffer_put_u8(out, e->proba);
	buffer_put_u32(out, (uint32_t) e->n);
	for (int i = 0; i < e->n; i++)
		write_member(&e->m[i], out);
	if (e->kind == K_STACKING)
		write_member(&e->final, out);
}

/* p: features the member may index; p_fixed: the features it must read (final) */
static void
read_member(MLReader *in, Member *m, size_t p, int k, size_t p_fixed)
{
	uint16_t	id = reader_u16(in);
	uint32_t	pc = reader_u32(in);
	uint32_t	len;
	MLReader	sub;

	m->learner = learner_find_id(id);
	if (m->learner == NULL)
		ml_error(ML_ERR_CORRUPT, NULL, "ensemble member has unknown learner id %u", id);
	if (!(m->learner->tasks & ML_TASK_BIT(k > 0 ? ML_CLASSIFICATION : ML_REGRESSION)))
		ml_error(ML_ERR_CORRUPT, NULL, "ensemble member learner \"%s\" does not fit the task",
				 m->learner->name);
	if (pc == ALL_FEATURES)
		m->p = p_fixed ? p_fixed : p;
	else
	{
		if (p_fixed || pc == 0 || pc > ML_MAX_FEATURES)
			ml_error(ML_ERR_CORRUPT, NULL, "ensemble member has a bad feature count");
		m->p = pc;
		m->cols = ml_alloc(sizeof(int) * pc);
		for (uint32_t j = 0; j < pc; j++)
		{
			uint32_t	c = reader_u32(in);

			if (c >= p)
				ml_error(ML_ERR_CORRUPT, NULL, "ensemble member reads feature %u of %zu", c, p);
			m->cols[j] = (int) c;
		}
	}
	m->weight = reader_f64(in);
	if (!isfinite(m->weight) || m->weight < 0)
		ml_error(ML_ERR_CORRUPT, NULL, "ensemble member has a bad weight");
	len = reader_u32(in);
	reader_init(&sub, reader_bytes(in, len), len);
	sub.depth = in->depth + 1;
	m->state = m->learner->read(&sub, m->p, k);
	reader_expect_end(&sub);
}

static void *
ensemble_read_kind(MLReader *in, size_t p, int k, Kind kind)
{
	Ensemble   *e = ml_alloc(sizeof(Ensemble));
	double		wsum = 0;

	if (in->depth >= ML_ENSEMBLE_MAX_DEPTH)
		ml_error(ML_ERR_CORRUPT, NULL, "ensembles nested more than %d deep", ML_ENSEMBLE_MAX_DEPTH);
	e->kind = (Kind) reader_u8(in);
	if (e->kind != kind)
		ml_error(ML_ERR_CORRUPT, NULL, "ensemble payload of the wrong kind");
	e->soft = reader_u8(in) != 0;
	e->passthrough = reader_u8(in) != 0;
	e->proba = reader_u8(in) != 0;
	e->p = p;
	e->k = k;
	e->n = (int) reader_count(in, 16, MAX_MEMBERS);
	if (e->n == 0)
		ml_error(ML_ERR_CORRUPT, NULL, "ensemble without members");
	e->m = ml_alloc(sizeof(Member) * (size_t) e->n);
	for (int i = 0; i < e->n; i++)
	{
		read_member(in, &e->m[i], p, k, 0);
		wsum += e->m[i].weight;
	}
	if (!(wsum > 0))
		ml_error(ML_ERR_CORRUPT, NULL, "ensemble weights sum to zero");
	if (kind == K_STACKING)
	{
		if (e->proba && k == 0)
			ml_error(ML_ERR_CORRUPT, NULL, "stacking with probabilities for regression");
		read_member(in, &e->final, 0, k,
					meta_width(e) * (size_t) e->n + (e->passthrough ? p : 0));
	}
	return e;
}

static void *
bagging_read(MLReader *in, size_t p, int k)
{
	return ensemble_read_kind(in, p, k, K_BAGGING);
}

static void *
voting_read(MLReader *in, size_t p, int k)
{
	return ensemble_read_kind(in, p, k, K_VOTING);
}

static void *
stacking_read(MLReader *in, size_t p, int k)
{
	return ensemble_read_kind(in, p, k, K_STACKING);
}

static void
describe_member(const Member *m, MLBuffer *json)
{
	buffer_printf(json, "{\"algorithm\": ");
	buffer_json_str(json, m->learner->name);
	buffer_printf(json, ", \"features\": %zu, \"weight\": ", m->p);
	buffer_json_num(json, m->weight);
	buffer_printf(json, "}");
}

static void
ensemble_describe(const void *state, MLBuffer *json)
{
	const Ensemble *e = state;

	buffer_printf(json, "{\"members\": [");
	for (int i = 0; i < e->n; i++)
	{
		if (i)
			buffer_printf(json, ", ");
		describe_member(&e->m[i], json);
	}
	buffer_printf(json, "]");
	if (e->kind != K_STACKING && e->k > 0)
		buffer_printf(json, ", \"voting\": \"%s\"", e->soft ? "soft" : "hard");
	if (e->kind == K_STACKING)
	{
		buffer_printf(json, ", \"final\": ");
		describe_member(&e->final, json);
		buffer_printf(json, ", \"stack_method\": \"%s\", \"passthrough\": %s",
					  e->proba ? "proba" : "predict", e->passthrough ? "true" : "false");
	}
	buffer_printf(json, "}");
}

/*
 * Importance: the members' own importances, each scaled to sum to 1 and
 * mapped to the ensemble's features, averaged by member weight (stacking:
 * the base members).  NaN in out[0] when no member has its own, so the host
 * measures permutation importance instead.
 */
static void
ensemble_importance(const void *state, const MLDataset *train, double *out)
{
	const Ensemble *e = state;
	double		wsum = 0;

	memset(out, 0, sizeof(double) * e->p);
	for (int i = 0; i < e->n; i++)
	{
		const Member *m = &e->m[i];
		double	   *imp,
					tot = 0;
		MLDataset  *d = NULL;

		if (m->learner->importance == NULL || m->weight == 0)
			continue;
		imp = ml_alloc(sizeof(double) * (m->p ? m->p : 1));
		if (m->cols)
			d = view(train, NULL, train->n_rows, m->cols, m->p);
		m->learner->importance(m->state, d ? d : train, imp);
		if (d)
		{
			ml_free(d->X);
			ml_free(d->y);
			ml_free(d);
		}
		if (m->p > 0 && isnan(imp[0]))
		{
			ml_free(imp);
			continue;
		}
		for (size_t j = 0; j < m->p; j++)
			tot += fabs(imp[j]);
		if (tot > 0)
			for (size_t j = 0; j < m->p; j++)
				out[m->cols ? (size_t) m->cols[j] : j] += m->weight * fabs(imp[j]) / tot;
		wsum += m->weight;
		ml_free(imp);
	}
	if (wsum == 0)
	{
		if (e->p > 0)
			out[0] = NAN;
		return;
	}
	for (size_t j = 0; j < e->p; j++)
		out[j] /= wsum;
}

/* ---- what the host reads of a trained ensemble ---- */

int
ensemble_n_members(const MLModel *m)
{
	return ensemble_is(m->learner) ? ((const Ensemble *) m->state)->n : 0;
}

const MLLearner *
ensemble_member_learner(const MLModel *m, int i)
{
	return ((const Ensemble *) m->state)->m[i].learner;
}

void
ensemble_member_predict(const MLModel *m, int i, const double *X, size_t n, double *out)
{
	const Ensemble *e = m->state;
	const Member *mb = &e->m[i];
	double	   *scratch = ml_alloc(sizeof(double) * BLOCK * (mb->p ? mb->p : 1));

	for (size_t start = 0; start < n; start += BLOCK)
	{
		size_t		b = n - start < BLOCK ? n - start : BLOCK;

		member_predict(mb, X + start * e->p, b, e->p, scratch, out + start * out_width(e->k));
	}
	ml_free(scratch);
}

const MLLearner ml_learner_bagging = {
	.name = "bagging",
	.id = 17,
	.tasks = ML_TASK_BIT(ML_REGRESSION) | ML_TASK_BIT(ML_CLASSIFICATION),
	.params = bagging_params,
	.doc = "bagging: one learner fit on samples of rows and features, voted or averaged",
	.scale = ML_SCALE_STANDARD,
	.importance_method = "members",
	.fit = bagging_fit,
	.predict = ensemble_predict,
	.write = ensemble_write,
	.read = bagging_read,
	.describe = ensemble_describe,
	.importance = ensemble_importance,
	.engines = ML_ENGINE_MEMORY | ML_ENGINE_PARTITIONS,
};

const MLLearner ml_learner_voting = {
	.name = "voting",
	.id = 18,
	.tasks = ML_TASK_BIT(ML_REGRESSION) | ML_TASK_BIT(ML_CLASSIFICATION),
	.params = voting_params,
	.doc = "voting: different learners, weighted vote or average",
	.scale = ML_SCALE_STANDARD,
	.importance_method = "members",
	.fit = voting_fit,
	.predict = ensemble_predict,
	.write = ensemble_write,
	.read = voting_read,
	.describe = ensemble_describe,
	.importance = ensemble_importance,
	.engines = ML_ENGINE_MEMORY | ML_ENGINE_PARTITIONS,
};

const MLLearner ml_learner_stacking = {
	.name = "stacking",
	.id = 19,
	.tasks = ML_TASK_BIT(ML_REGRESSION) | ML_TASK_BIT(ML_CLASSIFICATION),
	.params = stacking_params,
	.doc = "stacking: a final learner on the members' out-of-fold predictions",
	.scale = ML_SCALE_STANDARD,
	.importance_method = "members",
	.fit = stacking_fit,
	.predict = ensemble_predict,
	.write = ensemble_write,
	.read = stacking_read,
	.describe = ensemble_describe,
	.importance = ensemble_importance,
	.engines = ML_ENGINE_MEMORY | ML_ENGINE_PARTITIONS,
};

const MLLearner *
ensemble_voting_learner(void)
{
	return &ml_learner_voting;
}
