/*-------------------------------------------------------------------------
 *
 * params.c
 *	  Validation of learner parameters against their specs.
 *
 *-------------------------------------------------------------------------
 */
#include "params.h"
#include "json.h"

#include <math.h>
#include <string.h>

static const char *
type_name(MLParamType t)
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
			return "string or object";
		case ML_PARAM_JSON:
			return "JSON";
	}
	return "?";
}

/* the type name with its article, for "must be ..." */
static const char *
a_type_name(MLParamType t)
{
	switch (t)
	{
		case ML_PARAM_INT:
			return "an integer";
		case ML_PARAM_FLOAT:
			return "a number";
		case ML_PARAM_BOOL:
			return "a boolean";
		case ML_PARAM_STRING:
			return "a string";
		case ML_PARAM_CLASS_WEIGHT:
			return "a string or an object";
		case ML_PARAM_JSON:
			return "JSON";
	}
	return "?";
}

/*
 * A list-valued string parameter (no choices, such as hidden_layer_sizes
 * "64,32") also takes a JSON array of numbers or strings, or one number:
 * the comma-separated text, or NULL when v is none of these.
 */
static char *
list_text(const MLParamValue *v)
{
	MLBuffer	b;
	MLJson	   *arr;

	buffer_init(&b);
	if (v->kind == ML_VALUE_NUMBER && isfinite(v->num))
		buffer_printf(&b, "%.17g", v->num);
	else if (v->kind == ML_VALUE_OTHER && v->json && v->json[0] == '[')
	{
		arr = json_parse(v->json, strlen(v->json), "a list parameter");
		if (arr->type != ML_JSON_ARRAY || arr->n == 0)
			return NULL;
		for (int i = 0; i < arr->n; i++)
		{
			const MLJson *e = arr->items[i];

			if (e->type == ML_JSON_NUMBER && isfinite(e->num))
				buffer_printf(&b, "%s%.17g", i ? "," : "", e->num);
			else if (e->type == ML_JSON_STRING)
				buffer_printf(&b, "%s%s", i ? "," : "", e->str);
			else
				return NULL;
		}
	}
	else
		return NULL;
	buffer_put_u8(&b, '\0');
	return (char *) b.data;
}

/* "alpha (number), max_iter (integer)" for hints */
static char *
list_params(const MLParamSpec *spec)
{
	MLBuffer	b;

	buffer_init(&b);
	for (int i = 0; spec[i].name; i++)
		buffer_printf(&b, "%s%s (%s)", i ? ", " : "Valid parameters: ",
					  spec[i].name, type_name(spec[i].type));
	buffer_printf(&b, "%s", b.len == 0 ? "This algorithm takes no parameters." : ".");
	buffer_put_u8(&b, '\0');
	return (char *) b.data;
}

static bool
choice_ok(const char *choices, const char *v)
{
	size_t		n = strlen(v);
	const char *p = choices;

	while (p && *p)
	{
		const char *e = strchr(p, ',');
		size_t		len = e ? (size_t) (e - p) : strlen(p);

		if (len == n && strncmp(p, v, n) == 0)
			return true;
		p = e ? e + 1 : NULL;
	}
	return false;
}

