/*
 * test_main.c
 *	  Unit tests of src/core and src/algo, run without a server.  Prints one
 *	  "ok" / "not ok" line per test and "unit: N passed, N failed".
 *	  Run from the repository root (fixtures are read from test/fixtures).
 */
#include <stdlib.h>
#include <string.h>

#include "unit.h"
#include "core/buffer.h"
#include "core/json.h"
#include "core/aggstate.h"
#include "core/search.h"
#include "core/parallel.h"
#include "core/dataset.h"
#include "core/linalg.h"
#include "core/metrics.h"
#include "core/model.h"
#include "algo/tree.h"
#include "ensemble/ensemble.h"
#include "core/params.h"
#include "core/pipeline.h"
#include "core/sortcount.h"

/* ---- buffer and checksum ---- */

static void
test_crc32c(void)
{
	CHECK(crc32c(0, "123456789", 9) == 0xE3069283u);
	/* chaining equals one pass */
	CHECK(crc32c(crc32c(0, "1234", 4), "56789", 5) == 0xE3069283u);
}

static void
test_buffer_roundtrip(void)
{
	MLBuffer	b;
	MLReader	r;
	char	   *s;

	buffer_init(&b);
	buffer_put_u8(&b, 7);
	buffer_put_u16(&b, 0xBEEF);
	buffer_put_u32(&b, 0xDEADBEEF);
	buffer_put_u64(&b, 0x0123456789ABCDEFull);
	buffer_put_f64(&b, -2.5);
	buffer_put_str(&b, "héllo");
	reader_init(&r, b.data, b.len);
	CHECK(reader_u8(&r) == 7);
	CHECK(reader_u16(&r) == 0xBEEF);
	CHECK(reader_u32(&r) == 0xDEADBEEF);
	CHECK(reader_u64(&r) == 0x0123456789ABCDEFull);
	CHECK(reader_f64(&r) == -2.5);
	s = reader_str(&r, 100);
	CHECK(strcmp(s, "héllo") == 0);
	reader_expect_end(&r);
	/* little-endian on the wire */
	CHECK(b.data[1] == 0xEF && b.data[2] == 0xBE);
	/* reading past the end is an error, not a read */
	EXPECT_ERROR(ML_ERR_CORRUPT, reader_u32(&r));
	/* a string length larger than what remains */
	reader_init(&r, b.data + 23, b.len - 23);
	EXPECT_ERROR(ML_ERR_CORRUPT, reader_str(&r, 2));
	free(b.data);
}

/* ---- params ---- */

static const MLParamSpec spec[] = {
	{"alpha", ML_PARAM_FLOAT, 1.0, 0.0, 10.0, NULL, NULL, "penalty"},
	{"iters", ML_PARAM_INT, 5, 1, 100, NULL, NULL, "iterations"},
	{"flag", ML_PARAM_BOOL, 0, 0, 1, NULL, NULL, "a flag"},
	{"mode", ML_PARAM_STRING, 0, 0, 0, "a", "a,bb,c", "a mode"},
	{NULL}
};

static void
test_params(void)
{
	MLParamValue v[3] = {
		{.name = "alpha", .kind = ML_VALUE_NUMBER, .num = 0.5},
		{.name = "mode", .kind = ML_VALUE_STRING, .num = 0, .str = "bb"},
		{.name = "flag", .kind = ML_VALUE_BOOL, .num = 1},
	};
	MLParams   *p = params_resolve("t", spec, v, 3);
	MLParamValue bad;
	MLBuffer	j;

	CHECK(params_get_num(p, "alpha") == 0.5);
	CHECK(params_get_num(p, "iters") == 5);
	CHECK(params_get_num(p, "flag") == 1);
	CHECK(strcmp(params_get_str(p, "mode"), "bb") == 0);
	buffer_init(&j);
	params_to_json(p, &j);
	buffer_put_u8(&j, 0);
	CHECK(strcmp((char *) j.data,
				 "{\"alpha\": 0.5, \"iters\": 5, \"flag\": true, \"mode\": \"bb\"}") == 0);

	bad = (MLParamValue) {.name = "alhpa", .kind = ML_VALUE_NUMBER, .num = 1};
	EXPECT_ERROR(ML_ERR_PARAM, params_resolve("t", spec, &bad, 1));
	CHECK(strstr(unit_last_msg, "alhpa") != NULL);
	bad = (MLParamValue) {.name = "alpha", .kind = ML_VALUE_STRING, .num = 0, .str = "big"};
	EXPECT_ERROR(ML_ERR_PARAM, params_resolve("t", spec, &bad, 1));
	bad = (MLParamValue) {.name = "alpha", .kind = ML_VALUE_NUMBER, .num = 11};
	EXPECT_ERROR(ML_ERR_PARAM, params_resolve("t", spec, &bad, 1));
	bad = (MLParamValue) {.name = "iters", .kind = ML_VALUE_NUMBER, .num = 2.5};
	EXPECT_ERROR(ML_ERR_PARAM, params_resolve("t", spec, &bad, 1));
	bad = (MLParamValue) {.name = "flag", .kind = ML_VALUE_NUMBER, .num = 1};
	EXPECT_ERROR(ML_ERR_PARAM, params_resolve("t", spec, &bad, 1));
	bad = (MLParamValue) {.name = "mode", .kind = ML_VALUE_STRING, .num = 0, .str = "b"};
	EXPECT_ERROR(ML_ERR_PARAM, params_resolve("t", spec, &bad, 1));
	bad = (MLParamValue) {.name = "alpha", .kind = ML_VALUE_NUMBER, .num = NAN};
	EXPECT_ERROR(ML_ERR_PARAM, params_resolve("t", spec, &bad, 1));
}

/* ---- split ---- */

static MLDataset *
toy_classes(size_t n, int k)
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

static void
test_split(void)
{
	MLDataset  *d = toy_classes(1000, 3);
	size_t	   *tr,
			   *te,
			   *tr2,
			   *te2,
				ntr,
				nte,
				ntr2,
				nte2;
	size_t		per_class[3] = {0},
				per_class_test[3] = {0};

	dataset_split(d, 0.25, 42, &tr, &ntr, &te, &nte);
	CHECK(ntr + nte == 1000);
	for (size_t i = 0; i < 1000; i++)
		per_class[(int) d->y[i]]++;
	for (size_t i = 0; i < nte; i++)
		per_class_test[(int) d->y[te[i]]]++;
	/* stratified: each class contributes round(n_c / 4) */
	for (int c = 0; c < 3; c++)
		CHECK(per_class_test[c] == (size_t) floor(per_class[c] * 0.25 + 0.5));

	/* deterministic */
	dataset_split(d, 0.25, 42, &tr2, &ntr2, &te2, &nte2);
	CHECK(nte2 == nte && memcmp(te, te2, nte * sizeof(size_t)) == 0);
	/* another seed, another split */
	dataset_split(d, 0.25, 43, &tr2, &ntr2, &te2, &nte2);
	CHECK(nte2 == nte && memcmp(te, te2, nte * sizeof(size_t)) != 0);

	/* a function of the row: reversing the rows keeps the same rows in test */
	{
		MLDataset  *r = dataset_create(1000, 2, 3);
		size_t		same = 0;

		for (size_t i = 0; i < 1000; i++)
		{
			r->X[i] = d->X[999 - i];
			r->X[1000 + i] = d->X[1000 + 999 - i];
			r->y[i] = d->y[999 - i];
		}
		dataset_split(r, 0.25, 42, &tr2, &ntr2, &te2, &nte2);
		CHECK(nte2 == nte);
		for (size_t i = 0; i < nte2; i++)
			for (size_t t = 0; t < nte; t++)
				if (te[t] == 999 - te2[i])
					same++;
		CHECK(same == nte);
	}

	/* test_size 0 keeps everything for training */
	dataset_split(d, 0.0, 42, &tr2, &ntr2, &te2, &nte2);
	CHECK(ntr2 == 1000 && nte2 == 0);
}

/* ---- metrics ---- */

