/*-------------------------------------------------------------------------
 *
 * rule_compile.c
 *	  One SQL expression, checked without running it, and a rule's
 *	  expression compiled into the rule learner's tree (src/algo/rule.h).
 *
 * Security: a rule is scored by whoever may score the project (a grantee,
 * a Citus worker), so its model must never hold SQL that would run there.
 * The expression is parsed once, by PostgreSQL's raw parser, as
 * "SELECT <expression>": exactly one statement with one output column and
 * nothing else, so a second statement, a FROM or a comment that swallows the
 * rest cannot get through.  The raw tree is then converted, accepting only:
 * columns of the source (numbers, booleans, text), constants, + - * / and
 * unary minus, = <> < <= > >=, IN, BETWEEN, AND / OR / NOT, IS [NOT] NULL,
 * CASE (searched and simple), COALESCE, GREATEST, LEAST and abs().  Every
 * other construct (any other function, a subquery, a cast, an operator
 * named by schema ...) is refused by name.  Nothing is executed.
 *
 * Types: numbers and booleans are values (NULL is NaN).  A text column may
 * only be compared with text constants (=, <>, IN) or tested for NULL: its
 * pipeline column codes exactly the constants the rule names, in byte
 * order, so code i is constant i, any other value is "other" and NULL is
 * "missing"; the tree compares codes.  A classification rule's value is a
 * class label: a constant, or a CASE whose branches and ELSE are (checked
 * here against the project's classes, and again when the model is read).
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <math.h>

#include "miscadmin.h"
#include "nodes/parsenodes.h"
#include "nodes/pg_list.h"
#include "nodes/value.h"
#include "catalog/namespace.h"
#include "parser/parser.h"
#include "utils/builtins.h"

#include "algo/rule.h"
#include "pg/mlsql_pg.h"
#include "pg/rule.h"

#define RULE_HINT "A rule may use the source's columns, constants, + - * /, comparisons, IN, BETWEEN, AND, OR, NOT, IS NULL, CASE, COALESCE, GREATEST, LEAST and abs()."

/* ---- one expression ---- */

Node *
expression_parse_one(const char *text, const char *what)
{
	List	   *volatile stmts = NIL;
	MemoryContext caller = CurrentMemoryContext;
	RawStmt    *raw;
	SelectStmt *s;
	ResTarget  *rt;

	if (text == NULL || text[strspn(text, " \t\r\n")] == '\0')
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("%s must be one SQL expression, got an empty text", what)));
	/* the newline ends a trailing -- comment inside the expression */
	PG_TRY();
	{
		stmts = raw_parser(psprintf("SELECT %s\n", text), RAW_PARSE_DEFAULT);
	}
	PG_CATCH();
	{
		/* the parser's position points into our text, not the caller's query */
		ErrorData  *e;

		MemoryContextSwitchTo(caller);
		e = CopyErrorData();
		FlushErrorState();
		ereport(ERROR,
				(errcode(ERRCODE_SYNTAX_ERROR),
				 errmsg("%s is not one SQL expression: %s", what, e->message),
				 errhint("Give one expression over the source's columns, e.g. CASE WHEN worst_area > 800 THEN 0 ELSE 1 END.")));
	}
	PG_END_TRY();
	raw = list_length(stmts) == 1 ? linitial_node(RawStmt, stmts) : NULL;
	s = raw && IsA(raw->stmt, SelectStmt) ? (SelectStmt *) raw->stmt : NULL;
	if (s == NULL || s->op != SETOP_NONE || list_length(s->targetList) != 1 ||
		s->fromClause || s->whereClause || s->groupClause || s->havingClause ||
		s->windowClause || s->valuesLists || s->sortClause || s->limitOffset ||
		s->limitCount || s->lockingClause || s->withClause || s->intoClause ||
		s->distinctClause)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("%s must be one SQL expression", what),
				 errdetail("It was read as %s.", list_length(stmts) != 1 ? "several statements" :
						   "a query with more than one expression"),
				 errhint("Give one expression over the source's columns, e.g. CASE WHEN worst_area > 800 THEN 0 ELSE 1 END.")));
	rt = linitial_node(ResTarget, s->targetList);
	if (rt->name != NULL || rt->indirection != NIL || (IsA(rt->val, ColumnRef) &&
		IsA(llast(((ColumnRef *) rt->val)->fields), A_Star)))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("%s must be one SQL expression, without an alias or *", what)));
	return rt->val;
}

