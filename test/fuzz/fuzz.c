/*
 * fuzz.c
 *	  libFuzzer targets for the bytes and text mlsql reads without trusting
 *	  them, built from src/core, src/algo and src/ensemble without a server
 *	  (make fuzz; make fuzz-run FUZZ_SECONDS=60):
 *
 *	model		model_read, the checksum fixed up first so the mutations
 *				reach the parser, then write / read / predict the result
 *	aggstate	agg_read (ml_fit states), checksum fixed up, then
 *				write / merge / finish
 *	params		json_parse + params_from_json against every learner's spec
 *	space		space_parse, then grid / random / TPE proposals
 *
 * FUZZ_TARGET selects the target at compile time.  The shim records every
 * allocation and frees them after each input, so an input that errors out
 * leaks nothing; ml_error longjmps back to the target.  With the
 * environment variable MLSQL_FUZZ_SEEDS=dir the binary writes a seed corpus
 * of valid inputs there and exits.
 */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "algo/gbdt.h"
#include "algo/rule.h"
#include "core/aggstate.h"
#include "core/buffer.h"
#include "core/engine.h"
#include "core/json.h"
#include "core/model.h"
#include "core/parallel.h"
#include "core/params.h"
#include "core/search.h"

/* ---- shim ---- */

typedef struct Alloc
{
	struct Alloc *next;
	struct Alloc *prev;
	size_t		size;
	size_t		pad;
} Alloc;

static Alloc *allocs;
static jmp_buf *catcher;

static void
link_in(Alloc *a)
{
	a->prev = NULL;
	a->next = allocs;
	if (allocs)
		allocs->prev = a;
	allocs = a;
}

static void
unlink_out(Alloc *a)
{
	if (a->prev)
		a->prev->next = a->next;
	else
		allocs = a->next;
	if (a->next)
		a->next->prev = a->prev;
}

void *
ml_alloc(size_t size)
{
	Alloc	   *a;

	if (ml_in_worker())
		return ml_worker_alloc(size);
	if (size > (size_t) 1 << 32)
		ml_error(ML_ERR_LIMIT, NULL, "fuzz: allocation of %zu bytes refused", size);
	a = calloc(1, sizeof(Alloc) + size);
	if (a == NULL)
		abort();
	a->size = size;
	link_in(a);
	return a + 1;
}

void *
ml_realloc(void *ptr, size_t size)
{
	Alloc	   *a;

	if (ml_in_worker())
		return ml_worker_realloc(ptr, size);
	if (ptr == NULL)
		return ml_alloc(size);
	if (size > (size_t) 1 << 32)
		ml_error(ML_ERR_LIMIT, NULL, "fuzz: allocation of %zu bytes refused", size);
	a = (Alloc *) ptr - 1;
	unlink_out(a);
	a = realloc(a, sizeof(Alloc) + size);
	if (a == NULL)
		abort();
	a->size = size;
	link_in(a);
	return a + 1;
}

void
ml_free(void *ptr)
{
	Alloc	   *a;

	if (ml_in_worker())
	{
		ml_worker_free(ptr);
		return;
	}
	if (ptr == NULL)
		return;
	a = (Alloc *) ptr - 1;
	unlink_out(a);
	free(a);
}

static void
free_all(void)
{
	while (allocs)
	{
		Alloc	   *a = allocs;

		allocs = a->next;
		free(a);
	}
}

void
ml_error(MLErrorCode code, const char *hint, const char *fmt,...)
{
	char		msg[1024];
	va_list		ap;

	(void) hint;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (ml_in_worker())
		ml_worker_error(code, msg);
	if (code == ML_ERR_INTERNAL)
	{
		fprintf(stderr, "internal error: %s\n", msg);
		abort();				/* a can't-happen error is a finding */
	}
	if (catcher == NULL)
		abort();
	longjmp(*catcher, 1);
}

void
ml_check_interrupts(void)
{
}

/* ---- targets ---- */

static void
fix_crc(uint8_t *d, size_t n)
{
	uint32_t	c;

	if (n < 8)
		return;
	c = crc32c(0, d, n - 4);
	d[n - 4] = (uint8_t) c;
	d[n - 3] = (uint8_t) (c >> 8);
	d[n - 2] = (uint8_t) (c >> 16);
	d[n - 1] = (uint8_t) (c >> 24);
}