static void
test_metrics_hand(void)
{
	double		y[] = {3, -0.5, 2, 7};
	double		p[] = {2.5, 0.0, 2, 8};
	MLMetricSet m;
	double		yb[] = {0, 0, 1, 1};
	double		pb[] = {0.9, 0.1, 0.6, 0.4, 0.65, 0.35, 0.2, 0.8};

	metrics_regression(y, p, 4, &m);
	/* scikit-learn's documented example: r2 0.9486..., mae 0.5 */
	CHECK_NEAR(metrics_get(&m, "r2"), 0.9486081370449679, 1e-12);
	CHECK_NEAR(metrics_get(&m, "mae"), 0.5, 1e-12);
	CHECK_NEAR(metrics_get(&m, "rmse"), sqrt(0.375), 1e-12);

	/* scores for class 1: 0.1, 0.4, 0.35, 0.8 -> roc_auc 0.75 */
	metrics_classification(yb, pb, 4, 2, &m);
	CHECK_NEAR(metrics_get(&m, "roc_auc"), 0.75, 1e-12);
	CHECK_NEAR(metrics_get(&m, "accuracy"), 0.75, 1e-12);
	CHECK_NEAR(metrics_get(&m, "precision"), 1.0, 1e-12);
	CHECK_NEAR(metrics_get(&m, "recall"), 0.5, 1e-12);
	CHECK_NEAR(metrics_get(&m, "f1"), 2.0 / 3.0, 1e-12);
	CHECK_NEAR(metrics_get(&m, "log_loss"),
			   -(log(0.9) + log(0.6) + log(0.35) + log(0.8)) / 4, 1e-12);

	/* ties count one half */
	{
		double		pos[] = {0, 1, 0, 1};
		double		sc[] = {0.5, 0.5, 0.2, 0.9};

		CHECK_NEAR(metrics_roc_auc_binary(pos, sc, 4), 0.875, 1e-12);
	}
}

/*
 * test/fixtures/metrics_sklearn.txt: cases produced by
 * test/ref/make_fixtures.py with scikit-learn.  Per case:
 *   case <n> <k>
 *   n lines: <label> <k probabilities>
 *   <metric> <value> lines, then "end"
 */
static void
test_metrics_sklearn(void)
{
	FILE	   *f = fopen("test/fixtures/metrics_sklearn.txt", "r");
	char		word[64];
	int			cases = 0;

	CHECK(f != NULL);
	if (f == NULL)
		return;
	while (fscanf(f, "%63s", word) == 1)
	{
		size_t		n;
		int			k;
		double	   *y,
				   *p;
		MLMetricSet m;

		if (strcmp(word, "case") != 0 || fscanf(f, "%zu %d", &n, &k) != 2)
		{
			CHECK(!"malformed fixture");
			break;
		}
		y = ml_alloc(n * sizeof(double));
		p = ml_alloc(n * k * sizeof(double));
		for (size_t i = 0; i < n; i++)
		{
			if (fscanf(f, "%lf", &y[i]) != 1)
				CHECK(!"malformed fixture row");
			for (int c = 0; c < k; c++)
				if (fscanf(f, "%lf", &p[i * k + c]) != 1)
					CHECK(!"malformed fixture row");
		}
		metrics_classification(y, p, n, k, &m);
		while (fscanf(f, "%63s", word) == 1 && strcmp(word, "end") != 0)
		{
			double		want;

			if (fscanf(f, "%lf", &want) != 1)
				break;
			/* NaN-safe: a NaN metric (or a metric missing from the set) fails */
			if (!(fabs(metrics_get(&m, word) - want) <= 1e-9))
			{
				unit_failures++;
				fprintf(stderr, "  case %d: %s = %.12g, scikit-learn %.12g\n",
						cases, word, metrics_get(&m, word), want);
			}
		}
		free(y);
		free(p);
		cases++;
	}
	fclose(f);
	CHECK(cases >= 3);
}

/* ---- learners and models ---- */

static int	fit_threads = 0;	/* ctx.threads of fit_model: 0 = all cores */

static MLModel *
fit_model(const char *learner, MLDataset *d, const MLParamValue *v, size_t nv)
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
	ctx.threads = fit_threads;
	ctx.feature_names = m->feature_names;
	ctx.class_labels = m->class_labels;
	m->state = m->learner->fit(d, NULL,
							   params_resolve(learner, m->learner->params, v, nv), &ctx);
	return m;
}

static void
test_linear_exact(void)
{
	MLDataset  *d = dataset_create(50, 2, 0);
	MLModel    *m;
	double		x[2] = {1, 1},
				out;

	for (size_t i = 0; i < 50; i++)
	{
		d->X[i] = (double) i;
		d->X[50 + i] = sin((double) i);
		d->y[i] = 2 * d->X[i] - 3 * d->X[50 + i] + 5;
	}
	m = fit_model("linear", d, NULL, 0);
	model_predict(m, x, 1, &out);
	CHECK_NEAR(out, 2 - 3 + 5, 1e-9);

	/* ridge, one feature: w = Sxy / (Sxx + alpha) on centered data */
	{
		MLDataset  *r = dataset_create(5, 1, 0);
		double		xs[] = {1, 2, 3, 4, 10},
					ys[] = {2, 1, 4, 3, 9},
					sxx = 0,
					sxy = 0,
					w,
					zero = 0;
		MLParamValue a = {.name = "alpha", .kind = ML_VALUE_NUMBER, .num = 2.0};

		memcpy(r->X, xs, sizeof(xs));
		memcpy(r->y, ys, sizeof(ys));
		for (int i = 0; i < 5; i++)
		{
			sxx += (xs[i] - 4) * (xs[i] - 4);
			sxy += (xs[i] - 4) * (ys[i] - 3.8);
		}
		w = sxy / (sxx + 2.0);
		m = fit_model("linear", r, &a, 1);
		model_predict(m, &zero, 1, &out);
		CHECK_NEAR(out, 3.8 - 4 * w, 1e-12);
	}

	/* collinear columns with alpha = 0: minimum-norm least squares */
	{
		MLDataset  *c = dataset_create(20, 2, 0);

		for (size_t i = 0; i < 20; i++)
		{
			c->X[i] = (double) i;
			c->X[20 + i] = (double) i;
			c->y[i] = 4.0 * i + 1;
		}
		m = fit_model("linear", c, NULL, 0);
		model_predict(m, x, 1, &out);
		CHECK_NEAR(out, 4.0 * 1 + 1, 1e-9);
	}
}

static void
test_logistic(void)
{
	MLDataset  *d = dataset_create(400, 2, 2);
	MLDataset  *d3 = dataset_create(600, 2, 3);
	MLModel    *m;
	double	   *proba = ml_alloc(400 * 2 * sizeof(double));
	double	   *X = ml_alloc(600 * 2 * sizeof(double));
	double	   *p3 = ml_alloc(600 * 3 * sizeof(double));
	MLMetricSet ms;
	MLParamValue tight[2] = {{.name = "tol", .kind = ML_VALUE_NUMBER, .num = 1e-9},
	{.name = "max_iter", .kind = ML_VALUE_NUMBER, .num = 1000}};

	for (size_t i = 0; i < 400; i++)
	{
		double		a = sin(i * 1.7) * 3,
					b = cos(i * 0.9) * 2;

		d->X[i] = a;
		d->X[400 + i] = b;
		d->y[i] = (a + 0.5 * b + 0.3 * sin(i * 13.1) > 0) ? 1 : 0;
		X[2 * i] = a;
		X[2 * i + 1] = b;
	}
	m = fit_model("logistic", d, tight, 2);
	model_predict(m, X, 400, proba);
	metrics_classification(d->y, proba, 400, 2, &ms);
	CHECK(metrics_get(&ms, "accuracy") > 0.9);
	CHECK(metrics_get(&ms, "roc_auc") > 0.97);
	for (size_t i = 0; i < 400; i++)
		CHECK_NEAR(proba[2 * i] + proba[2 * i + 1], 1.0, 1e-12);

	for (size_t i = 0; i < 600; i++)
	{
		double		a = sin(i * 1.3) * 3,
					b = cos(i * 0.7) * 3;

		d3->X[i] = a;
		d3->X[600 + i] = b;
		d3->y[i] = a > 1 ? 2 : (b > 0 ? 1 : 0);
		X[2 * i] = a;
		X[2 * i + 1] = b;
	}
	m = fit_model("logistic", d3, tight, 2);
	model_predict(m, X, 600, p3);
	metrics_classification(d3->y, p3, 600, 3, &ms);
	CHECK(metrics_get(&ms, "accuracy") > 0.85);
	CHECK_NEAR(p3[0] + p3[1] + p3[2], 1.0, 1e-12);
}