/* ---- compiling a rule ---- */

typedef enum OpKind
{
	K_NUM,
	K_BOOL,
	K_NULL,
	K_TEXTCOL,
	K_TEXTCONST
} OpKind;

/* a compiled operand: a node (numbers, booleans, NULL) or text waiting for its comparison */
typedef struct Opnd
{
	OpKind		kind;
	int			node;			/* K_NUM, K_BOOL, K_NULL */
	int			col;			/* K_TEXTCOL: its feature */
	const char *str;			/* K_TEXTCONST */
} Opnd;

/* a column the rule reads: one feature each, in order of first use */
typedef struct RuleCol
{
	int			src_col;		/* index in src->cols */
	bool		text;
	int			n_consts;		/* text: the constants compared with it */
	char	  **consts;
} RuleCol;

/* a RULE_CODE node whose code is known once every constant is */
typedef struct CodeFix
{
	int			node;
	int			col;
	int			konst;			/* index in consts, or -1: IS NULL */
} CodeFix;

typedef struct Compiler
{
	const SourceData *src;
	const MLModel *base;
	RuleNode   *nodes;
	int			n_nodes,
				cap_nodes;
	uint32	   *args;
	int			n_args,
				cap_args;
	RuleCol    *cols;
	int			n_cols;
	CodeFix    *fixes;
	int			n_fixes;
} Compiler;

static int
add_node(Compiler *c, RuleOp op, double value, const int *args, int n_args)
{
	RuleNode   *nd;

	if (c->n_nodes >= RULE_MAX_NODES || c->n_args + n_args > RULE_MAX_ARGS)
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("rule is too long: more than %d operations", RULE_MAX_NODES)));
	if (c->n_nodes == c->cap_nodes)
	{
		c->cap_nodes = c->cap_nodes ? 2 * c->cap_nodes : 64;
		c->nodes = c->nodes ? repalloc(c->nodes, sizeof(RuleNode) * c->cap_nodes)
			: palloc(sizeof(RuleNode) * c->cap_nodes);
	}
	while (c->n_args + n_args > c->cap_args)
	{
		c->cap_args = c->cap_args ? 2 * c->cap_args : 64;
		c->args = c->args ? repalloc(c->args, sizeof(uint32) * c->cap_args)
			: palloc(sizeof(uint32) * c->cap_args);
	}
	nd = &c->nodes[c->n_nodes];
	memset(nd, 0, sizeof(*nd));
	nd->op = (uint8) op;
	nd->value = value;
	nd->first = (uint32) c->n_args;
	nd->n_args = (uint32) n_args;
	for (int i = 0; i < n_args; i++)
		c->args[c->n_args++] = (uint32) args[i];
	return c->n_nodes++;
}

static Opnd
opnd(OpKind kind, int node)
{
	Opnd		o = {kind, node, -1, NULL};

	return o;
}

static void
refuse(const char *what)
{
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
			 errmsg("a rule may not use %s", what),
			 errhint(RULE_HINT)));
}

