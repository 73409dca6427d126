/*
 * helpers.c
 *	  What more than one unit test file needs: toy data sets, a model fitted
 *	  the way ml_train builds one (identity pipeline, numeric class labels),
 *	  the model bytes round trip, and a qsort order on doubles.  Declared in
 *	  unit.h.
 */
#include <stdio.h>
#include <string.h>

#include "unit.h"
#include "core/pipeline.h"

int			unit_fit_threads = 0;	/* ctx.threads of unit_fit_model: 0 = all
									 * cores */

/*
 * n rows of two columns (the row number and a cycle of 13) and k classes
 * that interleave: what a stratified split or a small tree can work on.
 */
MLDataset *
unit_toy_classes(size_t n, int k)
{
	MLDataset  *d = dataset_create(n, 2, k);

	for (size_t i = 0; i < n; i++)
	{
		d->X[i] = (double) i;
		d->X[n + i] = (double) (i * 7 % 13);
		d->y[i] = (double) ((i * 5 + i / 3) % (size_t) k);
	}
	return d;
}

/*
 * A model of learner trained on d with the nv parameters v (seed 42,
 * unit_fit_threads threads): features "a" to "d" through an identity
 * pipeline, classes labelled "0", "1", ... when d has classes.
 */
MLModel *
unit_fit_model(const char *learner, MLDataset *d, const MLParamValue *v, size_t nv)
{
	MLModel    *m = ml_alloc(sizeof(MLModel));
	MLFitContext ctx = {0};
	static char *names[] = {"a", "b", "c", "d"};

	m->learner = learner_find(learner);
	m->task = d->n_classes ? ML_CLASSIFICATION : ML_REGRESSION;
	m->label_type = d->n_classes ? ML_LABEL_NUMERIC : ML_LABEL_NONE;
	m->pipeline = pipeline_identity(names, (int) d->n_cols);
	m->n_features = d->n_cols;
	m->feature_names = m->pipeline->out_names;
	m->target_name = "y";
	m->n_classes = d->n_classes;
	if (d->n_classes)
	{
		m->class_labels = ml_alloc(sizeof(char *) * d->n_classes);
		m->class_values = ml_alloc(sizeof(double) * d->n_classes);
		for (int c = 0; c < d->n_classes; c++)
		{
			m->class_labels[c] = ml_alloc(16);
			snprintf(m->class_labels[c], 16, "%d", c);
			m->class_values[c] = c;
		}
	}
	ctx.seed = 42;
	ctx.threads = unit_fit_threads;
	ctx.feature_names = m->feature_names;
	ctx.class_labels = m->class_labels;
	m->state = m->learner->fit(d, NULL,
							   params_resolve(learner, m->learner->params, v, nv), &ctx);
	return m;
}

/*
 * m's bytes survive read and write unchanged, and the model read back
 * predicts rows of x exactly as m (NaN where m gives NaN).  Leaves m's
 * bytes in b1 and its predictions in o1 (at most 64 outputs).
 */
void
unit_check_round_trip(const MLModel *m, const double *x, size_t rows, MLBuffer *b1, double *o1)
{
	MLModel    *r;
	MLBuffer	b2;
	double		o2[64];
	size_t		w = model_output_width(m);

	buffer_init(b1);
	model_write(m, b1);
	r = model_read(b1->data, b1->len);
	buffer_init(&b2);
	model_write(r, &b2);
	CHECK(b1->len == b2.len && memcmp(b1->data, b2.data, b1->len) == 0);
	model_predict(m, x, rows, o1);
	model_predict(r, x, rows, o2);
	for (size_t j = 0; j < rows * w; j++)
		CHECK(o1[j] == o2[j] || (isnan(o1[j]) && isnan(o2[j])));
}

/* qsort's ascending order on doubles (no NaN) */
int
unit_cmp_double(const void *a, const void *b)
{
	double		x = *(const double *) a,
				y = *(const double *) b;

	return (x > y) - (x < y);
}