static void
test_model_bytes(void)
{
	MLDataset  *d = dataset_create(200, 2, 2);
	MLModel    *m1,
			   *m2,
			   *r;
	MLBuffer	b1,
				b2;
	double		x[2] = {0.3, -1.2},
				o1[2],
				o2[2];
	size_t		corrupt_ok = 0;

	for (size_t i = 0; i < 200; i++)
	{
		d->X[i] = sin(i * 0.37);
		d->X[200 + i] = cos(i * 0.11);
		d->y[i] = d->X[i] + 0.2 * d->X[200 + i] > 0.1 ? 1 : 0;
	}
	m1 = fit_model("logistic", d, NULL, 0);
	m2 = fit_model("logistic", d, NULL, 0);
	/* format 2's extension section: column kinds and feature means */
	{
		static double means[2] = {0.25, -0.5};

		m1->pipeline->cols[0].ctype = m2->pipeline->cols[0].ctype = ML_CT_TIMESTAMP;
		m1->pipeline->cols[0].type_name = m2->pipeline->cols[0].type_name = "timestamp with time zone";
		m1->feature_mean = m2->feature_mean = means;
	}
	buffer_init(&b1);
	buffer_init(&b2);
	model_write(m1, &b1);
	model_write(m2, &b2);
	CHECK(b1.len == b2.len && memcmp(b1.data, b2.data, b1.len) == 0);

	r = model_read(b1.data, b1.len);
	model_predict(m1, x, 1, o1);
	model_predict(r, x, 1, o2);
	CHECK(o1[0] == o2[0] && o1[1] == o2[1]);
	CHECK(r->n_features == 2 && strcmp(r->feature_names[1], "b") == 0);
	CHECK(r->n_classes == 2 && strcmp(r->class_labels[1], "1") == 0);
	CHECK(r->pipeline->cols[0].ctype == ML_CT_TIMESTAMP && r->pipeline->cols[1].ctype == ML_CT_UNKNOWN);
	CHECK(strcmp(r->pipeline->cols[0].type_name, "timestamp with time zone") == 0);
	CHECK(r->feature_mean && r->feature_mean[0] == 0.25 && r->feature_mean[1] == -0.5);

	/* format 1 (before the extension section) still reads: ml_fit linear, y = f(x1, x2) */
	{
		static const char *v1 =
			"4d4c535101000200010002000000020000007831020000007831000000000101000100000000000000"
			"000000000000000000000000000000f03f000000000200000000000000020000007832020000007832"
			"000000000101000100000000000000000000000000000000000000000000f03f000000000200000000"
			"0000000100000079000000001c00000002000000280cc3300cc30040e13ccff33ccff33f1e18866118"
			"86f1bfcf2ab68e";
		uint8_t		bytes[256];
		size_t		n = strlen(v1) / 2;
		double		one[2] = {1, 1},
					o;
		MLModel    *old;

		for (size_t i = 0; i < n; i++)
			sscanf(v1 + 2 * i, "%2hhx", &bytes[i]);
		old = model_read(bytes, n);
		model_predict(old, one, 1, &o);
		CHECK(fabs(o - 2.238095238) < 1e-6);
		CHECK(old->pipeline->cols[0].ctype == ML_CT_UNKNOWN && old->feature_mean == NULL);
	}

	/* every single-byte corruption and every truncation is an error */
	for (size_t i = 0; i < b1.len; i++)
	{
		uint8_t		save = b1.data[i];

		b1.data[i] ^= 0x5A;
		EXPECT_ERROR(ML_ERR_CORRUPT, model_read(b1.data, b1.len));
		b1.data[i] = save;
		EXPECT_ERROR(ML_ERR_CORRUPT, model_read(b1.data, i));
		corrupt_ok++;
	}
	CHECK(corrupt_ok == b1.len);
}

/*
 * m's bytes survive read and write unchanged, and the model read back
 * predicts rows of x exactly as m (NaN where m gives NaN).  Leaves m's
 * bytes in b1 and its predictions in o1.
 */
static void
check_round_trip(const MLModel *m, const double *x, size_t rows, MLBuffer *b1, double *o1)
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

/*
 * Every learner's bytes survive a round trip: read then write gives the
 * same bytes and the same predictions (classification with 3 classes and
 * regression), NaN features included for gbdt.
 */
static void
test_learner_roundtrip(void)
{
	MLDataset  *dc = dataset_create(150, 2, 3),
			   *dr = dataset_create(150, 2, 0);
	double		x[6] = {0.3, -1.2, 2.0, 0.1, NAN, 0.5};	/* the NaN row: gbdt only */

	for (size_t i = 0; i < 150; i++)
	{
		dc->X[i] = dr->X[i] = sin(i * 0.37);
		dc->X[150 + i] = dr->X[150 + i] = cos(i * 0.11);
		dc->y[i] = (double) ((i * 7) % 3);
		dr->y[i] = dc->X[i] * 2 + dc->X[150 + i];
	}
	/* every learner of the registry but ensembles (their members are their own tests) */
	for (int a = 0; a < learner_count(); a++)
		for (int task = 0; task < 2; task++)
		{
			const MLLearner *l = learner_at(a);
			MLDataset  *d = task == 0 ? dc : dr;
			MLBuffer	b;
			double		o[9];
			size_t		rows = l->keep_missing ? 3 : 2;	/* the NaN row: learners that route NaN */

			if (ensemble_is(l) || !(l->tasks & ML_TASK_BIT(task == 0 ? ML_CLASSIFICATION : ML_REGRESSION)))
				continue;
			check_round_trip(fit_model(l->name, d, NULL, 0), x, rows, &b, o);
		}
}

/*
 * The registry: ids and names unique, every learner documented and trained
 * by the memory engine, and its aggregate method consistent with the engines
 * it declares.
 */
static void
test_registry(void)
{
	int			n = learner_count();

	CHECK(n >= 18);
	for (int i = 0; i < n; i++)
	{
		const MLLearner *l = learner_at(i);

		CHECK(l->doc != NULL && l->doc[0] != '\0');
		CHECK(l->engines & ML_ENGINE_MEMORY);
		CHECK(((l->engines & ML_ENGINE_AGGREGATE) != 0) == (l->agg_fit != ML_AGGFIT_NONE));
		CHECK(l->agg_fit != ML_AGGFIT_GRAM || l->fit_gram != NULL);
		CHECK(l->agg_fit != ML_AGGFIT_NEWTON || l->from_weights != NULL);
		CHECK(l->agg_fit != ML_AGGFIT_LLOYD || (l->from_centers != NULL && l->centers != NULL));
		CHECK(!(l->engines & ML_ENGINE_PARTITIONS) ||
			  (l->tasks & (ML_TASK_BIT(ML_REGRESSION) | ML_TASK_BIT(ML_CLASSIFICATION))));
		CHECK(learner_find(l->name) == l && learner_find_id(l->id) == l);
		for (int j = 0; j < i; j++)
			CHECK(learner_at(j)->id != l->id && strcmp(learner_at(j)->name, l->name) != 0);
	}
	CHECK(learner_at(n) == NULL && learner_at(-1) == NULL);
}

/*
 * gbdt scores a block of rows eight rows at a time and the rows left over
 * eight trees at a time: every row's output equals the row scored alone,
 * bit for bit, with a tree count that is not a multiple of eight (3 classes
 * x 7 rounds, and 13 regression trees), NaN features included.
 */