/* the feature of a source column, added on first use */
static int
rule_column(Compiler *c, const char *name, bool *text)
{
	const SourceData *src = c->src;
	int			f = -1;

	for (int i = 0; i < src->n_cols && f < 0; i++)
		if (strcmp(src->cols[i].name, name) == 0)
			f = i;
	if (f < 0 && src->target_name && strcmp(src->target_name, name) == 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("a rule must not read the target \"%s\"", name),
				 errhint("A rule predicts the target from the other columns.")));
	if (f < 0)
	{
		StringInfoData cols;

		initStringInfo(&cols);
		for (int i = 0; i < src->n_cols; i++)
			appendStringInfo(&cols, "%s%s", i ? ", " : "", src->cols[i].name);
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_COLUMN),
				 errmsg("rule reads column \"%s\", which is not a feature of the project's last training", name),
				 errhint("The columns a rule may read: %s.", cols.data)));
	}
	if (src->cols[f].cls == SRC_ARRAY ||
		(src->cols[f].cls == SRC_NUMERIC && src->raw[src->cols[f].first_raw].ctype != ML_CT_NUMBER &&
		 src->raw[src->cols[f].first_raw].ctype != ML_CT_BOOL))
		ereport(ERROR,
				(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
				 errmsg("rule reads column \"%s\" of type %s; a rule reads numbers, booleans and text",
						name, format_type_be(src->cols[f].type))));
	*text = src->cols[f].cls == SRC_CATEGORICAL;
	for (int i = 0; i < c->n_cols; i++)
		if (c->cols[i].src_col == f)
			return i;
	c->cols = c->cols ? repalloc(c->cols, sizeof(RuleCol) * (c->n_cols + 1)) : palloc(sizeof(RuleCol));
	memset(&c->cols[c->n_cols], 0, sizeof(RuleCol));
	c->cols[c->n_cols].src_col = f;
	c->cols[c->n_cols].text = *text;
	return c->n_cols++;
}

/* a RULE_CODE node: text column col holds constant s (s NULL: is NULL) */
static int
code_node(Compiler *c, int col, const char *s)
{
	RuleCol    *rc = &c->cols[col];
	int			k = -1;
	int			node;

	if (s)
	{
		for (int i = 0; i < rc->n_consts && k < 0; i++)
			if (strcmp(rc->consts[i], s) == 0)
				k = i;
		if (k < 0)
		{
			rc->consts = rc->consts ? repalloc(rc->consts, sizeof(char *) * (rc->n_consts + 1))
				: palloc(sizeof(char *));
			rc->consts[rc->n_consts] = pstrdup(s);
			k = rc->n_consts++;
		}
	}
	node = add_node(c, RULE_CODE, 0, NULL, 0);
	c->nodes[node].col = (uint32) col;
	c->fixes = c->fixes ? repalloc(c->fixes, sizeof(CodeFix) * (c->n_fixes + 1)) : palloc(sizeof(CodeFix));
	c->fixes[c->n_fixes].node = node;
	c->fixes[c->n_fixes].col = col;
	c->fixes[c->n_fixes].konst = k;
	c->n_fixes++;
	return node;
}

static int
null_node(Compiler *c)
{
	return add_node(c, RULE_CONST, NAN, NULL, 0);
}

static Opnd compile_expr(Compiler *c, Node *n);

static int
as_num(Compiler *c, Opnd o)
{
	(void) c;
	if (o.kind == K_NUM || o.kind == K_NULL)
		return o.node;
	ereport(ERROR,
			(errcode(ERRCODE_DATATYPE_MISMATCH),
			 errmsg("rule uses %s where a number is expected",
					o.kind == K_BOOL ? "a boolean" : "text"),
			 errhint(RULE_HINT)));
	return -1;
}

static int
as_bool(Compiler *c, Opnd o)
{
	(void) c;
	if (o.kind == K_BOOL || o.kind == K_NULL)
		return o.node;
	ereport(ERROR,
			(errcode(ERRCODE_DATATYPE_MISMATCH),
			 errmsg("rule uses %s where a condition (true / false) is expected",
					o.kind == K_NUM ? "a number" : "text"),
			 errhint("Compare it: worst_area > 800.")));
	return -1;
}

static int
binary(Compiler *c, RuleOp op, int a, int b)
{
	int			args[2] = {a, b};

	return add_node(c, op, 0, args, 2);
}

static int
unary(Compiler *c, RuleOp op, int a)
{
	return add_node(c, op, 0, &a, 1);
}

