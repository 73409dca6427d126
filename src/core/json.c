/*-------------------------------------------------------------------------
 *
 * json.c
 *	  Recursive-descent JSON reader (RFC 8259), bounded in depth.
 *
 *-------------------------------------------------------------------------
 */
#include "json.h"

#include <stdlib.h>
#include <string.h>

typedef struct Parser
{
	const char *s;
	size_t		len;
	size_t		pos;
	const char *what;
} Parser;

static void
fail(Parser *p, const char *msg)
{
	ml_error(ML_ERR_PARAM, "Check the JSON syntax: strings in double quotes, no trailing commas.",
			 "invalid JSON in %s at character %zu: %s", p->what, p->pos + 1, msg);
}

static void
skip_ws(Parser *p)
{
	while (p->pos < p->len && (p->s[p->pos] == ' ' || p->s[p->pos] == '\t' ||
							   p->s[p->pos] == '\n' || p->s[p->pos] == '\r'))
		p->pos++;
}

static bool
match(Parser *p, const char *word)
{
	size_t		n = strlen(word);

	if (p->len - p->pos >= n && memcmp(p->s + p->pos, word, n) == 0)
	{
		p->pos += n;
		return true;
	}
	return false;
}

static int
hex4(Parser *p)
{
	int			v = 0;

	if (p->len - p->pos < 4)
		fail(p, "short \\u escape");
	for (int i = 0; i < 4; i++)
	{
		char		c = p->s[p->pos++];

		v <<= 4;
		if (c >= '0' && c <= '9')
			v |= c - '0';
		else if (c >= 'a' && c <= 'f')
			v |= c - 'a' + 10;
		else if (c >= 'A' && c <= 'F')
			v |= c - 'A' + 10;
		else
			fail(p, "bad \\u escape");
	}
	return v;
}

static size_t
put_utf8(char *out, unsigned cp)
{
	if (cp < 0x80)
	{
		out[0] = (char) cp;
		return 1;
	}
	if (cp < 0x800)
	{
		out[0] = (char) (0xC0 | (cp >> 6));
		out[1] = (char) (0x80 | (cp & 0x3F));
		return 2;
	}
	if (cp < 0x10000)
	{
		out[0] = (char) (0xE0 | (cp >> 12));
		out[1] = (char) (0x80 | ((cp >> 6) & 0x3F));
		out[2] = (char) (0x80 | (cp & 0x3F));
		return 3;
	}
	out[0] = (char) (0xF0 | (cp >> 18));
	out[1] = (char) (0x80 | ((cp >> 12) & 0x3F));
	out[2] = (char) (0x80 | ((cp >> 6) & 0x3F));
	out[3] = (char) (0x80 | (cp & 0x3F));
	return 4;
}

/* a string; p->pos is at the opening quote */
static char *
parse_string(Parser *p)
{
	size_t		start = ++p->pos;
	size_t		end = start;
	char	   *out;
	size_t		o = 0;

	/* find the end first: the decoded string is never longer */
	while (end < p->len && p->s[end] != '"')
		end += p->s[end] == '\\' ? 2 : 1;
	if (end >= p->len)
		fail(p, "unterminated string");
	out = ml_alloc(end - start + 1);
	while (p->s[p->pos] != '"')
	{
		unsigned char c = (unsigned char) p->s[p->pos++];

		if (c < 0x20)
			fail(p, "control character in a string");
		if (c != '\\')
		{
			out[o++] = (char) c;
			continue;
		}
		c = (unsigned char) p->s[p->pos++];
		switch (c)
		{
			case '"':
			case '\\':
			case '/':
				out[o++] = (char) c;
				break;
			case 'b':
				out[o++] = '\b';
				break;
			case 'f':
				out[o++] = '\f';
				break;
			case 'n':
				out[o++] = '\n';
				break;
			case 'r':
				out[o++] = '\r';
				break;
			case 't':
				out[o++] = '\t';
				break;
			case 'u':
				{
					unsigned	cp = (unsigned) hex4(p);

					if (cp >= 0xD800 && cp < 0xDC00)
					{
						unsigned	lo;

						if (!match(p, "\\u"))
							fail(p, "lone surrogate");
						lo = (unsigned) hex4(p);
						if (lo < 0xDC00 || lo > 0xDFFF)
							fail(p, "bad surrogate pair");
						cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
					}
					else if (cp >= 0xDC00 && cp < 0xE000)
						fail(p, "lone surrogate");
					if (cp == 0)
						fail(p, "\\u0000 is not allowed");
					/* 6 escape characters give at most 4 bytes */
					o += put_utf8(out + o, cp);
					break;
				}
			default:
				fail(p, "bad escape");
		}
	}
	p->pos++;
	out[o] = '\0';
	return out;
}

static double
parse_number(Parser *p)
{
	size_t		start = p->pos;
	char		buf[64];
	size_t		n;

	if (p->s[p->pos] == '-')
		p->pos++;
	if (p->pos >= p->len || p->s[p->pos] < '0' || p->s[p->pos] > '9')
		fail(p, "bad number");
	if (p->s[p->pos] == '0')
		p->pos++;
	else
		while (p->pos < p->len && p->s[p->pos] >= '0' && p->s[p->pos] <= '9')
			p->pos++;
	if (p->pos < p->len && p->s[p->pos] == '.')
	{
		p->pos++;
		if (p->pos >= p->len || p->s[p->pos] < '0' || p->s[p->pos] > '9')
			fail(p, "bad number");
		while (p->pos < p->len && p->s[p->pos] >= '0' && p->s[p->pos] <= '9')
			p->pos++;
	}
	if (p->pos < p->len && (p->s[p->pos] == 'e' || p->s[p->pos] == 'E'))
	{
		p->pos++;
		if (p->pos < p->len && (p->s[p->pos] == '+' || p->s[p->pos] == '-'))
			p->pos++;
		if (p->pos >= p->len || p->s[p->pos] < '0' || p->s[p->pos] > '9')
			fail(p, "bad number");
		while (p->pos < p->len && p->s[p->pos] >= '0' && p->s[p->pos] <= '9')
			p->pos++;
	}
	n = p->pos - start;
	if (n >= sizeof(buf))
		fail(p, "number too long");
	memcpy(buf, p->s + start, n);
	buf[n] = '\0';
	return strtod(buf, NULL);
}