static void
test_gbdt_row_paths(void)
{
	size_t		n = 300,
				rows = 77;
	MLParamValue v[2] = {{.name = "n_trees", .kind = ML_VALUE_NUMBER, .num = 7},
	{.name = "max_depth", .kind = ML_VALUE_NUMBER, .num = 5}};
	double	   *x = ml_alloc(sizeof(double) * rows * 3),
			   *all = ml_alloc(sizeof(double) * rows * 3),
				one[3];

	for (size_t i = 0; i < rows * 3; i++)
		x[i] = i % 11 == 0 ? NAN : sin((double) i * 0.7);
	for (int task = 0; task < 2; task++)
	{
		MLDataset  *d = dataset_create(n, 3, task == 0 ? 3 : 0);
		MLModel    *m;
		size_t		w;

		for (size_t i = 0; i < n; i++)
		{
			d->X[i] = sin(i * 0.37);
			d->X[n + i] = i % 13 == 0 ? NAN : cos(i * 0.11);
			d->X[2 * n + i] = (double) (i % 17);
			d->y[i] = task == 0 ? (double) ((i * 7) % 3) : d->X[i] * 2 + d->X[2 * n + i];
		}
		v[0].num = task == 0 ? 7 : 13;
		m = fit_model("gbdt", d, v, 2);
		w = model_output_width(m);
		model_predict(m, x, rows, all);
		for (size_t i = 0; i < rows; i++)
		{
			model_predict(m, x + i * 3, 1, one);
			for (size_t c = 0; c < w; c++)
				CHECK(one[c] == all[i * w + c]);
		}
	}
}

/* the JSON reader: values, spans, escapes, and every kind of bad text */
static void
test_json(void)
{
	const char *t = " {\"a\": [1, -2.5e1, true, null], \"b\": {\"c\": \"x\\u00e9\\n\"}} ";
	MLJson	   *v = json_parse(t, strlen(t), "test");
	const MLJson *a = json_get(v, "a"),
			   *c = json_get(json_get(v, "b"), "c");
	static const char *const bad[] = {"", "{", "[1,]", "{\"a\" 1}", "{\"a\": 1,}", "01", "1.",
		"-", "tru", "\"abc", "\"\\x\"", "\"\\ud800\"", "[1] 2", "{\"a\": 1, \"a\": 2}",
	"\"\\u0000\"", "NaN", "'a'"};
	char		deep[200];

	CHECK(v->type == ML_JSON_OBJECT && v->n == 2);
	CHECK(a && a->type == ML_JSON_ARRAY && a->n == 4);
	CHECK(a->items[1]->num == -25 && a->items[2]->type == ML_JSON_BOOL && a->items[2]->num == 1);
	CHECK(a->items[3]->type == ML_JSON_NULL);
	CHECK(c && strcmp(c->str, "x\xc3\xa9\n") == 0);
	CHECK(strcmp(json_text(json_get(v, "b")), "{\"c\": \"x\\u00e9\\n\"}") == 0);
	CHECK(json_get(a, "x") == NULL);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		EXPECT_ERROR(ML_ERR_PARAM, json_parse(bad[i], strlen(bad[i]), "test"));
	memset(deep, '[', sizeof(deep));
	EXPECT_ERROR(ML_ERR_PARAM, json_parse(deep, sizeof(deep), "test"));
	/* the text's end is len, not a NUL */
	EXPECT_ERROR(ML_ERR_PARAM, json_parse("[1, 2]", 4, "test"));
}

static MLParamValue
json_param(const char *name, const char *json)
{
	MLParamValue v = {0};

	v.name = name;
	v.kind = json[0] == '{' ? ML_VALUE_MAP : ML_VALUE_OTHER;
	v.json = json;
	return v;
}

/*
 * Ensembles: bytes survive a round trip with the same predictions, the
 * same seed gives the same bytes whatever the thread count, a member's
 * feature subset is kept, and bad configurations are errors.
 */
static void
test_ensembles(void)
{
	MLDataset  *dc = dataset_create(200, 3, 3),
			   *dr = dataset_create(200, 3, 0);
	double		x[6] = {0.3, -1.2, 2.0, 0.1, 0.4, 0.5};
	MLParamValue vote[2],
				stack[2],
				bag[2];
	static const char *const bad[][2] = {
		{"voting", "[]"},
		{"voting", "[{\"algorithm\": \"nope\"}]"},
		{"voting", "[{\"algorithm\": \"kmeans\"}]"},
		{"voting", "[{\"k\": 3}]"},
		{"voting", "[3]"},
		{"voting", "[{\"algorithm\": \"knn\", \"features\": [\"zz\"]}]"},
		{"voting", "[{\"algorithm\": \"knn\", \"k\": -1}]"},
		{"voting", "[{\"algorithm\": \"voting\", \"estimators\": [{\"algorithm\": \"voting\", "
		"\"estimators\": [{\"algorithm\": \"voting\", \"estimators\": [{\"algorithm\": \"tree\"}]}]}]}]"},
	};

	for (size_t i = 0; i < 200; i++)
	{
		dc->X[i] = dr->X[i] = sin(i * 0.37);
		dc->X[200 + i] = dr->X[200 + i] = cos(i * 0.11);
		dc->X[400 + i] = dr->X[400 + i] = (double) (i % 7);
		dc->y[i] = (double) ((i * 7) % 3);
		dr->y[i] = dc->X[i] * 2 + dc->X[200 + i];
	}
	vote[0] = json_param("estimators", "[{\"algorithm\": \"tree\", \"max_depth\": 3}, "
						 "{\"algorithm\": \"knn\", \"features\": [\"a\", \"c\"]}, "
						 "{\"algorithm\": \"bagging\", \"n_estimators\": 3}]");
	vote[1].name = "voting";
	vote[1].kind = ML_VALUE_STRING;
	vote[1].str = "soft";
	stack[0] = vote[0];
	stack[1].name = "folds";
	stack[1].kind = ML_VALUE_NUMBER;
	stack[1].num = 3;
	bag[0] = json_param("base", "{\"algorithm\": \"tree\", \"max_depth\": 4}");
	bag[1].name = "n_estimators";
	bag[1].kind = ML_VALUE_NUMBER;
	bag[1].num = 7;
	for (int e = 0; e < 3; e++)
		for (int task = 0; task < 2; task++)
		{
			const char *name = e == 0 ? "voting" : e == 1 ? "stacking" : "bagging";
			const MLParamValue *v = e == 0 ? vote : e == 1 ? stack : bag;
			MLDataset  *d = task == 0 ? dc : dr;
			MLModel    *m2;
			MLBuffer	b1,
						b3;
			double		o1[6];
			size_t		w = task == 0 ? 3 : 1;

			check_round_trip(fit_model(name, d, v, 2), x, 2, &b1, o1);
			for (size_t j = 0; j < 2 * w; j++)
				CHECK(isfinite(o1[j]));
			if (task == 0)
				CHECK_NEAR(o1[0] + o1[1] + o1[2], 1.0, 1e-12);
			/* all cores, then one thread: the same bytes */
			fit_threads = 1;
			m2 = fit_model(name, d, v, 2);
			fit_threads = 0;
			buffer_init(&b3);
			model_write(m2, &b3);
			CHECK(b1.len == b3.len && memcmp(b1.data, b3.data, b1.len) == 0);
		}
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
	{
		MLParamValue v = json_param("estimators", bad[i][1]);

		EXPECT_ERROR(ML_ERR_PARAM, fit_model(bad[i][0], dc, &v, 1));
	}
	{
		MLParamValue v[2] = {json_param("estimators", "[{\"algorithm\": \"tree\"}]")};

		v[1].name = "folds";
		v[1].kind = ML_VALUE_NUMBER;
		v[1].num = 500;
		EXPECT_ERROR(ML_ERR_PARAM, fit_model("stacking", dc, v, 2));
	}
}

/* a failed worker task frees what it allocated; the first error comes back */
static void
fail_task(void *arg, int t)
{
	(void) arg;
	(void) ml_alloc(1000);
	if (t == 3)
		ml_error(ML_ERR_DATA, NULL, "task %d failed", t);
}

/* each task hands back one block in ((void **) arg)[t] */
static void
hand_task(void *arg, int t)
{
	((void **) arg)[t] = ml_alloc(100);
}

/*
 * Outer tasks run pools of their own: task t's inner blocks are released
 * inside the task, except that task 1 of a failing run errors with them
 * still held; each task hands back one block.
 */
static void
nest_task(void *arg, int t)
{
	void	  **out = arg;
	void	   *inner[4];
	bool		fail = out[2] != NULL;

	ml_parallel_for(4, 2, hand_task, inner);
	if (fail && t == 1)
		ml_error(ML_ERR_DATA, NULL, "outer task %d failed", t);
	for (int i = 0; i < 4; i++)
		ml_worker_release(inner[i]);
	out[t] = ml_alloc(10);
}