/* l op r for a comparison operator */
static Opnd
compare(Compiler *c, Opnd l, Opnd r, const char *op)
{
	static const struct
	{
		const char *name;
		RuleOp		op;
	}			ops[] = {{"=", RULE_EQ}, {"<>", RULE_NE}, {"<", RULE_LT}, {"<=", RULE_LE},
	{">", RULE_GT}, {">=", RULE_GE}};
	RuleOp		rop = 0;
	bool		eq = strcmp(op, "=") == 0,
				ne = strcmp(op, "<>") == 0;

	for (int i = 0; i < (int) lengthof(ops); i++)
		if (strcmp(ops[i].name, op) == 0)
			rop = ops[i].op;
	if (l.kind == K_TEXTCONST && r.kind == K_TEXTCOL)
	{
		Opnd		t = l;

		l = r;
		r = t;
	}
	if (l.kind == K_TEXTCOL || l.kind == K_TEXTCONST || r.kind == K_TEXTCOL || r.kind == K_TEXTCONST)
	{
		if ((eq || ne) && l.kind == K_TEXTCOL && r.kind == K_TEXTCONST)
		{
			int			n = code_node(c, l.col, r.str);

			return opnd(K_BOOL, ne ? unary(c, RULE_NOT, n) : n);
		}
		if ((eq || ne) && l.kind == K_TEXTCONST && r.kind == K_TEXTCONST)
			return opnd(K_BOOL, add_node(c, RULE_CONST, (strcmp(l.str, r.str) == 0) == eq ? 1 : 0, NULL, 0));
		if (l.kind == K_NULL || r.kind == K_NULL)
			return opnd(K_BOOL, null_node(c));
		ereport(ERROR,
				(errcode(ERRCODE_DATATYPE_MISMATCH),
				 errmsg("rule compares text %s", !(eq || ne) ? psprintf("by \"%s\"; text is only compared by = or <>", op) :
						(l.kind == K_TEXTCOL && r.kind == K_TEXTCOL) ? "with another text column" :
						"with a number or a boolean"),
				 errhint("A text column is compared with text constants by = , <> or IN: kind = 'b'.")));
	}
	if ((l.kind == K_NUM && r.kind == K_BOOL) || (l.kind == K_BOOL && r.kind == K_NUM))
		ereport(ERROR,
				(errcode(ERRCODE_DATATYPE_MISMATCH),
				 errmsg("rule compares a number with a boolean")));
	return opnd(K_BOOL, binary(c, rop, l.node, r.node));
}

static Opnd
compile_const(Compiler *c, A_Const *k)
{
	if (k->isnull)
		return opnd(K_NULL, null_node(c));
	switch (nodeTag(&k->val))
	{
		case T_Integer:
			return opnd(K_NUM, add_node(c, RULE_CONST, (double) intVal(&k->val), NULL, 0));
		case T_Float:
			{
				double		v = strtod(castNode(Float, &k->val)->fval, NULL);

				if (!isfinite(v))
					ereport(ERROR,
							(errcode(ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE),
							 errmsg("rule constant %s is out of range", castNode(Float, &k->val)->fval)));
				return opnd(K_NUM, add_node(c, RULE_CONST, v, NULL, 0));
			}
		case T_Boolean:
			return opnd(K_BOOL, add_node(c, RULE_CONST, boolVal(&k->val) ? 1 : 0, NULL, 0));
		case T_String:
			{
				Opnd		o = opnd(K_TEXTCONST, -1);

				o.str = strVal(&k->val);
				return o;
			}
		default:
			refuse("bit string constants");
	}
	return opnd(K_NULL, -1);
}

