/*-------------------------------------------------------------------------
 *
 * rule.h
 *	  The rule learner: a heuristic written as a SQL expression (ml_rule),
 *	  compiled into a small expression tree that is evaluated in C.
 *
 * A rule's model holds no SQL: src/pg/rule.c parses the expression once,
 * at registration, accepts a small set of constructs and turns them into
 * nodes over the model's features (its pipeline passes numbers through,
 * NULL as NaN, and codes text columns by the rule's own constants).
 * Scoring, on any role or node, only evaluates the nodes.
 *
 *-------------------------------------------------------------------------
 */
#ifndef ML_RULE_H
#define ML_RULE_H

#include "../core/model.h"

/*
 * Node operations.  Every value is a double; NaN is SQL's NULL, booleans
 * are 0 / 1.  Arguments are earlier nodes, so evaluation is one pass in
 * node order and the last node is the result.
 */
typedef enum RuleOp
{
	RULE_CONST = 1,				/* value (NaN: NULL) */
	RULE_COL,					/* feature col */
	RULE_CODE,					/* text column coded by the pipeline (feature
								 * col): NULL when it holds code miss, else
								 * whether it holds code */
	RULE_NEG,					/* unary */
	RULE_ABS,
	RULE_NOT,
	RULE_ISNULL,
	RULE_ADD,					/* binary; x / 0 is NULL */
	RULE_SUB,
	RULE_MUL,
	RULE_DIV,
	RULE_EQ,
	RULE_NE,
	RULE_LT,
	RULE_LE,
	RULE_GT,
	RULE_GE,
	RULE_AND,					/* SQL's three-valued logic */
	RULE_OR,
	RULE_CASE,					/* when, then, ..., else: an odd count >= 3 */
	RULE_COALESCE,				/* n-ary, n >= 1 */
	RULE_LEAST,					/* n-ary, NULLs ignored as in SQL */
	RULE_GREATEST,
	RULE_OP_MAX = RULE_GREATEST
} RuleOp;

#define RULE_NO_CODE UINT32_MAX /* RULE_CODE's miss when NULL is a value (IS NULL) */
#define RULE_MAX_NODES 10000
#define RULE_MAX_ARGS 100000

typedef struct RuleNode
{
	uint8_t		op;				/* RuleOp */
	uint32_t	col;			/* RULE_COL, RULE_CODE */
	uint32_t	code,			/* RULE_CODE */
				miss;
	double		value;			/* RULE_CONST; a class index for classification
								 * results */
	uint32_t	first,			/* arguments: args[first .. first + n_args) */
				n_args;
} RuleNode;

/*
 * A rule's state from compiled nodes (copied): p features, k classes (0:
 * regression; then the result is a class index).  Validates as reading
 * does, so a bad tree is an ML_ERR_PARAM error.
 */
extern void *rule_state_new(const char *name, const char *expression,
							const RuleNode *nodes, uint32_t n_nodes,
							const uint32_t *args, uint32_t n_args, size_t p, int k);
/* the rule's name and expression text (what ml_rule was given) */
extern const char *rule_name(const void *state);
extern const char *rule_expression(const void *state);
/* the rule learner (not trained by name: only ml_rule makes its models) */
extern const MLLearner *learner_rule(void);

#endif							/* ML_RULE_H */