/* a task that keeps one block of four (ml_worker_free_others); task 5 fails */
static void
keep_task(void *arg, int t)
{
	void	   *keep;

	(void) ml_alloc(10);
	keep = ml_alloc(10);
	(void) ml_alloc(10);
	ml_worker_free_others(keep);
	((void **) arg)[t] = keep;
	if (t == 5 && ((void **) arg)[8] != NULL)
		ml_error(ML_ERR_DATA, NULL, "task %d failed", t);
}

/*
 * The blocks tasks hand back are the caller's when the pool succeeds and
 * are freed when it fails, also when a task ran a pool of its own or kept
 * one block with ml_worker_free_others.
 */
static void
test_worker_errors(void)
{
	size_t		before = ml_worker_outstanding();
	void	   *blocks[8];
	void	   *outer[3] = {NULL, NULL, NULL};

	EXPECT_ERROR(ML_ERR_DATA, ml_parallel_for(8, 2, fail_task, NULL));
	CHECK(strcmp(unit_last_msg, "task 3 failed") == 0);
	CHECK(ml_worker_outstanding() == before);
	ml_parallel_for(8, 2, hand_task, blocks);
	CHECK(ml_worker_outstanding() == before + 8);
	for (int i = 0; i < 8; i++)
		ml_worker_release(blocks[i]);
	CHECK(ml_worker_outstanding() == before);
	ml_parallel_for(2, 2, nest_task, outer);
	CHECK(ml_worker_outstanding() == before + 2);
	ml_worker_release(outer[0]);
	ml_worker_release(outer[1]);
	CHECK(ml_worker_outstanding() == before);
	outer[2] = &before;			/* fail */
	EXPECT_ERROR(ML_ERR_DATA, ml_parallel_for(2, 2, nest_task, outer));
	CHECK(strcmp(unit_last_msg, "outer task 1 failed") == 0);
	CHECK(ml_worker_outstanding() == before);
	{
		void	   *kept[9] = {NULL};

		ml_parallel_for(8, 2, keep_task, kept);
		CHECK(ml_worker_outstanding() == before + 8);
		for (int i = 0; i < 8; i++)
			ml_worker_release(kept[i]);
		CHECK(ml_worker_outstanding() == before);
		kept[8] = &before;		/* fail */
		EXPECT_ERROR(ML_ERR_DATA, ml_parallel_for(8, 2, keep_task, kept));
		CHECK(ml_worker_outstanding() == before);
	}
}

/* search spaces: parsing, the grid, reproducible and bounded proposals */
static void
test_search_space(void)
{
	const char *t = "{\"a\": [1, \"x\", {\"k\": 2}], \"b\": {\"log_uniform\": [0.001, 10]}, "
		"\"c\": {\"int_uniform\": [2, 5]}, \"d\": {\"uniform\": [-1, 1]}}";
	MLSpace    *sp = space_parse(t, strlen(t));
	static const char *const bad[] = {"[]", "{}", "{\"a\": []}", "{\"a\": {\"normal\": [0, 1]}}",
		"{\"a\": {\"uniform\": [2, 1]}}", "{\"a\": {\"log_uniform\": [0, 1]}}",
		"{\"a\": {\"int_uniform\": [0.5, 1]}}", "{\"a\": {\"uniform\": [0]}}", "{\"a\": 3}",
	"{\"a.\": [1]}", "{\"a..b\": [1]}"};
	double		v[4],
				w[4],
				pts[40 * 4],
				sc[40];
	int			below = 0;
	MLSpace    *g;
	const char *gt = "{\"a\": [1, 2, 3], \"b\": [true, false]}";

	CHECK(sp->n == 4 && sp->p[0].kind == ML_DIST_CHOICE && sp->p[1].kind == ML_DIST_LOG_UNIFORM);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		EXPECT_ERROR(ML_ERR_PARAM, space_parse(bad[i], strlen(bad[i])));
	EXPECT_ERROR(ML_ERR_PARAM, space_grid_size(sp));
	g = space_parse(gt, strlen(gt));
	CHECK(space_grid_size(g) == 6);
	space_grid_point(g, 3, v);
	CHECK(v[0] == 1 && v[1] == 1);
	for (int t2 = 0; t2 < 40; t2++)
	{
		space_random_point(sp, 9, t2, v);
		space_random_point(sp, 9, t2, w);
		CHECK(memcmp(v, w, sizeof(v)) == 0);
		CHECK(v[0] >= 0 && v[0] < 3 && v[0] == floor(v[0]));
		CHECK(v[1] >= 0.001 && v[1] <= 10);
		CHECK(v[2] >= 2 && v[2] <= 5 && v[2] == floor(v[2]));
		CHECK(v[3] >= -1 && v[3] <= 1);
		below += v[1] < 0.1;	/* log scale: half the draws below the geometric mean */
		memcpy(pts + t2 * 4, v, sizeof(v));
		sc[t2] = -fabs(log10(v[1]) + 1) - fabs(v[3] - 0.5);	/* best near b = 0.1, d = 0.5 */
	}
	CHECK(below >= 10 && below <= 30);
	/* TPE: reproducible, in bounds, and drawn toward the good region */
	{
		double		near = 0;

		for (int t2 = 40; t2 < 60; t2++)
		{
			space_tpe_point(sp, 9, t2, pts, sc, 40, 8, v);
			space_tpe_point(sp, 9, t2, pts, sc, 40, 8, w);
			CHECK(memcmp(v, w, sizeof(v)) == 0);
			CHECK(v[1] >= 0.001 && v[1] <= 10 && v[2] >= 2 && v[2] <= 5 && v[3] >= -1 && v[3] <= 1);
			near += fabs(log10(v[1]) + 1) < 1 && fabs(v[3] - 0.5) < 0.5;
		}
		CHECK(near >= 10);		/* a random point lands there a quarter of the time */
	}
	/* values read back from stored trials */
	{
		MLJson	   *o = json_parse("{\"k\": 2}", 8, "t");
		MLJson	   *x = json_parse("\"x\"", 3, "t");
		MLJson	   *n = json_parse("0.5", 3, "t");

		CHECK(space_value_from_json(sp, 0, o) == 2);
		CHECK(space_value_from_json(sp, 0, x) == 1);
		CHECK(isnan(space_value_from_json(sp, 0, n)));
		CHECK(space_value_from_json(sp, 3, n) == 0.5);
	}
}

/*
 * ml_fit states: a state split in parts and merged (any order) trains the
 * model the whole gives; bytes round-trip; every corruption is an error
 */
