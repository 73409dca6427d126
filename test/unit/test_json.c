/*
 * test_json.c
 *	  Unit tests of src/core/json.c: the JSON reader's values, spans and
 *	  escapes, and every kind of bad text it refuses.
 */
#include <string.h>

#include "unit.h"
#include "tests.h"
#include "core/json.h"

/* the JSON reader: values, spans, escapes, and every kind of bad text */
void
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
