/*-------------------------------------------------------------------------
 *
 * rule.c
 *	  The rule learner: a heuristic baseline written by a person
 *	  (CASE WHEN worst_area > 800 THEN 0 ELSE 1 END), as a compiled
 *	  expression tree.  Phase 1 of the book's four phases: start from a
 *	  non-ML heuristic, and keep reporting it next to every model.
 *
 * The state is a list of nodes (rule.h) whose arguments are earlier nodes;
 * scoring evaluates them in order, once per row, without recursion, and
 * the last node is the result: a number (regression) or a class index
 * (classification, one-hot probabilities).  Nothing in it is SQL: the
 * expression text is kept only to be shown.  Reading checks every node's
 * operation, arity, argument indexes and feature indexes, and for
 * classification that the result can only be a class index, so corrupt
 * bytes are an error and evaluation never reads outside its arrays.
 *
 * Fit: none (ml_rule compiles the tree; see src/pg/rule.c).  Predict
 * O(nodes) per row, memory O(nodes).
 *
 *-------------------------------------------------------------------------
 */
#include "rule.h"

#include <math.h>
#include <string.h>

typedef struct Rule
{
	char	   *name;
	char	   *expression;
	int			k;				/* classes, 0 for regression */
	size_t		p;				/* features */
	uint32_t	n_nodes;
	RuleNode   *nodes;
	uint32_t	n_args;
	uint32_t   *args;
} Rule;

static const MLParamSpec rule_params[] = {
	{"name", ML_PARAM_STRING, 0, 0, 0, "rule", NULL, "the rule's name (ml_rule)"},
	{"expression", ML_PARAM_STRING, 0, 0, 0, "", NULL, "the SQL expression it was compiled from"},
	{NULL}
};

/* arity of an operation: exact count, or -1 for at least one, -2 for CASE */
static int
rule_arity(int op)
{
	switch (op)
	{
		case RULE_CONST:
		case RULE_COL:
		case RULE_CODE:
			return 0;
		case RULE_NEG:
		case RULE_ABS:
		case RULE_NOT:
		case RULE_ISNULL:
			return 1;
		case RULE_CASE:
			return -2;
		case RULE_COALESCE:
		case RULE_LEAST:
		case RULE_GREATEST:
			return -1;
		default:
			return 2;
	}
}

/*
 * Every check reading makes: operations, arities, arguments before their
 * node, features below p; for classification the result is a constant
 * class index or a CASE whose branches and ELSE are (marked from the root
 * down: arguments come before their node, so one backward pass does).
 */
static void
rule_validate(const Rule *r, MLErrorCode code)
{
	bool	   *label;

	if (r->n_nodes == 0)
		ml_error(code, NULL, "rule has no nodes");
	for (uint32_t i = 0; i < r->n_nodes; i++)
	{
		const RuleNode *nd = &r->nodes[i];
		int			ar;

		if (nd->op < RULE_CONST || nd->op > RULE_OP_MAX)
			ml_error(code, NULL, "rule node %u has operation %d", i, nd->op);
		ar = rule_arity(nd->op);
		if ((ar >= 0 && nd->n_args != (uint32_t) ar) || (ar == -1 && nd->n_args < 1) ||
			(ar == -2 && (nd->n_args < 3 || nd->n_args % 2 == 0)))
			ml_error(code, NULL, "rule node %u has %u arguments", i, nd->n_args);
		if (nd->first > r->n_args || nd->n_args > r->n_args - nd->first)
			ml_error(code, NULL, "rule node %u has arguments out of range", i);
		for (uint32_t a = 0; a < nd->n_args; a++)
			if (r->args[nd->first + a] >= i)
				ml_error(code, NULL, "rule node %u reads node %u, not an earlier one", i,
						 r->args[nd->first + a]);
		if ((nd->op == RULE_COL || nd->op == RULE_CODE) && (size_t) nd->col >= r->p)
			ml_error(code, NULL, "rule node %u reads feature %u of %zu", i, nd->col, r->p);
		if (nd->op == RULE_CONST && isinf(nd->value))
			ml_error(code, NULL, "rule node %u is infinite", i);
	}
	if (r->k == 0)
		return;
	label = ml_alloc(sizeof(bool) * r->n_nodes);
	label[r->n_nodes - 1] = true;
	for (uint32_t i = r->n_nodes; i-- > 0;)
	{
		const RuleNode *nd = &r->nodes[i];

		if (!label[i])
			continue;
		if (nd->op == RULE_CONST)
		{
			if (!(nd->value >= 0 && nd->value < r->k && nd->value == floor(nd->value)))
				ml_error(code, NULL, "rule result %g is not a class index", nd->value);
		}
		else if (nd->op == RULE_CASE)
		{
			for (uint32_t a = 1; a < nd->n_args; a += 2)
				label[r->args[nd->first + a]] = true;
			label[r->args[nd->first + nd->n_args - 1]] = true;
		}
		else
			ml_error(code, NULL, "rule result node %u is not a class", i);
	}
	ml_free(label);
}