static Opnd
compile_aexpr(Compiler *c, A_Expr *e)
{
	const char *op = list_length(e->name) == 1 ? strVal(linitial(e->name)) : NULL;

	if (op == NULL)
		refuse("operators named by schema (OPERATOR(...))");
	if (e->kind == AEXPR_IN)
	{
		Opnd		l = compile_expr(c, e->lexpr);
		int			acc = -1;
		ListCell   *lc;

		if (!IsA(e->rexpr, List))
			refuse("IN with a subquery");
		foreach(lc, (List *) e->rexpr)
		{
			int			t = compare(c, l, compile_expr(c, lfirst(lc)), "=").node;

			acc = acc < 0 ? t : binary(c, RULE_OR, acc, t);
		}
		return opnd(K_BOOL, strcmp(op, "<>") == 0 ? unary(c, RULE_NOT, acc) : acc);
	}
	if (e->kind == AEXPR_BETWEEN || e->kind == AEXPR_NOT_BETWEEN)
	{
		Opnd		x = compile_expr(c, e->lexpr);
		List	   *bounds = (List *) e->rexpr;
		int			t;

		t = binary(c, RULE_AND, compare(c, x, compile_expr(c, linitial(bounds)), ">=").node,
				   compare(c, x, compile_expr(c, lsecond(bounds)), "<=").node);
		return opnd(K_BOOL, e->kind == AEXPR_NOT_BETWEEN ? unary(c, RULE_NOT, t) : t);
	}
	if (e->kind != AEXPR_OP)
		refuse(e->kind == AEXPR_LIKE || e->kind == AEXPR_ILIKE || e->kind == AEXPR_SIMILAR ?
			   "pattern matches (LIKE, SIMILAR)" : e->kind == AEXPR_NULLIF ? "NULLIF" :
			   "ANY, ALL and IS DISTINCT FROM");
	if (e->lexpr == NULL)
	{
		Opnd		a = compile_expr(c, e->rexpr);

		if (strcmp(op, "-") == 0)
			return opnd(K_NUM, unary(c, RULE_NEG, as_num(c, a)));
		if (strcmp(op, "+") == 0)
			return opnd(K_NUM, as_num(c, a));
		refuse(psprintf("prefix operator %s", op));
	}
	{
		Opnd		l = compile_expr(c, e->lexpr),
					r = compile_expr(c, e->rexpr);
		RuleOp		arith = strcmp(op, "+") == 0 ? RULE_ADD : strcmp(op, "-") == 0 ? RULE_SUB :
			strcmp(op, "*") == 0 ? RULE_MUL : strcmp(op, "/") == 0 ? RULE_DIV : 0;

		if (arith)
			return opnd(K_NUM, binary(c, arith, as_num(c, l), as_num(c, r)));
		if (strcmp(op, "=") == 0 || strcmp(op, "<>") == 0 || strcmp(op, "<") == 0 ||
			strcmp(op, "<=") == 0 || strcmp(op, ">") == 0 || strcmp(op, ">=") == 0)
			return compare(c, l, r, op);
		refuse(psprintf("operator %s", op));
	}
	return opnd(K_NULL, -1);
}

/* CASE [arg] WHEN .. THEN .. [ELSE ..] END; label: the branches are class labels */
static int compile_label(Compiler *c, Node *n);