MLParams *
params_resolve(const char *learner, const MLParamSpec *spec,
			   const MLParamValue *given, size_t n_given)
{
	MLParams   *p = ml_alloc(sizeof(MLParams));
	int			n = 0;

	while (spec[n].name)
		n++;
	p->spec = spec;
	p->n = n;
	p->num = ml_alloc(sizeof(double) * (n ? n : 1));
	p->str = ml_alloc(sizeof(char *) * (n ? n : 1));
	for (int i = 0; i < n; i++)
	{
		p->num[i] = spec[i].def;
		p->str[i] = spec[i].def_str;
	}

	for (size_t g = 0; g < n_given; g++)
	{
		const MLParamValue *v = &given[g];
		const MLParamSpec *s = NULL;
		int			i;

		for (i = 0; i < n; i++)
			if (strcmp(spec[i].name, v->name) == 0)
			{
				s = &spec[i];
				break;
			}
		if (s == NULL)
			ml_error(ML_ERR_PARAM, list_params(spec),
					 "unknown parameter \"%s\" for algorithm \"%s\"", v->name, learner);

		switch (s->type)
		{
			case ML_PARAM_INT:
			case ML_PARAM_FLOAT:
				if (v->kind != ML_VALUE_NUMBER)
					ml_error(ML_ERR_PARAM, list_params(spec),
							 "parameter \"%s\" of algorithm \"%s\" must be %s",
							 v->name, learner, a_type_name(s->type));
				if (!isfinite(v->num))
					ml_error(ML_ERR_PARAM, NULL,
							 "parameter \"%s\" of algorithm \"%s\" must be finite",
							 v->name, learner);
				if (s->type == ML_PARAM_INT && v->num != floor(v->num))
					ml_error(ML_ERR_PARAM, NULL,
							 "parameter \"%s\" of algorithm \"%s\" must be an integer, got %g",
							 v->name, learner, v->num);
				if (v->num < s->min || v->num > s->max)
				{
					MLBuffer	h;

					buffer_init(&h);
					buffer_printf(&h, "Valid range is %g .. %g.", s->min, s->max);
					buffer_put_u8(&h, '\0');
					ml_error(ML_ERR_PARAM, (char *) h.data,
							 "parameter \"%s\" of algorithm \"%s\" is out of range: %g",
							 v->name, learner, v->num);
				}
				p->num[i] = v->num;
				break;
			case ML_PARAM_BOOL:
				if (v->kind != ML_VALUE_BOOL)
					ml_error(ML_ERR_PARAM, list_params(spec),
							 "parameter \"%s\" of algorithm \"%s\" must be a boolean",
							 v->name, learner);
				p->num[i] = v->num;
				break;
			case ML_PARAM_JSON:
				{
					bool		want_obj = s->choices && strcmp(s->choices, "object") == 0;
					bool		want_arr = s->choices && strcmp(s->choices, "array") == 0;
					bool		is_obj = v->json && v->json[0] == '{';
					bool		is_arr = v->json && v->json[0] == '[';

					if (!(is_obj || is_arr) || (want_obj && !is_obj) || (want_arr && !is_arr))
						ml_error(ML_ERR_PARAM, s->doc,
								 "parameter \"%s\" of algorithm \"%s\" must be a JSON %s",
								 v->name, learner, want_obj ? "object" : want_arr ? "array" : "object or array");
					p->str[i] = ml_strdup(v->json);
					break;
				}
			case ML_PARAM_CLASS_WEIGHT:
				if (v->kind == ML_VALUE_MAP)
				{
					p->n_map = v->n_map;
					p->map_keys = ml_alloc(sizeof(char *) * (v->n_map ? v->n_map : 1));
					p->map_vals = ml_alloc(sizeof(double) * (v->n_map ? v->n_map : 1));
					for (int j = 0; j < v->n_map; j++)
					{
						if (!isfinite(v->map_vals[j]) || v->map_vals[j] <= 0)
							ml_error(ML_ERR_PARAM,
									 "Each class weight is a positive number, for example {\"yes\": 5}.",
									 "weight of class \"%s\" in parameter \"%s\" of algorithm \"%s\" must be a positive number",
									 v->map_keys[j], v->name, learner);
						p->map_keys[j] = ml_strdup(v->map_keys[j]);
						p->map_vals[j] = v->map_vals[j];
					}
					if (v->n_map == 0)
						ml_error(ML_ERR_PARAM, "Name at least one class, for example {\"yes\": 5}.",
								 "parameter \"%s\" of algorithm \"%s\" is an empty map",
								 v->name, learner);
					p->str[i] = "map";
					break;
				}
				/* FALLTHROUGH */
			case ML_PARAM_STRING:
				if (v->kind != ML_VALUE_STRING && s->type == ML_PARAM_STRING && s->choices == NULL)
				{
					char	   *list = list_text(v);

					if (list)
					{
						p->str[i] = list;
						break;
					}
					ml_error(ML_ERR_PARAM, s->doc,
							 "parameter \"%s\" of algorithm \"%s\" must be a string, a number or an array of them",
							 v->name, learner);
				}
				if (v->kind != ML_VALUE_STRING)
					ml_error(ML_ERR_PARAM, NULL,
							 "parameter \"%s\" of algorithm \"%s\" must be %s",
							 v->name, learner, a_type_name(s->type));
				if (s->choices && !choice_ok(s->choices, v->str))
				{
					MLBuffer	h;

					buffer_init(&h);
					buffer_printf(&h, "Valid values: %s.", s->choices);
					buffer_put_u8(&h, '\0');
					ml_error(ML_ERR_PARAM, (char *) h.data,
							 "invalid value \"%s\" for parameter \"%s\" of algorithm \"%s\"",
							 v->str, v->name, learner);
				}
				p->str[i] = ml_strdup(v->str);
				break;
		}
	}
	return p;
}

