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
 * Files: this one is the model (scoring, bytes, insight, what the host
 * reads) and the training tasks; ensemble_config.c checks configurations;
 * bagging.c, voting.c and stacking.c are the learners' fits and registry
 * entries; ensemble_internal.h holds what they share.
 *
 *-------------------------------------------------------------------------
 */
#include "ensemble_internal.h"
#include "../core/parallel.h"
#include "../core/rng.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

/*
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
void
ensemble_gather_rows(const MLDataset *d, const size_t *rows, size_t nr, const int *cols, size_t pc,
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

static void
fit_job(void *arg, int t)
{
	Job		   *j = &((Job *) arg)[t];
	const MLLearner *l = j->spec->learner;
	MLDataset  *d = view(j->train, j->rows, j->nr, j->cols, j->pc);
	Names		sub = ensemble_names_subset(&j->names, j->cols, d->n_cols);
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
		size_t		w = ensemble_out_width(j->train->n_classes);
		double	   *X = ml_alloc(ml_mul_size(ml_mul_size(j->n_pred, d->n_cols ? d->n_cols : 1),
											 sizeof(double)));
		double	   *o = ml_alloc(ml_mul_size(ml_mul_size(j->n_pred, w), sizeof(double)));

		ensemble_gather_rows(j->train, j->pred_rows, j->n_pred, j->cols, j->pc, X);
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

void
ensemble_job_init(Job *j, const MLDataset *train, const Spec *s, const MLFitContext *ctx,
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
void
ensemble_run_jobs(Job *jobs, int n, const MLFitContext *ctx)
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
void
ensemble_take_job(Job *j, Member *m, int k, int depth, MLMemberLog *log)
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

void
ensemble_log_metric(MLMemberLog *log, const char *name, double value)
{
	log->metrics = ml_realloc(log->metrics, sizeof(MLMetricRow) * (log->n_metrics + 1));
	log->metrics[log->n_metrics].split = "validation";
	log->metrics[log->n_metrics].name = name;
	log->metrics[log->n_metrics].step = -1;
	log->metrics[log->n_metrics].value = value;
	log->n_metrics++;
}

/* score predictions (n values or n x k probabilities) of rows of y */
void
ensemble_score(const double *y, const double *pred, size_t n, int k, MLMetricSet *ms)
{
	if (k > 0)
		metrics_classification(y, pred, n, k, ms);
	else
		metrics_regression(y, pred, n, ms);
}

void
ensemble_member_block(const Member *m, const double *X, size_t n, size_t p, double *scratch,
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

uint64_t
ensemble_member_seed(uint64_t seed, uint64_t salt, uint64_t i)
{
	return ml_mix64(seed ^ ml_mix64(salt) ^ ml_mix64(i + 1));
}

/* ---- scoring ---- */

/* stacking (scoring and fit): meta features per member: k == 2 probabilities give one */
size_t
stacking_meta_width(const Ensemble *e)
{
	if (e->k > 0 && e->proba)
		return e->k == 2 ? 1 : (size_t) e->k;
	return 1;
}

/* member outputs o (n x ensemble_out_width) to meta features (n x stacking_meta_width) at column at of meta (width q) */
void
stacking_to_meta(const Ensemble *e, const double *o, size_t n, double *meta, size_t q, size_t at)
{
	size_t		wd = ensemble_out_width(e->k);

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


void
ensemble_predict(const void *state, const double *X, size_t n, double *out)
{
	const Ensemble *e = state;
	size_t		wd = ensemble_out_width(e->k);
	size_t		maxp = 1;
	size_t		q = e->kind == K_STACKING ? stacking_meta_width(e) : 0;
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
				ensemble_member_block(&e->m[i], Xb, b, e->p, scratch, o);
				stacking_to_meta(e, o, b, meta, pm, q * (size_t) i);
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
			ensemble_member_block(&e->m[i], Xb, b, e->p, scratch, o);
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

void
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

void *
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
					stacking_meta_width(e) * (size_t) e->n + (e->passthrough ? p : 0));
	}
	return e;
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

void
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
void
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

		ensemble_member_block(mb, X + start * e->p, b, e->p, scratch, out + start * ensemble_out_width(e->k));
	}
	ml_free(scratch);
}