static MLJson *parse_value(Parser *p, int depth);

static void
add_item(MLJson *v, int *cap, char *key, MLJson *item)
{
	if (v->n == *cap)
	{
		*cap = *cap ? *cap * 2 : 4;
		v->items = ml_realloc(v->items, sizeof(MLJson *) * (size_t) *cap);
		if (v->type == ML_JSON_OBJECT)
			v->keys = ml_realloc(v->keys, sizeof(char *) * (size_t) *cap);
	}
	if (v->type == ML_JSON_OBJECT)
		v->keys[v->n] = key;
	v->items[v->n++] = item;
}

static MLJson *
parse_value(Parser *p, int depth)
{
	MLJson	   *v = ml_alloc(sizeof(MLJson));
	size_t		start;

	if (depth > ML_JSON_MAX_DEPTH)
		fail(p, "nested too deeply");
	skip_ws(p);
	if (p->pos >= p->len)
		fail(p, "unexpected end");
	start = p->pos;
	switch (p->s[p->pos])
	{
		case '{':
		case '[':
			{
				bool		obj = p->s[p->pos] == '{';
				char		close = obj ? '}' : ']';
				int			cap = 0;

				v->type = obj ? ML_JSON_OBJECT : ML_JSON_ARRAY;
				p->pos++;
				skip_ws(p);
				if (p->pos < p->len && p->s[p->pos] == close)
				{
					p->pos++;
					break;
				}
				for (;;)
				{
					char	   *key = NULL;

					skip_ws(p);
					if (obj)
					{
						if (p->pos >= p->len || p->s[p->pos] != '"')
							fail(p, "expected a member name");
						key = parse_string(p);
						for (int i = 0; i < v->n; i++)
							if (strcmp(v->keys[i], key) == 0)
								fail(p, "duplicate member name");
						skip_ws(p);
						if (p->pos >= p->len || p->s[p->pos] != ':')
							fail(p, "expected ':'");
						p->pos++;
					}
					add_item(v, &cap, key, parse_value(p, depth + 1));
					skip_ws(p);
					if (p->pos < p->len && p->s[p->pos] == ',')
					{
						p->pos++;
						continue;
					}
					if (p->pos < p->len && p->s[p->pos] == close)
					{
						p->pos++;
						break;
					}
					fail(p, obj ? "expected ',' or '}'" : "expected ',' or ']'");
				}
				break;
			}
		case '"':
			v->type = ML_JSON_STRING;
			v->str = parse_string(p);
			break;
		case 't':
		case 'f':
		case 'n':
			if (match(p, "true"))
			{
				v->type = ML_JSON_BOOL;
				v->num = 1;
			}
			else if (match(p, "false"))
				v->type = ML_JSON_BOOL;
			else if (match(p, "null"))
				v->type = ML_JSON_NULL;
			else
				fail(p, "unexpected word");
			break;
		default:
			v->type = ML_JSON_NUMBER;
			v->num = parse_number(p);
			break;
	}
	v->text = p->s + start;
	v->len = p->pos - start;
	return v;
}

MLJson *
json_parse(const char *text, size_t len, const char *what)
{
	Parser		p = {text, len, 0, what};
	MLJson	   *v = parse_value(&p, 0);

	skip_ws(&p);
	if (p.pos != p.len)
		fail(&p, "text after the value");
	return v;
}

const MLJson *
json_get(const MLJson *obj, const char *key)
{
	if (obj == NULL || obj->type != ML_JSON_OBJECT)
		return NULL;
	for (int i = 0; i < obj->n; i++)
		if (strcmp(obj->keys[i], key) == 0)
			return obj->items[i];
	return NULL;
}

char *
json_text(const MLJson *v)
{
	char	   *s = ml_alloc(v->len + 1);

	memcpy(s, v->text, v->len);
	return s;
}

const char *
json_type_name(MLJsonType t)
{
	switch (t)
	{
		case ML_JSON_NULL:
			return "null";
		case ML_JSON_BOOL:
			return "boolean";
		case ML_JSON_NUMBER:
			return "number";
		case ML_JSON_STRING:
			return "string";
		case ML_JSON_ARRAY:
			return "array";
		case ML_JSON_OBJECT:
			return "object";
	}
	return "?";
}

bool
json_equal(const MLJson *a, const MLJson *b)
{
	if (a->type != b->type)
		return false;
	switch (a->type)
	{
		case ML_JSON_NULL:
			return true;
		case ML_JSON_BOOL:
		case ML_JSON_NUMBER:
			return a->num == b->num;
		case ML_JSON_STRING:
			return strcmp(a->str, b->str) == 0;
		case ML_JSON_ARRAY:
			if (a->n != b->n)
				return false;
			for (int i = 0; i < a->n; i++)
				if (!json_equal(a->items[i], b->items[i]))
					return false;
			return true;
		case ML_JSON_OBJECT:
			if (a->n != b->n)
				return false;
			for (int i = 0; i < a->n; i++)
			{
				const MLJson *o = json_get(b, a->keys[i]);

				if (o == NULL || !json_equal(a->items[i], o))
					return false;
			}
			return true;
	}
	return false;
}