static int
find(const MLParams *p, const char *name)
{
	for (int i = 0; i < p->n; i++)
		if (strcmp(p->spec[i].name, name) == 0)
			return i;
	ml_error(ML_ERR_INTERNAL, NULL, "parameter \"%s\" is not declared", name);
}

double
params_get_num(const MLParams *p, const char *name)
{
	return p->num[find(p, name)];
}

const char *
params_get_str(const MLParams *p, const char *name)
{
	return p->str[find(p, name)];
}

static int
find_type(const MLParams *p, MLParamType t)
{
	for (int i = 0; i < p->n; i++)
		if (p->spec[i].type == t)
			return i;
	return -1;
}

void
params_bind_classes(MLParams *p, char *const *labels, int n_classes)
{
	if (p->n_map == 0 || n_classes <= 0)
		return;
	p->n_classes = n_classes;
	p->class_w = ml_alloc(sizeof(double) * n_classes);
	for (int c = 0; c < n_classes; c++)
		p->class_w[c] = 1.0;
	for (int j = 0; j < p->n_map; j++)
	{
		int			c;

		for (c = 0; c < n_classes; c++)
			if (strcmp(labels[c], p->map_keys[j]) == 0)
				break;
		if (c == n_classes)
		{
			MLBuffer	h;

			buffer_init(&h);
			buffer_printf(&h, "The classes are:");
			for (int k = 0; k < n_classes && k < 20; k++)
				buffer_printf(&h, "%s \"%s\"", k ? "," : "", labels[k]);
			buffer_printf(&h, "%s.", n_classes > 20 ? ", ..." : "");
			buffer_put_u8(&h, '\0');
			ml_error(ML_ERR_PARAM, (char *) h.data,
					 "class_weight names class \"%s\", which is not in the target",
					 p->map_keys[j]);
		}
		p->class_w[c] = p->map_vals[j];
	}
}

double *
params_class_weights_counts(const MLParams *p, const double *count, int k, double n)
{
	int			i = find_type(p, ML_PARAM_CLASS_WEIGHT);
	double	   *cw;

	if (i < 0 || k <= 0 || strcmp(p->str[i], "none") == 0)
		return NULL;
	cw = ml_alloc(sizeof(double) * k);
	if (strcmp(p->str[i], "balanced") == 0)
	{
		for (int c = 0; c < k; c++)
			cw[c] = n / (k * (count[c] > 0 ? count[c] : 1));
	}
	else
	{
		if (p->class_w == NULL || p->n_classes != k)
			ml_error(ML_ERR_INTERNAL, NULL, "class_weight map is not bound to the classes");
		memcpy(cw, p->class_w, sizeof(double) * k);
	}
	return cw;
}

double *
params_class_weights(const MLParams *p, const MLDataset *train)
{
	int			k = train->n_classes;
	double	   *cnt,
			   *cw;

	if (k <= 0)
		return NULL;
	cnt = ml_alloc(sizeof(double) * k);
	for (size_t r = 0; r < train->n_rows; r++)
		cnt[(int) train->y[r]]++;
	cw = params_class_weights_counts(p, cnt, k, (double) train->n_rows);
	ml_free(cnt);
	return cw;
}