void *
rule_state_new(const char *name, const char *expression, const RuleNode *nodes, uint32_t n_nodes,
			   const uint32_t *args, uint32_t n_args, size_t p, int k)
{
	Rule	   *r = ml_alloc(sizeof(Rule));

	if (n_nodes > RULE_MAX_NODES || n_args > RULE_MAX_ARGS)
		ml_error(ML_ERR_LIMIT, NULL, "rule has %u nodes, at most %d are allowed", n_nodes, RULE_MAX_NODES);
	r->name = ml_strdup(name);
	r->expression = ml_strdup(expression);
	r->k = k;
	r->p = p;
	r->n_nodes = n_nodes;
	r->nodes = ml_alloc(sizeof(RuleNode) * (n_nodes ? n_nodes : 1));
	memcpy(r->nodes, nodes, sizeof(RuleNode) * n_nodes);
	r->n_args = n_args;
	r->args = ml_alloc(sizeof(uint32_t) * (n_args ? n_args : 1));
	memcpy(r->args, args, sizeof(uint32_t) * n_args);
	rule_validate(r, ML_ERR_PARAM);
	return r;
}

const char *
rule_name(const void *state)
{
	return ((const Rule *) state)->name;
}

const char *
rule_expression(const void *state)
{
	return ((const Rule *) state)->expression;
}

static void *
rule_fit(const MLDataset *train, const MLDataset *valid, const MLParams *params, MLFitContext *ctx)
{
	(void) train;
	(void) valid;
	(void) params;
	(void) ctx;
	ml_error(ML_ERR_PARAM, "Register a rule with ml_rule(project, expression, name).",
			 "rules are written, not trained");
	return NULL;
}

static inline bool
truthy(double v)
{
	return !isnan(v) && v != 0;
}

/* one row: every node in order into v; the last is the result */
static double
rule_eval(const Rule *r, const double *x, double *v)
{
	for (uint32_t i = 0; i < r->n_nodes; i++)
	{
		const RuleNode *nd = &r->nodes[i];
		const uint32_t *a = r->args + nd->first;
		double		A = nd->n_args > 0 ? v[a[0]] : 0,
					B = nd->n_args > 1 ? v[a[1]] : 0,
					out = NAN;

		switch ((RuleOp) nd->op)
		{
			case RULE_CONST:
				out = nd->value;
				break;
			case RULE_COL:
				out = x[nd->col];
				break;
			case RULE_CODE:
				{
					double		c = x[nd->col];

					if (!isnan(c) && !(nd->miss != RULE_NO_CODE && c == (double) nd->miss))
						out = c == (double) nd->code ? 1.0 : 0.0;
				}
				break;
			case RULE_NEG:
				out = -A;
				break;
			case RULE_ABS:
				out = fabs(A);
				break;
			case RULE_NOT:
				out = isnan(A) ? NAN : (A == 0 ? 1.0 : 0.0);
				break;
			case RULE_ISNULL:
				out = isnan(A) ? 1.0 : 0.0;
				break;
			case RULE_ADD:
				out = A + B;
				break;
			case RULE_SUB:
				out = A - B;
				break;
			case RULE_MUL:
				out = A * B;
				break;
			case RULE_DIV:
				out = B == 0 ? NAN : A / B;
				break;
			case RULE_EQ:
			case RULE_NE:
			case RULE_LT:
			case RULE_LE:
			case RULE_GT:
			case RULE_GE:
				if (!isnan(A) && !isnan(B))
				{
					bool		t = nd->op == RULE_EQ ? A == B : nd->op == RULE_NE ? A != B :
						nd->op == RULE_LT ? A < B : nd->op == RULE_LE ? A <= B :
						nd->op == RULE_GT ? A > B : A >= B;

					out = t ? 1.0 : 0.0;
				}
				break;
			case RULE_AND:
				out = (!isnan(A) && A == 0) || (!isnan(B) && B == 0) ? 0.0 :
					(isnan(A) || isnan(B)) ? NAN : 1.0;
				break;
			case RULE_OR:
				out = truthy(A) || truthy(B) ? 1.0 : (isnan(A) || isnan(B)) ? NAN : 0.0;
				break;
			case RULE_CASE:
				out = v[a[nd->n_args - 1]];
				for (uint32_t j = 0; j + 1 < nd->n_args; j += 2)
					if (truthy(v[a[j]]))
					{
						out = v[a[j + 1]];
						break;
					}
				break;
			case RULE_COALESCE:
				for (uint32_t j = 0; j < nd->n_args && isnan(out); j++)
					out = v[a[j]];
				break;
			case RULE_LEAST:
			case RULE_GREATEST:
				for (uint32_t j = 0; j < nd->n_args; j++)
				{
					double		w = v[a[j]];

					if (!isnan(w) && (isnan(out) || (nd->op == RULE_LEAST ? w < out : w > out)))
						out = w;
				}
				break;
		}
		v[i] = out;
	}
	return v[r->n_nodes - 1];
}

