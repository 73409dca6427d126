/*-------------------------------------------------------------------------
 *
 * rule.h
 *	  Heuristic baselines (ml_rule) and the check of one SQL expression
 *	  shared with ml_evaluate_slices (rule.c, rule_compile.c).
 *
 *-------------------------------------------------------------------------
 */
#ifndef MLSQL_RULE_H
#define MLSQL_RULE_H

#include "postgres.h"

#include "nodes/nodes.h"

#include "core/model.h"
#include "pg/record.h"
#include "pg/source.h"

/*
 * The raw parse tree of text, which must be exactly one SQL expression
 * (what names it in errors: "rule", "slice"): parsed as SELECT <text>, and
 * refused unless that is one statement with one output column and nothing
 * else (no FROM, WHERE, alias, second statement ...).  Nothing runs.
 */
extern Node *expression_parse_one(const char *text, const char *what);

/*
 * Compile a rule's expression against the source's columns: a model of the
 * rule learner with its own pipeline (the columns it reads) and the
 * project's task, target and classes (base).  Refuses every construct but
 * the few a rule may use, naming it.
 */
extern MLModel *rule_compile(const char *name, const char *expression, Node *expr,
							 const SourceData *src, const MLModel *base);

/* a rule of the project, its features on rows of a source (rule_inputs) */
typedef struct RuleInput
{
	const char *name;
	int64		model_id;
	int32		version;
	MLModel    *model;
	double	   *X;				/* n_rows x features, column-major */
} RuleInput;

/*
 * The project's rules (the latest version of each name) with their
 * features on rows of src: *n of them.  A rule of another task or other
 * classes than model's, or that reads columns the source lacks, is left
 * out with a NOTICE that it is not in `where` ("the baseline").  Shared by
 * rule_scores and ml_automl's phase 1 (automl.c), so both pick the same.
 */
extern RuleInput *rule_inputs(int64 project_id, const MLModel *model, const SourceData *src,
							  const size_t *rows, size_t n_rows, const char *where, int *n);

/*
 * The project's rules (the latest version of each name) scored on rows of
 * a training's source: *n of them, NULL when none.  A rule that reads
 * columns the source lacks, or has other classes, is left out with a
 * NOTICE.
 */
extern RuleScore *rule_scores(int64 project_id, const MLModel *model, const SourceData *src,
							  const double *all_y, const size_t *rows, size_t n_rows, int *n);

#endif							/* MLSQL_RULE_H */