double *
params_row_weights(const MLParams *p, const MLDataset *train)
{
	size_t		n = train->n_rows;
	double	   *w = ml_alloc(sizeof(double) * (n ? n : 1));
	double	   *cw = params_class_weights(p, train);

	for (size_t r = 0; r < n; r++)
		w[r] = cw ? cw[(int) train->y[r]] : 1.0;
	if (cw)
		ml_free(cw);
	return w;
}

void
params_to_json(const MLParams *p, MLBuffer *out)
{
	buffer_put_u8(out, '{');
	for (int i = 0; i < p->n; i++)
	{
		const MLParamSpec *s = &p->spec[i];

		if (i > 0)
			buffer_printf(out, ", ");
		buffer_json_str(out, s->name);
		buffer_printf(out, ": ");
		switch (s->type)
		{
			case ML_PARAM_INT:
				buffer_printf(out, "%.0f", p->num[i]);
				break;
			case ML_PARAM_FLOAT:
				buffer_json_num(out, p->num[i]);
				break;
			case ML_PARAM_BOOL:
				buffer_printf(out, "%s", p->num[i] != 0 ? "true" : "false");
				break;
			case ML_PARAM_CLASS_WEIGHT:
				if (p->n_map > 0 && strcmp(p->str[i], "map") == 0)
				{
					buffer_put_u8(out, '{');
					for (int j = 0; j < p->n_map; j++)
					{
						buffer_printf(out, "%s", j ? ", " : "");
						buffer_json_str(out, p->map_keys[j]);
						buffer_printf(out, ": ");
						buffer_json_num(out, p->map_vals[j]);
					}
					buffer_put_u8(out, '}');
					break;
				}
				/* FALLTHROUGH */
			case ML_PARAM_STRING:
			case ML_PARAM_JSON:
				if (p->str[i] && s->type == ML_PARAM_JSON)
					buffer_printf(out, "%s", p->str[i]);
				else if (p->str[i])
					buffer_json_str(out, p->str[i]);
				else
					buffer_printf(out, "null");
				break;
		}
	}
	buffer_put_u8(out, '}');
}

MLParams *
params_from_json(const char *label, const MLParamSpec *spec, const MLJson *obj,
				 const char *const *skip)
{
	MLParamValue *vals = ml_alloc(sizeof(MLParamValue) * (size_t) (obj->n ? obj->n : 1));
	size_t		n = 0;

	for (int i = 0; i < obj->n; i++)
	{
		const MLJson *v = obj->items[i];
		MLParamValue *p;
		bool		skipped = false;

		for (const char *const *s = skip; s && *s; s++)
			if (strcmp(*s, obj->keys[i]) == 0)
				skipped = true;
		if (skipped)
			continue;
		p = &vals[n++];
		p->name = obj->keys[i];
		switch (v->type)
		{
			case ML_JSON_NUMBER:
				p->kind = ML_VALUE_NUMBER;
				p->num = v->num;
				break;
			case ML_JSON_BOOL:
				p->kind = ML_VALUE_BOOL;
				p->num = v->num;
				break;
			case ML_JSON_STRING:
				p->kind = ML_VALUE_STRING;
				p->str = v->str;
				break;
			case ML_JSON_OBJECT:
				{
					const char **keys = ml_alloc(sizeof(char *) * (size_t) (v->n ? v->n : 1));
					double	   *nums = ml_alloc(sizeof(double) * (size_t) (v->n ? v->n : 1));

					for (int j = 0; j < v->n; j++)
					{
						keys[j] = v->keys[j];
						nums[j] = v->items[j]->type == ML_JSON_NUMBER ? v->items[j]->num : NAN;
					}
					p->kind = ML_VALUE_MAP;
					p->n_map = v->n;
					p->map_keys = keys;
					p->map_vals = nums;
					p->json = json_text(v);
					break;
				}
			case ML_JSON_ARRAY:
				p->kind = ML_VALUE_OTHER;
				p->json = json_text(v);
				break;
			default:
				p->kind = ML_VALUE_OTHER;
				break;
		}
	}
	return params_resolve(label, spec, vals, n);
}
