/*
 * test_rule.c
 *	  Unit tests of src/algo/rule.c: a compiled rule evaluates with SQL's
 *	  NULL semantics, survives its bytes, and every corruption, truncation
 *	  or inconsistent tree is an error, never a crash.
 */
#include <string.h>

#include "unit.h"
#include "tests.h"
#include "algo/rule.h"
#include "core/buffer.h"
#include "core/model.h"

/* a pipeline of a numeric column (NULL kept as NaN) and a text column coded by {"a", "b"} */
static MLPipeline *
rule_test_pipeline(void)
{
	MLPipeline *p = ml_alloc(sizeof(MLPipeline));
	static char *cats[2] = {"a", "b"};
	static size_t lens[2] = {1, 1};
	static char *names[2] = {"area", "kind"};

	p->n_cols = 2;
	p->cols = ml_alloc(sizeof(MLPipeCol) * 2);
	for (int c = 0; c < 2; c++)
	{
		MLPipeCol  *pc = &p->cols[c];

		pc->name = pc->source = names[c];
		pc->type_name = "";
		pc->factor = 1;
		pc->scale = ML_SCALE_NONE;
		pc->out_start = c;
		pc->out_width = 1;
	}
	p->cols[0].kind = ML_COL_NUMERIC;
	p->cols[0].impute = ML_IMPUTE_KEEP;
	p->cols[1].kind = ML_COL_CATEGORICAL;
	p->cols[1].impute = ML_IMPUTE_MISSING;
	p->cols[1].encode = ML_ENCODE_ORDINAL;
	p->cols[1].n_categories = 2;
	p->cols[1].categories = cats;
	p->cols[1].cat_len = lens;
	p->cols[1].fill_category = -2;
	p->n_out = 2;
	p->out_names = names;
	return p;
}

/* one row through the model's pipeline: area (NaN: NULL), kind (NULL: NULL) */
static void
rule_score(const MLModel *m, double area, const char *kind, double *out)
{
	double		num[2] = {area, 0},
				x[2];
	const char *str[2] = {NULL, kind};
	size_t		len[2] = {0, kind ? strlen(kind) : 0};

	pipeline_transform_row(m->pipeline, num, str, len, x);
	model_predict(m, x, 1, out);
}

/*
 * CASE WHEN area > 800 OR kind = 'b' THEN 0 ELSE 1 END as a classifier of
 * labels {0, 1}: NULLs follow SQL (NULL OR true is true, a NULL condition
 * falls to ELSE), bytes round-trip, corruption is caught
 */
