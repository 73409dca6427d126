/*-------------------------------------------------------------------------
 *
 * learners.c
 *	  ml_algorithms(): the learner registry as a table, generated from the
 *	  learners' own declarations (tasks, engines, parameter specs), so the
 *	  reference cannot drift from the code.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "funcapi.h"
#include "utils/array.h"
#include "utils/builtins.h"

#include "core/buffer.h"
#include "core/model.h"
#include "pg/mlsql_pg.h"
#include "pg/params.h"

PG_FUNCTION_INFO_V1(mlsql_algorithms);

static const char *
param_type_name(MLParamType t)
{
	switch (t)
	{
		case ML_PARAM_INT:
			return "integer";
		case ML_PARAM_FLOAT:
			return "number";
		case ML_PARAM_BOOL:
			return "boolean";
		case ML_PARAM_STRING:
			return "string";
		case ML_PARAM_CLASS_WEIGHT:
			return "class_weight";
		case ML_PARAM_JSON:
			return "json";
	}
	return "?";
}

static Datum
text_array(const char *const *v, int n)
{
	Datum	   *d = palloc(sizeof(Datum) * Max(n, 1));

	for (int i = 0; i < n; i++)
		d[i] = CStringGetTextDatum(v[i]);
	return PointerGetDatum(construct_array(d, n, TEXTOID, -1, false, TYPALIGN_INT));
}

/* the parameters of a learner: [{name, type, default, min, max, choices, doc}] */
static Datum
params_json(const MLParamSpec *ps)
{
	MLBuffer	b;

	buffer_init(&b);
	buffer_printf(&b, "[");
	for (int i = 0; ps[i].name; i++)
	{
		const MLParamSpec *p = &ps[i];

		buffer_printf(&b, "%s{\"name\": ", i ? ", " : "");
		buffer_json_str(&b, p->name);
		buffer_printf(&b, ", \"type\": \"%s\", \"default\": ", param_type_name(p->type));
		if (p->type == ML_PARAM_BOOL)
			buffer_printf(&b, "%s", p->def != 0 ? "true" : "false");
		else if (p->type == ML_PARAM_INT || p->type == ML_PARAM_FLOAT)
			buffer_json_num(&b, p->def);
		else if (p->def_str)
			buffer_json_str(&b, p->def_str);
		else
			buffer_printf(&b, "null");
		if (p->type == ML_PARAM_INT || p->type == ML_PARAM_FLOAT)
		{
			/* bounds of 1e300 and beyond mean none */
			buffer_printf(&b, ", \"min\": ");
			if (p->min <= -1e300)
				buffer_printf(&b, "null");
			else
				buffer_json_num(&b, p->min);
			buffer_printf(&b, ", \"max\": ");
			if (p->max >= 1e300)
				buffer_printf(&b, "null");
			else
				buffer_json_num(&b, p->max);
		}
		if (p->choices && p->type == ML_PARAM_STRING)
		{
			char	   *c = pstrdup(p->choices);
			char	   *tok,
					   *save = NULL;
			bool		first = true;

			buffer_printf(&b, ", \"choices\": [");
			for (tok = strtok_r(c, ",", &save); tok; tok = strtok_r(NULL, ",", &save))
			{
				buffer_printf(&b, "%s", first ? "" : ", ");
				buffer_json_str(&b, tok);
				first = false;
			}
			buffer_printf(&b, "]");
		}
		buffer_printf(&b, ", \"doc\": ");
		buffer_json_str(&b, p->doc ? p->doc : "");
		buffer_printf(&b, "}");
	}
	buffer_printf(&b, "]");
	return jsonb_datum(&b);
}

/*
 * ml_algorithms() RETURNS TABLE (algorithm, tasks, engines, parameters,
 * description): one row per learner, in the registry's order.
 */
Datum
mlsql_algorithms(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	static const MLTask tasks[] = {ML_REGRESSION, ML_CLASSIFICATION, ML_CLUSTERING, ML_ANOMALY};
	static const struct
	{
		uint32		bit;
		const char *name;
	}			engines[] = {{ML_ENGINE_MEMORY, "memory"}, {ML_ENGINE_AGGREGATE, "aggregate"},
	{ML_ENGINE_PARTITIONS, "partitions"}};

	InitMaterializedSRF(fcinfo, 0);
	for (int i = 0; i < learner_count(); i++)
	{
		const MLLearner *l = learner_at(i);
		const char *t[4],
				   *e[3];
		int			nt = 0,
					ne = 0;
		Datum		v[5];
		bool		nulls[5] = {0};

		for (int k = 0; k < 4; k++)
			if (l->tasks & ML_TASK_BIT(tasks[k]))
				t[nt++] = ml_task_name(tasks[k]);
		for (int k = 0; k < 3; k++)
			if (l->engines & engines[k].bit)
				e[ne++] = engines[k].name;
		v[0] = CStringGetTextDatum(l->name);
		v[1] = text_array(t, nt);
		v[2] = text_array(e, ne);
		v[3] = params_json(l->params);
		v[4] = CStringGetTextDatum(l->doc ? l->doc : "");
		tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, v, nulls);
	}
	return (Datum) 0;
}