static Opnd
compile_case(Compiler *c, CaseExpr *e, bool label)
{
	Opnd		arg = e->arg ? compile_expr(c, (Node *) e->arg) : opnd(K_NULL, -1);
	int			n = list_length(e->args);
	int		   *args = palloc(sizeof(int) * (2 * n + 1));
	OpKind		kind = K_NULL;
	ListCell   *lc;
	int			i = 0;

	if (label && e->defresult == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("a classification rule needs an ELSE: every row must get a class"),
				 errhint("CASE WHEN ... THEN 0 ELSE 1 END")));
	foreach(lc, e->args)
	{
		CaseWhen   *w = lfirst_node(CaseWhen, lc);

		args[i++] = e->arg ? compare(c, arg, compile_expr(c, (Node *) w->expr), "=").node
			: as_bool(c, compile_expr(c, (Node *) w->expr));
		if (label)
			args[i++] = compile_label(c, (Node *) w->result);
		else
		{
			Opnd		r = compile_expr(c, (Node *) w->result);

			if (r.kind != K_NULL && kind != K_NULL && r.kind != kind)
				ereport(ERROR,
						(errcode(ERRCODE_DATATYPE_MISMATCH),
						 errmsg("rule's CASE branches give different types")));
			if (r.kind == K_TEXTCOL || r.kind == K_TEXTCONST)
				ereport(ERROR,
						(errcode(ERRCODE_DATATYPE_MISMATCH),
						 errmsg("a rule's CASE gives text where a number is expected")));
			if (r.kind != K_NULL)
				kind = r.kind;
			args[i++] = r.node;
		}
	}
	if (label)
		args[i++] = compile_label(c, (Node *) e->defresult);
	else if (e->defresult)
	{
		Opnd		r = compile_expr(c, (Node *) e->defresult);

		if (r.kind == K_TEXTCOL || r.kind == K_TEXTCONST || (r.kind != K_NULL && kind != K_NULL && r.kind != kind))
			ereport(ERROR,
					(errcode(ERRCODE_DATATYPE_MISMATCH),
					 errmsg("rule's CASE branches give different types")));
		if (r.kind != K_NULL)
			kind = r.kind;
		args[i++] = r.node;
	}
	else
		args[i++] = null_node(c);
	return opnd(label ? K_NUM : (kind == K_NULL ? K_NUM : kind), add_node(c, RULE_CASE, 0, args, i));
}

static Opnd
compile_expr(Compiler *c, Node *n)
{
	check_stack_depth();
	CHECK_FOR_INTERRUPTS();
	switch (nodeTag(n))
	{
		case T_ColumnRef:
			{
				ColumnRef  *cr = (ColumnRef *) n;
				bool		text;
				int			col;

				if (list_length(cr->fields) != 1 || !IsA(linitial(cr->fields), String))
					refuse("qualified column names (t.x) and *");
				col = rule_column(c, strVal(linitial(cr->fields)), &text);
				if (text)
				{
					Opnd		o = opnd(K_TEXTCOL, -1);

					o.col = col;
					return o;
				}
				{
					int			node = add_node(c, RULE_COL, 0, NULL, 0);

					c->nodes[node].col = (uint32) col;
					return opnd(c->src->raw[c->src->cols[c->cols[col].src_col].first_raw].ctype == ML_CT_BOOL
								? K_BOOL : K_NUM, node);
				}
			}
		case T_A_Const:
			return compile_const(c, (A_Const *) n);
		case T_A_Expr:
			return compile_aexpr(c, (A_Expr *) n);
		case T_BoolExpr:
			{
				BoolExpr   *b = (BoolExpr *) n;
				int			acc = -1;
				ListCell   *lc;

				if (b->boolop == NOT_EXPR)
					return opnd(K_BOOL, unary(c, RULE_NOT, as_bool(c, compile_expr(c, linitial(b->args)))));
				foreach(lc, b->args)
				{
					int			t = as_bool(c, compile_expr(c, lfirst(lc)));

					acc = acc < 0 ? t : binary(c, b->boolop == AND_EXPR ? RULE_AND : RULE_OR, acc, t);
				}
				return opnd(K_BOOL, acc);
			}
		case T_NullTest:
			{
				NullTest   *t = (NullTest *) n;
				Opnd		a = compile_expr(c, (Node *) t->arg);
				int			node;

				if (a.kind == K_TEXTCOL)
					node = code_node(c, a.col, NULL);
				else if (a.kind == K_TEXTCONST)
					node = add_node(c, RULE_CONST, 0, NULL, 0);
				else
					node = unary(c, RULE_ISNULL, a.node);
				return opnd(K_BOOL, t->nulltesttype == IS_NOT_NULL ? unary(c, RULE_NOT, node) : node);
			}
		case T_CaseExpr:
			return compile_case(c, (CaseExpr *) n, false);
		case T_CoalesceExpr:
		case T_MinMaxExpr:
			{
				List	   *l = IsA(n, CoalesceExpr) ? ((CoalesceExpr *) n)->args : ((MinMaxExpr *) n)->args;
				int		   *args = palloc(sizeof(int) * Max(list_length(l), 1));
				int			i = 0;
				ListCell   *lc;

				foreach(lc, l)
					args[i++] = as_num(c, compile_expr(c, lfirst(lc)));
				return opnd(K_NUM, add_node(c, IsA(n, CoalesceExpr) ? RULE_COALESCE :
											((MinMaxExpr *) n)->op == IS_GREATEST ? RULE_GREATEST : RULE_LEAST,
											0, args, i));
			}
		case T_FuncCall:
			{
				FuncCall   *f = (FuncCall *) n;
				const char *fname = strVal(llast(f->funcname));
				bool		qualified_ok = list_length(f->funcname) == 1 ||
					(list_length(f->funcname) == 2 && strcmp(strVal(linitial(f->funcname)), "pg_catalog") == 0);

				if (strcmp(fname, "abs") == 0 && qualified_ok && list_length(f->args) == 1 &&
					!f->agg_star && !f->agg_distinct && !f->func_variadic && f->agg_order == NIL &&
					f->agg_filter == NULL && f->over == NULL && !f->agg_within_group)
					return opnd(K_NUM, unary(c, RULE_ABS, as_num(c, compile_expr(c, linitial(f->args)))));
				refuse(psprintf("function %s()", NameListToString(f->funcname)));
			}
			break;
		case T_TypeCast:
			refuse("casts (::type, CAST)");
			break;
		case T_SubLink:
			refuse("subqueries");
			break;
		case T_ParamRef:
			refuse("parameters ($1)");
			break;
		case T_A_Indirection:
		case T_A_ArrayExpr:
			refuse("arrays and subscripts");
			break;
		case T_RowExpr:
			refuse("row constructors");
			break;
		case T_CollateClause:
			refuse("COLLATE clauses");
			break;
		case T_BooleanTest:
			refuse("IS TRUE / IS FALSE tests");
			break;
		default:
			refuse("this kind of expression");
	}
	return opnd(K_NULL, -1);
}