void
test_rule(void)
{
	RuleNode	nodes[8] = {
		{.op = RULE_COL, .col = 0},
		{.op = RULE_CONST, .value = 800},
		{.op = RULE_GT, .first = 0, .n_args = 2},
		{.op = RULE_CODE, .col = 1, .code = 1, .miss = 3},
		{.op = RULE_OR, .first = 2, .n_args = 2},
		{.op = RULE_CONST, .value = 0},
		{.op = RULE_CONST, .value = 1},
		{.op = RULE_CASE, .first = 4, .n_args = 3},
	};
	uint32_t	args[7] = {0, 1, 2, 3, 4, 5, 6};
	static char *labels[2] = {"0", "1"};
	static double values[2] = {0, 1};
	MLModel		m = {0};
	MLModel    *r;
	MLBuffer	b;
	double		o[2];
	const struct
	{
		double		area;
		const char *kind;
		int			want;
	}			rows[] = {
		{900, "a", 0}, {100, "b", 0}, {100, "a", 1}, {NAN, NULL, 1}, {NAN, "b", 0},
		{100, "zzz", 1}, {NAN, "a", 1}, {900, NULL, 0},
	};

	m.learner = learner_rule();
	m.task = ML_CLASSIFICATION;
	m.label_type = ML_LABEL_NUMERIC;
	m.pipeline = rule_test_pipeline();
	m.n_features = 2;
	m.feature_names = m.pipeline->out_names;
	m.target_name = "target";
	m.n_classes = 2;
	m.class_labels = labels;
	m.class_values = values;
	m.threshold = NAN;
	m.state = rule_state_new("area", "CASE WHEN area > 800 OR kind = 'b' THEN 0 ELSE 1 END",
							 nodes, 8, args, 7, 2, 2);
	CHECK(learner_find(m.learner->name) == NULL && learner_find_id(m.learner->id) == m.learner);
	buffer_init(&b);
	model_write(&m, &b);
	r = model_read(b.data, b.len);
	CHECK(strcmp(rule_name(r->state), "area") == 0);
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++)
	{
		rule_score(r, rows[i].area, rows[i].kind, o);
		CHECK(o[rows[i].want] == 1.0 && o[1 - rows[i].want] == 0.0);
	}
	EXPECT_ERROR(ML_ERR_PARAM, m.learner->fit(NULL, NULL, NULL, NULL));

	/* every single-byte corruption and every truncation is an error */
	for (volatile size_t i = 0; i < b.len; i++)
	{
		uint8_t		save = b.data[i];

		b.data[i] ^= 0x5A;
		EXPECT_ERROR(ML_ERR_CORRUPT, model_read(b.data, b.len));
		b.data[i] = save;
		EXPECT_ERROR(ML_ERR_CORRUPT, model_read(b.data, i));
	}

	/* trees that read a later node, a missing feature, or give no class are refused */
	nodes[2].first = 5;
	EXPECT_ERROR(ML_ERR_PARAM, rule_state_new("x", "", nodes, 8, args, 7, 2, 2));
	nodes[2].first = 0;
	nodes[0].col = 2;
	EXPECT_ERROR(ML_ERR_PARAM, rule_state_new("x", "", nodes, 8, args, 7, 2, 2));
	nodes[0].col = 0;
	nodes[6].value = 2;			/* not a class of two */
	EXPECT_ERROR(ML_ERR_PARAM, rule_state_new("x", "", nodes, 8, args, 7, 2, 2));
	nodes[6].value = 1;
	EXPECT_ERROR(ML_ERR_PARAM, rule_state_new("x", "", nodes, 5, args, 4, 2, 2));	/* ends in OR */
	nodes[7].n_args = 2;
	EXPECT_ERROR(ML_ERR_PARAM, rule_state_new("x", "", nodes, 8, args, 7, 2, 2));
	nodes[7].n_args = 3;

	/* regression: COALESCE(area, 0) / (area - 100), LEAST ignores NULLs, abs, x / 0 is NULL */
	{
		RuleNode	rn[9] = {
			{.op = RULE_COL, .col = 0},
			{.op = RULE_CONST, .value = 0},
			{.op = RULE_COALESCE, .first = 0, .n_args = 2},
			{.op = RULE_CONST, .value = 100},
			{.op = RULE_SUB, .first = 2, .n_args = 2},
			{.op = RULE_DIV, .first = 4, .n_args = 2},
			{.op = RULE_NEG, .first = 6, .n_args = 1},
			{.op = RULE_ABS, .first = 7, .n_args = 1},
			{.op = RULE_LEAST, .first = 8, .n_args = 3},
		};
		uint32_t	ra[11] = {0, 1, 3, 0, 2, 4, 5, 6, 7, 3, 0};
		MLModel		g = m;
		double		y;

		/* LEAST(abs(-(COALESCE(area, 0) / (area - 100))), 100, area) */
		g.task = ML_REGRESSION;
		g.label_type = ML_LABEL_NONE;
		g.n_classes = 0;
		g.state = rule_state_new("g", "", rn, 9, ra, 11, 2, 0);
		rule_score(&g, 300, "a", &y);
		CHECK_NEAR(y, 1.5, 1e-12);
		rule_score(&g, 100, "a", &y);	/* 100 / 0: NULL, ignored by LEAST */
		CHECK_NEAR(y, 100, 1e-12);
		rule_score(&g, NAN, "a", &y);	/* 0 / NULL and area NULL: 100 */
		CHECK_NEAR(y, 100, 1e-12);
		rule_score(&g, 50, "a", &y);
		CHECK_NEAR(y, 1, 1e-12);
	}
}