static void
test_aggstate(void)
{
	static const char *const algs[] = {"linear", "naive_bayes", "baseline", "tree"};

	for (volatile size_t a = 0; a < sizeof(algs) / sizeof(algs[0]); a++)
	{
		bool		cls = strcmp(algs[a], "naive_bayes") == 0;
		MLAggState *whole = agg_new(algs[a], "{}", cls ? ML_CLASSIFICATION : ML_REGRESSION,
									cls ? ML_LABEL_TEXT : ML_LABEL_NONE);
		MLAggState *part[3];
		MLBuffer	b1,
					b2;
		MLModel    *m1,
				   *m2;
		double		x[3],
					o1[3],
					o2[3];

		for (int q = 0; q < 3; q++)
			part[q] = agg_new(algs[a], "{}", whole->task, whole->label_type);
		for (int i = 0; i < 700; i++)
		{
			char		lab[8];

			x[0] = sin(i * 0.3);
			x[1] = cos(i * 0.7) * 3;
			x[2] = (i % 11) * 0.5;
			snprintf(lab, sizeof(lab), "c%d", (i * 7) % 3);
			agg_add(whole, x, 3, 2 * x[0] - x[1] + 0.1 * x[2] + 0.01 * (i % 5), lab);
			agg_add(part[i % 3], x, 3, 2 * x[0] - x[1] + 0.1 * x[2] + 0.01 * (i % 5), lab);
		}
		/* merge 2 into 1 through bytes, then 0 into that */
		buffer_init(&b1);
		agg_write(part[2], &b1);
		agg_merge(part[1], agg_read(b1.data, b1.len));
		agg_merge(part[1], part[0]);
		CHECK(part[1]->n == whole->n);
		buffer_init(&b2);
		agg_write(whole, &b2);
		CHECK(agg_read(b2.data, b2.len)->n == 700);
		m1 = agg_finish(whole, 1);
		m2 = agg_finish(part[1], 1);
		x[0] = 0.2;
		x[1] = -1;
		x[2] = 3;
		model_predict(m1, x, 1, o1);
		model_predict(m2, x, 1, o2);
		for (size_t j = 0; j < model_output_width(m1); j++)
			CHECK_NEAR(o1[j], o2[j], 1e-9);
		if (strcmp(algs[a], "linear") == 0)
			CHECK_NEAR(o1[0], 2 * 0.2 + 1 + 0.3 + 0.02, 0.02);
		/* every flipped byte and every truncation is caught */
		for (volatile size_t i = 0; i < b2.len; i += 7)
		{
			b2.data[i] ^= 0x10;
			EXPECT_ERROR(ML_ERR_CORRUPT, agg_read(b2.data, b2.len));
			b2.data[i] ^= 0x10;
		}
		for (volatile size_t len = 0; len < b2.len; len += 13)
			EXPECT_ERROR(ML_ERR_CORRUPT, agg_read(b2.data, len));
	}
	/* shape and data errors */
	{
		MLAggState *s = agg_new("linear", "{}", ML_REGRESSION, ML_LABEL_NONE);
		double		x[2] = {1, 2},
					bad[2] = {1, NAN};

		agg_add(s, x, 2, 1, NULL);
		EXPECT_ERROR(ML_ERR_DATA, agg_add(s, x, 1, 1, NULL));
		EXPECT_ERROR(ML_ERR_DATA, agg_add(s, bad, 2, 1, NULL));
		EXPECT_ERROR(ML_ERR_PARAM, agg_new("nope", "{}", ML_REGRESSION, ML_LABEL_NONE));
		EXPECT_ERROR(ML_ERR_PARAM, agg_new("tree", "{\"max_depth\": 0}", ML_REGRESSION, ML_LABEL_NONE));
		EXPECT_ERROR(ML_ERR_DATA, agg_finish(agg_new("tree", "{}", ML_REGRESSION, ML_LABEL_NONE), 1));
	}
}

static double
quad(const double *x, double *g, void *arg)
{
	/* f = (x0 - 3)^2 + 10 (x1 + 1)^2 + x0 x1 */
	(void) arg;
	g[0] = 2 * (x[0] - 3) + x[1];
	g[1] = 20 * (x[1] + 1) + x[0];
	return (x[0] - 3) * (x[0] - 3) + 10 * (x[1] + 1) * (x[1] + 1) + x[0] * x[1];
}

static void
test_lbfgs(void)
{
	double		x[2] = {0, 0};
	bool		conv;

	lbfgs_minimize(quad, NULL, NULL, x, 2, 100, 1e-10, &conv);
	CHECK(conv);
	/* solve 2x0 + x1 = 6, x0 + 20 x1 = -20 */
	CHECK_NEAR(x[0], (120.0 + 20) / 39.0, 1e-8);
	CHECK_NEAR(x[1], (-40.0 - 6) / 39.0, 1e-8);
}

/* random splits are append-stable: old rows keep their side */
static void
test_split_assign(void)
{
	size_t		n = 2000;
	uint64_t   *h = ml_alloc(n * sizeof(uint64_t));
	uint8_t    *a = ml_alloc(n),
			   *b = ml_alloc(n);
	double	   *y = ml_alloc(n * sizeof(double));
	double	   *t = ml_alloc(n * sizeof(double));
	size_t		moved = 0,
				nt = 0,
				newest_ok = 0;

	for (size_t i = 0; i < n; i++)
	{
		h[i] = ml_hash_string(42, (char[32]) {0}) ^ (i * 0x9E3779B97F4A7C15ull);
		h[i] = h[i] * 0xBF58476D1CE4E5B9ull + i;
		y[i] = (double) (i % 3);
		t[i] = (double) ((i * 7) % n);
	}
	split_assign(ML_SPLIT_RANDOM, 1000, h, y, 3, NULL, 0.25, a);
	split_assign(ML_SPLIT_RANDOM, n, h, y, 3, NULL, 0.25, b);
	for (size_t i = 0; i < 1000; i++)
		moved += a[i] != b[i];
	CHECK(moved == 0);
	for (size_t i = 0; i < n; i++)
		nt += b[i];
	CHECK(nt > 400 && nt < 600);
	/* time: the newest quarter is the test set */
	split_assign(ML_SPLIT_TIME, n, h, y, 3, t, 0.25, b);
	for (size_t i = 0; i < n; i++)
		newest_ok += (b[i] == ML_ASSIGN_TEST) == (t[i] >= n - 500);
	CHECK(newest_ok == n);
	/* stratified: exact per class */
	split_assign(ML_SPLIT_STRATIFIED, n, h, y, 3, NULL, 0.25, b);
	{
		size_t		per[3] = {0},
					cnt[3] = {0};

		for (size_t i = 0; i < n; i++)
		{
			cnt[(int) y[i]]++;
			per[(int) y[i]] += b[i];
		}
		for (int c = 0; c < 3; c++)
			CHECK(per[c] == (size_t) floor(cnt[c] * 0.25 + 0.5));
	}
}

/* a pipeline fitted on mixed columns survives write / read and transforms alike */
static void
test_pipeline(void)
{
	double		num[6] = {1, NAN, 3, 4, NAN, 6};
	char	   *str[6] = {"b", "a", NULL, "b", "c", "a"};
	double		y[6] = {10, 20, 30, 40, 50, 60};
	size_t		rows[6] = {0, 1, 2, 3, 4, 5};
	MLRawColumn cols[2] = {
		{"x", "x", 0, ML_COL_NUMERIC, num, NULL, ML_CT_NUMBER, "double precision"},
		{"s", "s", 0, ML_COL_CATEGORICAL, NULL, str, ML_CT_TEXT, "text"},
	};
	MLColumnOptions opts[2] = {{0}, {0}};
	MLPipelineDefaults def = {ML_ENCODE_ONEHOT, ML_SCALE_NONE, false};
	double	   *X;
	MLPipeline *p,
			   *r;
	MLBuffer	b;
	MLReader	rd;
	double		out1[8],
				out2[8];
	double		rn[2] = {NAN, 0};
	const char *rs[2] = {NULL, "zz"};
	size_t		rl[2] = {0, 2};

	opts[0].impute = ML_IMPUTE_INDICATOR;
	opts[0].scale = ML_SCALE_STANDARD;
	p = pipeline_fit(cols, 2, opts, &def, rows, 6, y, 0, 42, &X);
	CHECK(p->n_out == 2 + 3 + 2);
	CHECK(p->cols[0].imputed == 2 && p->cols[1].imputed == 1);
	CHECK_NEAR(p->cols[0].fill, 3.5, 1e-12);
	/* standardized x has mean 0 over the training rows */
	{
		double		m = 0;

		for (int i = 0; i < 6; i++)
			m += X[i];
		CHECK_NEAR(m, 0, 1e-12);
	}
	CHECK(X[1 * 6 + 1] == 1 && X[1 * 6 + 0] == 0);	/* was-missing */
	CHECK(X[(2 + 1) * 6 + 0] == 1);		/* "b" one-hot */
	CHECK(X[(2 + 4) * 6 + 2] == 1);		/* NULL -> __missing__ */
	buffer_init(&b);
	pipeline_write(p, &b);
	reader_init(&rd, b.data, b.len);
	r = pipeline_read(&rd);
	reader_expect_end(&rd);
	CHECK(r->n_out == p->n_out && strcmp(r->out_names[3], "s=b") == 0);
	pipeline_transform_row(p, rn, rs, rl, out1);
	pipeline_transform_row(r, rn, rs, rl, out2);
	CHECK(memcmp(out1, out2, sizeof(double) * 7) == 0);
	CHECK(out1[5] == 1);		/* unseen "zz" -> __other__ */

	/* target encoding: no training row sees its own target */
	opts[1].encode = ML_ENCODE_TARGET;
	opts[0].impute = ML_IMPUTE_MEAN;
	p = pipeline_fit(cols, 2, opts, &def, rows, 6, y, 0, 42, &X);
	CHECK(p->n_out == 2);
	{
		double		full = (y[0] + y[3] + 35) / 3.0;	/* "b": (10 + 40 + prior 35) / 3 */

		CHECK_NEAR(p->cols[1].te_values[1], full, 1e-12);
	}
}