/* a class of the project named by a constant, as its index */
static int
label_index(Compiler *c, A_Const *k)
{
	const MLModel *m = c->base;
	char	   *text;
	double		v = NAN;

	if (k->isnull)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("a classification rule must give a class on every row, not NULL")));
	switch (nodeTag(&k->val))
	{
		case T_Integer:
			v = intVal(&k->val);
			text = psprintf("%d", intVal(&k->val));
			break;
		case T_Float:
			text = castNode(Float, &k->val)->fval;
			v = strtod(text, NULL);
			break;
		case T_Boolean:
			text = boolVal(&k->val) ? "true" : "false";
			break;
		case T_String:
			text = strVal(&k->val);
			break;
		default:
			text = "?";
	}
	for (int i = 0; i < m->n_classes; i++)
	{
		bool		hit = m->label_type == ML_LABEL_NUMERIC && !isnan(v) ? m->class_values[i] == v
			: strcmp(m->class_labels[i], text) == 0;

		if (hit)
			return add_node(c, RULE_CONST, (double) i, NULL, 0);
	}
	{
		StringInfoData cls;

		initStringInfo(&cls);
		for (int i = 0; i < m->n_classes; i++)
			appendStringInfo(&cls, "%s%s", i ? ", " : "", m->class_labels[i]);
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("rule gives %s, which is not a class of the project", text),
				 errhint("The project's classes: %s.", cls.data)));
	}
	return -1;
}

static int
compile_label(Compiler *c, Node *n)
{
	check_stack_depth();
	if (IsA(n, A_Const))
		return label_index(c, (A_Const *) n);
	if (IsA(n, CaseExpr))
		return compile_case(c, (CaseExpr *) n, true).node;
	/* a construct a rule may not use is named first */
	(void) compile_expr(c, n);
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
			 errmsg("a classification rule gives a class label: a constant, or a CASE whose branches are constants"),
			 errhint("CASE WHEN worst_area > 800 THEN 0 ELSE 1 END")));
	return -1;
}