static void
run_target(const uint8_t *data, size_t size)
{
#if FUZZ_TARGET == 1
	uint8_t    *d = ml_alloc(size ? size : 1);
	MLModel    *m;
	MLBuffer	b;
	double		x[64] = {0},
				out[1024];

	memcpy(d, data, size);
	fix_crc(d, size);
	m = model_read(d, size);
	buffer_init(&b);
	model_write(m, &b);
	(void) model_read(b.data, b.len);
	if (m->n_features <= 64 && model_output_width(m) <= 1024)
		model_predict(m, x, 1, out);
#elif FUZZ_TARGET == 2
	uint8_t    *d = ml_alloc(size ? size : 1);
	MLAggState *s;
	MLBuffer	b;

	memcpy(d, data, size);
	fix_crc(d, size);
	s = agg_read(d, size);
	buffer_init(&b);
	agg_write(s, &b);
	agg_merge(s, agg_read(b.data, b.len));
	if (s->n < 5000 && (uint64_t) s->p * s->n < 100000)
		(void) agg_finish(s, 1);
#elif FUZZ_TARGET == 3
	MLJson	   *j = json_parse((const char *) data, size, "fuzz");

	/* every learner's parameter spec, from the registry */
	if (j->type == ML_JSON_OBJECT)
		for (int i = 0; i < learner_count(); i++)
		{
			jmp_buf		jb,
					   *outer = catcher;

			catcher = &jb;
			if (setjmp(jb) == 0)
			{
				MLBuffer	b;

				buffer_init(&b);
				params_to_json(params_from_json(learner_at(i)->name, learner_at(i)->params, j, NULL), &b);
			}
			catcher = outer;
		}
#elif FUZZ_TARGET == 4
	MLSpace    *s = space_parse((const char *) data, size);
	double		v[64],
				pts[10 * 64],
				sc[10];
	MLBuffer	b;

	if (s->n > 64)
		return;
	for (int t = 0; t < 10; t++)
	{
		space_random_point(s, 7, t, pts + t * 64);
		sc[t] = t % 3 ? t : NAN;
	}
	space_tpe_point(s, 7, 10, pts, sc, 10, 2, v);
	buffer_init(&b);
	space_point_json(s, v, &b);
	(void) json_parse((const char *) b.data, b.len, "point");
	{
		MLJson	   *one = json_parse("1", 1, "one");

		for (int j = 0; j < s->n; j++)
			(void) space_value_from_json(s, j, s->p[j].kind == ML_DIST_CHOICE ? s->p[j].choices[0] : one);
	}
	{
		jmp_buf		jb,
				   *outer = catcher;

		catcher = &jb;
		if (setjmp(jb) == 0 && space_grid_size(s) > 0)
			space_grid_point(s, space_grid_size(s) - 1, v);
		catcher = outer;
	}
#elif FUZZ_TARGET == 5
	MLModel    *m = gbdt_import_xgboost((const char *) data, size, NULL, 0);
	MLBuffer	b;
	double		x[64],
				out[1024];

	buffer_init(&b);
	model_write(m, &b);
	m = model_read(b.data, b.len);
	for (int j = 0; j < 64; j++)
		x[j] = j % 5 == 0 ? NAN : j * 0.37 - 3;
	if (m->n_features <= 64 && model_output_width(m) <= 1024)
		model_predict(m, x, 1, out);
#elif FUZZ_TARGET == 6
	uint8_t    *d = ml_alloc(size ? size : 1);
	MLEngineConfig *c;
	MLEngineState *st;
	MLBuffer	b;

	memcpy(d, data, size);
	fix_crc(d, size);
	c = engine_config_read(d, size);
	if (c->n_num <= 64 && c->n_cat <= 64 && c->p <= 256 && (size_t) c->k * c->p <= 4096 &&
		c->n_classes <= 64)
	{
		double		num[64];
		const char *cat[64];
		size_t		len[64];

		st = engine_state_new(c);
		for (int r = 0; r < 20; r++)
		{
			for (int j = 0; j < c->n_num; j++)
				num[j] = (r + j) % 7 == 0 ? NAN : r * 0.5 - j;
			for (int j = 0; j < c->n_cat; j++)
			{
				cat[j] = (r + j) % 5 == 0 ? NULL : (r % 3 ? "a" : "b");
				len[j] = cat[j] ? 1 : 0;
			}
			engine_add(st, num, cat, len, c->n_classes > 0 ? c->class_values[r % c->n_classes] : r,
					   c->n_classes > 0 ? c->class_labels[r % c->n_classes] : "x");
		}
		buffer_init(&b);
		engine_state_write(st, &b);
		engine_merge(st, engine_state_read(c, b.data, b.len));
	}
#endif
}

int			LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	jmp_buf		jb;

	catcher = &jb;
	if (setjmp(jb) == 0)
		run_target(data, size);
	catcher = NULL;
	free_all();
	return 0;
}