static int
cmp_double_unit(const void *a, const void *b)
{
	double		x = *(const double *) a,
				y = *(const double *) b;

	return (x > y) - (x < y);
}

/* radix sort equals qsort; string counts are exact */
static void
test_sortcount(void)
{
	size_t		n = 5000,
				k,
				total = 0;
	double	   *a = ml_alloc(n * sizeof(double)),
			   *b = ml_alloc(n * sizeof(double));
	char	   *words[6] = {"x", "yy", NULL, "x", "zzz", "yy"};
	MLStrCount *sc;

	for (size_t i = 0; i < n; i++)
		a[i] = b[i] = sin(i * 0.37) * pow(10, (double) (i % 41) - 20) * ((i % 3) ? 1 : -1);
	a[7] = b[7] = -0.0;
	for (int pass = 0; pass < 3; pass++)
	{
		int			bad = 0;

		/* pass 2: values spread evenly (small buckets), duplicates and -0 */
		if (pass == 2)
		{
			for (size_t i = 0; i < n; i++)
				a[i] = b[i] = (double) ((i * 7919) % 3001) / 3000.0 - 0.5 + sin((double) i) * 1e-7;
			a[20] = b[20] = -0.0;
			a[21] = b[21] = 0.0;
			a[22] = b[22] = a[23];
		}

		/* pass 1: every value an exact float (the 32-bit key path), infinities too */
		if (pass == 1)
		{
			for (size_t i = 0; i < n; i++)
				a[i] = b[i] = (double) (float) (sin(i * 0.61) * pow(10, (double) (i % 17) - 8) * ((i % 3) ? 1 : -1));
			a[11] = b[11] = -INFINITY;
			a[12] = b[12] = INFINITY;
			a[13] = b[13] = -0.0;
		}
		ml_sort_doubles(a, n);
		qsort(b, n, sizeof(double), cmp_double_unit);
		for (size_t i = 0; i < n; i++)
			bad += a[i] != b[i] || (i > 0 && !(a[i - 1] <= a[i]));
		CHECK(bad == 0);
	}
	/* pairs: stable by key, so (key, input position) order; few distinct keys */
	{
		MLKeyVal   *kv = ml_alloc(n * sizeof(MLKeyVal));
		int			bad = 0;

		for (size_t i = 0; i < n; i++)
		{
			kv[i].key = (i * 2654435761u) % 97 * 0x0101010101010101ull + (i % 5 == 0 ? 1ull << 62 : 0);
			kv[i].val = i;
		}
		ml_sort_keyval(kv, n);
		for (size_t i = 1; i < n; i++)
			bad += kv[i - 1].key > kv[i].key ||
				(kv[i - 1].key == kv[i].key && kv[i - 1].val >= kv[i].val);
		CHECK(bad == 0);
		ml_free(kv);
	}
	/* roc_auc with ties and NaN scores against the pairwise definition */
	{
		size_t		m = 300;
		double	   *pos = ml_alloc(m * sizeof(double)),
				   *sc2 = ml_alloc(m * sizeof(double)),
					wins = 0,
					pairs = 0;

		for (size_t i = 0; i < m; i++)
		{
			pos[i] = (i * 7) % 3 == 0;
			sc2[i] = i % 23 == 0 ? NAN : (double) ((i * 13) % 10) / 10 - 0.3;
		}
		sc2[5] = -0.0;
		sc2[6] = 0.0;
		for (size_t i = 0; i < m; i++)
			for (size_t j = 0; j < m; j++)
				if (pos[i] == 1 && pos[j] == 0)
				{
					/* NaN scores rank lowest and tie with nothing, in input order */
					double		a1 = isnan(sc2[i]) ? -1 - (double) (m - i) : sc2[i],
								a2 = isnan(sc2[j]) ? -1 - (double) (m - j) : sc2[j];

					wins += a1 > a2 ? 1 : a1 == a2 ? 0.5 : 0;
					pairs++;
				}
		CHECK_NEAR(metrics_roc_auc_binary(pos, sc2, m), wins / pairs, 1e-12);
		ml_free(pos);
		ml_free(sc2);
	}
	sc = ml_count_strings(words, NULL, 6, &k);
	CHECK(k == 3);
	for (size_t i = 0; i < k; i++)
	{
		total += sc[i].count;
		if (strcmp(sc[i].s, "yy") == 0)
			CHECK(sc[i].count == 2);
	}
	CHECK(total == 5);
}

/* a forest does not depend on the number of threads that grew it */
static void
test_forest_threads(void)
{
	MLDataset  *d = toy_classes(600, 3);
	MLBuffer	b[3];
	const MLLearner *l = learner_find("forest");
	MLParamValue v = {.name = "n_estimators", .kind = ML_VALUE_NUMBER, .num = 24};

	for (int t = 0; t < 3; t++)
	{
		MLFitContext ctx = {0};
		void	   *st;

		ctx.seed = 7;
		ctx.threads = t == 0 ? 1 : 4;
		st = l->fit(d, NULL, params_resolve("forest", l->params, &v, 1), &ctx);
		buffer_init(&b[t]);
		l->write(st, &b[t]);
	}
	CHECK(b[0].len == b[1].len && memcmp(b[0].data, b[1].data, b[0].len) == 0);
	CHECK(b[1].len == b[2].len && memcmp(b[1].data, b[2].data, b[1].len) == 0);
}

extern double gbdt_known_expectation(const void *state, const double *x, uint64_t known, int c);

/*
 * TreeSHAP against brute-force Shapley values: for small trees, every subset
 * S of the other features weighs |S|! (M - |S| - 1)! / M! times the change
 * of the path-dependent expectation when feature i becomes known.  Also
 * local accuracy (contributions plus bias equal the raw output), with NaN
 * features and a feature used twice on a path.
 */
static void
test_gbdt_shap(void)
{
	const MLLearner *l = learner_find("gbdt");
	size_t		n = 400,
				p = 4;
	MLDataset  *d = dataset_create(n, p, 0);
	MLParamValue v[3] = {{.name = "n_trees", .kind = ML_VALUE_NUMBER, .num = 6}, {.name = "max_depth", .kind = ML_VALUE_NUMBER, .num = 4},
	{.name = "learning_rate", .kind = ML_VALUE_NUMBER, .num = 0.5}};
	MLFitContext ctx = {0};
	void	   *st;
	double		fact[5] = {1, 1, 2, 6, 24};

	for (size_t i = 0; i < n; i++)
	{
		double		a = (double) ((i * 7919) % 101) / 101,
					b = (double) ((i * 104729) % 97) / 97,
					c = (double) ((i * 1299709) % 89) / 89,
					e = (double) ((i * 15485863) % 83) / 83;

		d->X[0 * n + i] = i % 9 == 0 ? NAN : a;
		d->X[1 * n + i] = b;
		d->X[2 * n + i] = c;
		d->X[3 * n + i] = e;
		d->y[i] = 3 * a * b + (c > 0.5 ? 2 : 0) - e + (i % 9 == 0 ? 1.5 : 0);
	}
	ctx.seed = 3;
	ctx.threads = 1;
	st = l->fit(d, NULL, params_resolve("gbdt", l->params, v, 3), &ctx);
	for (size_t r = 0; r < 40; r++)
	{
		double		x[4],
					phi[5],
					raw,
					sum = 0;

		for (size_t j = 0; j < p; j++)
			x[j] = d->X[j * n + r * 7];
		CHECK(l->explain(st, x, NULL, phi) == -1);
		l->predict(st, x, 1, &raw);
		for (size_t j = 0; j <= p; j++)
			sum += phi[j];
		CHECK_NEAR(sum, raw, 1e-9);
		CHECK_NEAR(phi[p], gbdt_known_expectation(st, x, 0, 0), 1e-9);
		for (size_t i = 0; i < p; i++)
		{
			double		bf = 0;

			for (uint64_t S = 0; S < 16; S++)
			{
				int			size = __builtin_popcountll(S);

				if (S & (1u << i))
					continue;
				bf += fact[size] * fact[p - size - 1] / fact[p] *
					(gbdt_known_expectation(st, x, S | (1u << i), 0) - gbdt_known_expectation(st, x, S, 0));
			}
			CHECK_NEAR(phi[i], bf, 1e-9);
		}
	}
}