static int
cmp_cstr(const void *a, const void *b)
{
	return strcmp(*(char *const *) a, *(char *const *) b);
}

/* the rule's pipeline: numbers as they are (NULL as NaN), text coded by the rule's constants */
static MLPipeline *
rule_pipeline(Compiler *c)
{
	MLPipeline *p = palloc0(sizeof(MLPipeline));

	p->n_cols = c->n_cols;
	p->cols = palloc0(sizeof(MLPipeCol) * Max(c->n_cols, 1));
	p->n_out = c->n_cols;
	p->out_names = palloc(sizeof(char *) * (c->n_cols + 1));
	for (int i = 0; i < c->n_cols; i++)
	{
		RuleCol    *rc = &c->cols[i];
		const SourceColumn *sc = &c->src->cols[rc->src_col];
		const MLRawColumn *raw = &c->src->raw[sc->first_raw];
		MLPipeCol  *pc = &p->cols[i];

		pc->name = pstrdup(raw->name);
		pc->source = pstrdup(raw->source);
		pc->kind = rc->text ? ML_COL_CATEGORICAL : ML_COL_NUMERIC;
		pc->ctype = raw->ctype;
		pc->type_name = pstrdup(raw->type_name ? raw->type_name : "");
		pc->scale = ML_SCALE_NONE;
		pc->factor = 1;
		pc->out_start = i;
		pc->out_width = 1;
		p->out_names[i] = pc->name;
		if (!rc->text)
		{
			pc->impute = ML_IMPUTE_KEEP;
			continue;
		}
		pc->impute = ML_IMPUTE_MISSING;
		pc->encode = ML_ENCODE_ORDINAL;
		pc->fill_category = -2;
		pc->n_categories = rc->n_consts;
		pc->categories = palloc(sizeof(char *) * (rc->n_consts + 1));
		pc->cat_len = palloc(sizeof(size_t) * (rc->n_consts + 1));
		memcpy(pc->categories, rc->consts, sizeof(char *) * rc->n_consts);
		qsort(pc->categories, rc->n_consts, sizeof(char *), cmp_cstr);
		for (int k = 0; k < rc->n_consts; k++)
			pc->cat_len[k] = strlen(pc->categories[k]);
	}
	/* codes: a constant's place in byte order; NULL is the slot after "other" */
	for (int f = 0; f < c->n_fixes; f++)
	{
		CodeFix    *fx = &c->fixes[f];
		MLPipeCol  *pc = &p->cols[fx->col];
		RuleNode   *nd = &c->nodes[fx->node];

		if (fx->konst < 0)
		{
			nd->code = (uint32) pc->n_categories + 1;
			nd->miss = RULE_NO_CODE;
			continue;
		}
		for (int k = 0; k < pc->n_categories; k++)
			if (strcmp(pc->categories[k], c->cols[fx->col].consts[fx->konst]) == 0)
				nd->code = (uint32) k;
		nd->miss = (uint32) pc->n_categories + 1;
	}
	return p;
}

MLModel *
rule_compile(const char *name, const char *expression, Node *expr, const SourceData *src,
			 const MLModel *base)
{
	Compiler	c = {0};
	MLModel    *m = palloc(sizeof(MLModel));
	int			root;

	c.src = src;
	c.base = base;
	if (base->task == ML_CLASSIFICATION)
		root = compile_label(&c, expr);
	else
		root = as_num(&c, compile_expr(&c, expr));
	/* the tree's result is its last node */
	if (root != c.n_nodes - 1)
		(void) add_node(&c, RULE_COALESCE, 0, &root, 1);
	*m = *base;
	m->learner = learner_rule();
	m->pipeline = rule_pipeline(&c);
	m->n_features = (size_t) m->pipeline->n_out;
	m->feature_names = m->pipeline->out_names;
	m->feature_mean = NULL;
	m->state = rule_state_new(name, expression, c.nodes, (uint32) c.n_nodes, c.args, (uint32) c.n_args,
							  m->n_features, m->n_classes);
	return m;
}