/* ---- seeds ---- */

static void
write_seed(const char *dir, const char *name, const void *d, size_t n)
{
	char		path[1024];
	FILE	   *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "wb");
	if (f)
	{
		fwrite(d, 1, n, f);
		fclose(f);
	}
}

static void
write_seeds(const char *dir)
{
#if FUZZ_TARGET == 1 || FUZZ_TARGET == 2
	/* a model or ml_fit state of every learner of the registry that trains without params */
	for (int a = 0; a < learner_count(); a++)
	{
		jmp_buf		jb;
		char		name[64];
		const MLLearner *l = learner_at(a);

		catcher = &jb;
		if (setjmp(jb) == 0)
		{
			bool		cls = !(l->tasks & ML_TASK_BIT(ML_REGRESSION)) &&
				(l->tasks & ML_TASK_BIT(ML_CLASSIFICATION));
			MLAggState *s = agg_new(l->name, "{}", cls ? ML_CLASSIFICATION : ML_REGRESSION,
									cls ? ML_LABEL_TEXT : ML_LABEL_NONE);
			MLBuffer	b;

			for (int i = 0; i < 40; i++)
			{
				double		x[3] = {sin(i), cos(i * 0.3), i % 4};

				agg_add(s, x, 3, x[0] + x[1], i % 2 ? "a" : "b");
			}
			buffer_init(&b);
#if FUZZ_TARGET == 1
			model_write(agg_finish(s, 1), &b);
#else
			agg_write(s, &b);
#endif
			snprintf(name, sizeof(name), "seed_%s", l->name);
			write_seed(dir, name, b.data, b.len);
		}
		catcher = NULL;
	}
#if FUZZ_TARGET == 1
	/* a rule (ml_rule's compiled tree): CASE WHEN x1 > 0.5 OR x2 IS NULL THEN 0 ELSE 1 END */
	{
		jmp_buf		jb;

		catcher = &jb;
		if (setjmp(jb) == 0)
		{
			RuleNode	nodes[9] = {
				{.op = RULE_COL, .col = 0}, {.op = RULE_CONST, .value = 0.5},
				{.op = RULE_GT, .first = 0, .n_args = 2}, {.op = RULE_COL, .col = 1},
				{.op = RULE_ISNULL, .first = 2, .n_args = 1}, {.op = RULE_OR, .first = 3, .n_args = 2},
				{.op = RULE_CONST, .value = 0}, {.op = RULE_CONST, .value = 1},
				{.op = RULE_CASE, .first = 5, .n_args = 3},
			};
			uint32_t	args[8] = {0, 1, 3, 2, 4, 5, 6, 7};
			MLAggState *s = agg_new("baseline", "{}", ML_CLASSIFICATION, ML_LABEL_TEXT);
			MLModel    *m;
			MLBuffer	b;

			for (int i = 0; i < 40; i++)
			{
				double		x[3] = {sin(i), cos(i * 0.3), i % 4};

				agg_add(s, x, 3, 0, i % 2 ? "a" : "b");
			}
			m = agg_finish(s, 1);
			m->learner = learner_rule();
			m->state = rule_state_new("seed", "CASE WHEN x1 > 0.5 OR x2 IS NULL THEN 0 ELSE 1 END",
									  nodes, 9, args, 8, m->n_features, m->n_classes);
			buffer_init(&b);
			model_write(m, &b);
			write_seed(dir, "seed_rule", b.data, b.len);
		}
		catcher = NULL;
	}
#endif
#elif FUZZ_TARGET == 6
	MLColKind	kinds[3] = {ML_COL_NUMERIC, ML_COL_CATEGORICAL, ML_COL_NUMERIC};
	char	   *names[3] = {"a", "b", "c"};
	char	   *labels[2] = {"0", "1"};
	double		values[2] = {0, 1};
	double		mean[2] = {0, 0},
				scale[2] = {1, 1},
				theta[3] = {0, 0, 0};
	char	   *pn[2] = {"a", "c"};

	for (int pass = ML_PASS_STATS; pass <= ML_PASS_NEWTON; pass++)
	{
		MLEngineConfig cfg = {0};
		MLBuffer	b;
		char		name[64];
		jmp_buf		jb;

		catcher = &jb;
		if (setjmp(jb) != 0)
			continue;
		cfg.pass = (MLEnginePass) pass;
		cfg.seed = 42;
		cfg.test_size = 0.25;
		cfg.n_cols = pass == ML_PASS_STATS ? 3 : 2;
		cfg.kinds = pass == ML_PASS_STATS ? kinds : (MLColKind[]) {ML_COL_NUMERIC, ML_COL_NUMERIC};
		cfg.names = pass == ML_PASS_STATS ? names : pn;
		cfg.target = 1;
		cfg.task = pass == ML_PASS_NEWTON ? ML_CLASSIFICATION : ML_REGRESSION;
		if (pass == ML_PASS_NEWTON)
		{
			cfg.n_classes = 2;
			cfg.class_labels = labels;
			cfg.class_values = values;
			cfg.label_type = ML_LABEL_NUMERIC;
			cfg.K = 1;
			cfg.theta = theta;
		}
		if (pass != ML_PASS_STATS)
		{
			cfg.pipeline = pipeline_identity(pn, 2);
			cfg.p = 2;
			cfg.mean = mean;
			cfg.scale = scale;
			cfg.algorithm = "linear";
			cfg.params = "{}";
		}
		buffer_init(&b);
		engine_config_write(&cfg, &b);
		snprintf(name, sizeof(name), "pass%d", pass);
		write_seed(dir, name, b.data, b.len);
	}
	catcher = NULL;
#elif FUZZ_TARGET == 3
	static const char *const seeds[] = {"{\"alpha\": 0.5}", "{\"max_depth\": 3, \"criterion\": \"gini\"}",
		"{\"class_weight\": {\"a\": 2}}", "{\"estimators\": [{\"algorithm\": \"tree\"}], \"voting\": \"soft\"}",
	"{\"base\": {\"algorithm\": \"knn\", \"k\": 3}, \"n_estimators\": 2}"};

	for (size_t i = 0; i < sizeof(seeds) / sizeof(seeds[0]); i++)
	{
		char		name[32];

		snprintf(name, sizeof(name), "seed_%zu", i);
		write_seed(dir, name, seeds[i], strlen(seeds[i]));
	}
#elif FUZZ_TARGET == 5
	static const char *const seeds[] = {
		"{\"learner\": {\"learner_model_param\": {\"base_score\": \"5E-1\", \"num_class\": \"0\", \"num_feature\": \"2\"}, "
		"\"objective\": {\"name\": \"binary:logistic\"}, \"gradient_booster\": {\"name\": \"gbtree\", \"model\": "
		"{\"tree_info\": [0], \"trees\": [{\"left_children\": [1, -1, -1], \"right_children\": [2, -1, -1], "
		"\"split_indices\": [1, 0, 0], \"split_conditions\": [0.5, 1, -1], \"default_left\": [1, 0, 0], "
		"\"sum_hessian\": [4, 2, 2], \"loss_changes\": [3, 0, 0]}]}}}}",
		"{\"learner\": {\"learner_model_param\": {\"base_score\": \"5E-1\", \"num_class\": \"2\", \"num_feature\": \"1\"}, "
		"\"objective\": {\"name\": \"multi:softprob\"}, \"gradient_booster\": {\"name\": \"gbtree\", \"model\": "
		"{\"tree_info\": [0, 1], \"trees\": [{\"left_children\": [-1], \"right_children\": [-1], "
		"\"split_indices\": [0], \"split_conditions\": [0.25], \"default_left\": [0]}, "
		"{\"left_children\": [2, -1, -1], \"right_children\": [1, -1, -1], \"split_indices\": [0, 0, 0], "
		"\"split_conditions\": [3e38, -1, 1], \"default_left\": [0, 0, 0]}]}}}}"};

	for (size_t i = 0; i < sizeof(seeds) / sizeof(seeds[0]); i++)
	{
		char		name[32];

		snprintf(name, sizeof(name), "seed_%zu", i);
		write_seed(dir, name, seeds[i], strlen(seeds[i]));
	}
#else
	static const char *const seeds[] = {"{\"a\": [1, 2, \"x\"], \"b\": {\"uniform\": [0, 1]}}",
		"{\"lr\": {\"log_uniform\": [0.001, 1]}, \"d\": {\"int_uniform\": [1, 9]}}",
	"{\"estimators.1.k\": [1, {\"x\": null}, true]}"};

	for (size_t i = 0; i < sizeof(seeds) / sizeof(seeds[0]); i++)
	{
		char		name[32];

		snprintf(name, sizeof(name), "seed_%zu", i);
		write_seed(dir, name, seeds[i], strlen(seeds[i]));
	}
#endif
	free_all();
}

int			LLVMFuzzerInitialize(int *argc, char ***argv);

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	const char *dir = getenv("MLSQL_FUZZ_SEEDS");

	(void) argc;
	(void) argv;
	if (dir)
	{
		write_seeds(dir);
		exit(0);
	}
	return 0;
}