/*
 * The training rows' predictions gbdt hands back (ctx.want_train_pred) are
 * what its predict returns for the training matrix, bit for bit: regression,
 * binary and three classes, NaN features, a row subsample; none when early
 * stopping holds rows out.
 */
static void
test_gbdt_train_pred(void)
{
	const MLLearner *l = learner_find("gbdt");
	size_t		n = 3000,
				p = 5;

	for (int t = 0; t < 4; t++)
	{
		int			k = t == 3 ? 2 : t;	/* classes: 0 (regression), 1 -> 2, 2 -> 3 */
		MLDataset  *d;
		MLParamValue v[4] = {{.name = "n_trees", .kind = ML_VALUE_NUMBER, .num = 12},
		{.name = "max_depth", .kind = ML_VALUE_NUMBER, .num = 5},
		{.name = "subsample", .kind = ML_VALUE_NUMBER, .num = t == 2 ? 0.7 : 1.0},
		{.name = "early_stopping_rounds", .kind = ML_VALUE_NUMBER, .num = t == 3 ? 3 : 0}};
		MLFitContext ctx = {0};
		void	   *st;
		int			nk = k == 0 ? 0 : k + 1;
		size_t		width = nk == 0 ? 1 : (size_t) nk;
		double	   *X,
				   *out;

		d = dataset_create(n, p, nk);
		for (size_t i = 0; i < n; i++)
		{
			for (size_t j = 0; j < p; j++)
				d->X[j * n + i] = (i * (j + 3)) % 17 == 0 ? NAN : (double) ((i * (2 * j + 7919)) % 1013) / 1013;
			{
				double		a = isnan(d->X[i]) ? 0.5 : d->X[i],
							b = isnan(d->X[n + i]) ? 1.0 : d->X[n + i];

				d->y[i] = nk == 0 ? 3 * a + b : (double) ((int) (a * 5 + b * 3 + (double) (i % 3)) % nk);
			}
		}
		ctx.seed = 11;
		ctx.threads = 1;
		ctx.want_train_pred = true;
		st = l->fit(d, NULL, params_resolve("gbdt", l->params, v, 4), &ctx);
		if (t == 3)
		{
			CHECK(ctx.train_pred == NULL);	/* early stopping held rows out */
			continue;
		}
		CHECK(ctx.train_pred != NULL);
		if (ctx.train_pred == NULL)
			continue;
		X = ml_alloc(sizeof(double) * n * p);
		out = ml_alloc(sizeof(double) * n * width);
		for (size_t i = 0; i < n; i++)
			for (size_t j = 0; j < p; j++)
				X[i * p + j] = d->X[j * n + i];
		l->predict(st, X, n, out);
		CHECK(memcmp(out, ctx.train_pred, sizeof(double) * n * width) == 0);
		ml_free(X);
		ml_free(out);
		ml_free(ctx.train_pred);
	}
}

/* path-dependent expectation of a CART tree's output c with features `known` */
static double
tree_known(const Tree *t, int j, const double *x, uint64_t known, int c)
{
	if (t->feature[j] < 0)
		return t->value[(size_t) j * t->kc + c];
	if (known & ((uint64_t) 1 << t->feature[j]))
		return tree_known(t, (double) (float) x[t->feature[j]] <= t->threshold[j] ? t->left[j] : t->right[j],
						  x, known, c);
	return (t->cover[t->left[j]] * tree_known(t, t->left[j], x, known, c) +
			t->cover[t->right[j]] * tree_known(t, t->right[j], x, known, c)) /
		(t->cover[t->left[j]] + t->cover[t->right[j]]);
}

/* TreeSHAP of a CART tree (3 classes) against brute-force Shapley values */
static void
test_tree_shap(void)
{
	const MLLearner *l = learner_find("tree");
	MLDataset  *d = toy_classes(300, 3);
	MLParamValue v = {.name = "max_depth", .kind = ML_VALUE_NUMBER, .num = 5};
	MLFitContext ctx = {0};
	Tree	   *t;
	size_t		p = d->n_cols;
	double		fact[8] = {1, 1, 2, 6, 24, 120, 720, 5040};

	ctx.seed = 5;
	ctx.threads = 1;
	t = l->fit(d, NULL, params_resolve("tree", l->params, &v, 1), &ctx);
	CHECK(p <= 6);
	for (size_t r = 0; r < 30; r++)
	{
		double		x[8],
					phi[9],
					out[3],
					sum = 0;
		int			c;

		for (size_t j = 0; j < p; j++)
			x[j] = d->X[j * d->n_rows + r * 9];
		c = l->explain(t, x, NULL, phi);
		tree_predict(t, x, 1, out);
		for (size_t j = 0; j <= p; j++)
			sum += phi[j];
		CHECK(c >= 0 && c < 3);
		CHECK_NEAR(sum, out[c], 1e-9);
		for (size_t i = 0; i < p; i++)
		{
			double		bf = 0;

			for (uint64_t S = 0; S < ((uint64_t) 1 << p); S++)
			{
				int			size = __builtin_popcountll(S);

				if (S & ((uint64_t) 1 << i))
					continue;
				bf += fact[size] * fact[p - size - 1] / fact[p] *
					(tree_known(t, 0, x, S | ((uint64_t) 1 << i), c) - tree_known(t, 0, x, S, c));
			}
			CHECK_NEAR(phi[i], bf, 1e-9);
		}
	}
}

/* test_engine.c */
extern void test_sketch_exact(void);
extern void test_sketch_approx(void);
extern void test_sketch_merge(void);
extern void test_sketch_categories(void);
extern void test_engine_merge(void);

/* test_halving.c */
extern void test_halving_schedule(void);
extern void test_halving_ranking(void);

static const struct
{
	const char *name;
	unit_fn		fn;
}			tests[] = {
	{"sketch_exact", test_sketch_exact},
	{"sketch_approx", test_sketch_approx},
	{"sketch_merge", test_sketch_merge},
	{"sketch_categories", test_sketch_categories},
	{"engine_merge", test_engine_merge},
	{"halving_schedule", test_halving_schedule},
	{"halving_ranking", test_halving_ranking},
	{"gbdt_shap", test_gbdt_shap},
	{"gbdt_train_pred", test_gbdt_train_pred},
	{"learner_roundtrip", test_learner_roundtrip},
	{"registry", test_registry},
	{"gbdt_row_paths", test_gbdt_row_paths},
	{"tree_shap", test_tree_shap},
	{"forest_threads", test_forest_threads},
	{"sortcount", test_sortcount},
	{"split_assign", test_split_assign},
	{"pipeline", test_pipeline},
	{"crc32c", test_crc32c},
	{"buffer_roundtrip", test_buffer_roundtrip},
	{"params", test_params},
	{"json", test_json},
	{"aggstate", test_aggstate},
	{"search_space", test_search_space},
	{"ensembles", test_ensembles},
	{"worker_errors", test_worker_errors},
	{"split", test_split},
	{"metrics_hand", test_metrics_hand},
	{"metrics_sklearn", test_metrics_sklearn},
	{"linear_exact", test_linear_exact},
	{"logistic", test_logistic},
	{"model_bytes", test_model_bytes},
	{"lbfgs", test_lbfgs},
};

int
main(void)
{
	int			passed = 0,
				failed = 0;

	linalg_set_threads(1);
	printf("1..%zu\n", sizeof(tests) / sizeof(tests[0]));
	for (size_t i = 0; i < sizeof(tests) / sizeof(tests[0]); i++)
	{
		unit_failures = 0;
		tests[i].fn();
		if (unit_failures == 0)
		{
			printf("ok - unit/%s\n", tests[i].name);
			passed++;
		}
		else
		{
			printf("not ok - unit/%s\n", tests[i].name);
			failed++;
		}
	}
	printf("unit: %d passed, %d failed\n", passed, failed);
	return failed ? 1 : 0;
}