static void
rule_predict(const void *state, const double *X, size_t n, double *out)
{
	const Rule *r = state;
	double	   *v = ml_alloc(sizeof(double) * r->n_nodes);

	for (size_t i = 0; i < n; i++)
	{
		double		y = rule_eval(r, X + i * r->p, v);

		if (r->k == 0)
		{
			out[i] = y;
			continue;
		}
		/* read checked that the result is a class index; uniform never happens */
		for (int c = 0; c < r->k; c++)
			out[i * r->k + c] = (y >= 0 && y < r->k) ? (c == (int) y ? 1.0 : 0.0) : 1.0 / r->k;
	}
	ml_free(v);
}

static void
rule_write(const void *state, MLBuffer *out)
{
	const Rule *r = state;

	buffer_put_str(out, r->name);
	buffer_put_str(out, r->expression);
	buffer_put_u32(out, r->n_nodes);
	for (uint32_t i = 0; i < r->n_nodes; i++)
	{
		const RuleNode *nd = &r->nodes[i];

		buffer_put_u8(out, nd->op);
		buffer_put_u32(out, nd->col);
		buffer_put_u32(out, nd->code);
		buffer_put_u32(out, nd->miss);
		buffer_put_f64(out, nd->value);
		buffer_put_u32(out, nd->first);
		buffer_put_u32(out, nd->n_args);
	}
	buffer_put_u32(out, r->n_args);
	for (uint32_t i = 0; i < r->n_args; i++)
		buffer_put_u32(out, r->args[i]);
}

static void *
rule_read(MLReader *in, size_t p, int k)
{
	Rule	   *r = ml_alloc(sizeof(Rule));

	r->name = reader_str(in, 4096);
	r->expression = reader_str(in, 1000000);
	r->k = k;
	r->p = p;
	r->n_nodes = (uint32_t) reader_count(in, 29, RULE_MAX_NODES);
	r->nodes = ml_alloc(sizeof(RuleNode) * (r->n_nodes ? r->n_nodes : 1));
	for (uint32_t i = 0; i < r->n_nodes; i++)
	{
		RuleNode   *nd = &r->nodes[i];

		nd->op = reader_u8(in);
		nd->col = reader_u32(in);
		nd->code = reader_u32(in);
		nd->miss = reader_u32(in);
		nd->value = reader_f64(in);
		nd->first = reader_u32(in);
		nd->n_args = reader_u32(in);
	}
	r->n_args = (uint32_t) reader_count(in, 4, RULE_MAX_ARGS);
	r->args = ml_alloc(sizeof(uint32_t) * (r->n_args ? r->n_args : 1));
	for (uint32_t i = 0; i < r->n_args; i++)
		r->args[i] = reader_u32(in);
	rule_validate(r, ML_ERR_CORRUPT);
	return r;
}

static void
rule_describe(const void *state, MLBuffer *json)
{
	const Rule *r = state;

	buffer_printf(json, "{\"name\": ");
	buffer_json_str(json, r->name);
	buffer_printf(json, ", \"expression\": ");
	buffer_json_str(json, r->expression);
	buffer_printf(json, ", \"nodes\": %u}", r->n_nodes);
}

const MLLearner ml_learner_rule = {
	.name = "rule",
	.id = 20,
	.tasks = ML_TASK_BIT(ML_REGRESSION) | ML_TASK_BIT(ML_CLASSIFICATION),
	.params = rule_params,
	.doc = "a heuristic written as a SQL expression (ml_rule), evaluated as a compiled tree",
	.encode = ML_ENCODE_ORDINAL,
	.keep_missing = true,
	.fit = rule_fit,
	.predict = rule_predict,
	.write = rule_write,
	.read = rule_read,
	.describe = rule_describe,
	.engines = 0,
};

const MLLearner *
learner_rule(void)
{
	return &ml_learner_rule;
}
