/*
 * test_engine.c
 *	  Unit tests of src/core/engine.c, the aggregate engine's core: engine
 *	  states split into parts and merged equal to the whole, the split of a
 *	  row equal to the memory engine's, and bytes that fail their checksum.
 */
#include <stdlib.h>
#include <string.h>

#include "unit.h"
#include "tests.h"
#include "core/buffer.h"
#include "core/dataset.h"
#include "core/engine.h"
#include "core/rng.h"
#include "core/sketch.h"

/* a STATS pass split into parts and merged (through bytes) equals the whole; a flipped byte is an error */
void
test_engine_merge(void)
{
	MLEngineConfig cfg = {0};
	MLColKind	kinds[3] = {ML_COL_NUMERIC, ML_COL_CATEGORICAL, ML_COL_NUMERIC};
	char	   *names[3] = {"a", "b", "c"};
	MLBuffer	cb;
	MLEngineConfig *c;
	MLEngineState *whole,
			   *part[3],
			   *merged;
	MLRng		rng;
	MLBuffer	w,
				m;

	cfg.pass = ML_PASS_STATS;
	cfg.seed = 42;
	cfg.test_size = 0.25;
	cfg.n_cols = 3;
	cfg.kinds = kinds;
	cfg.names = names;
	cfg.target = 1;
	buffer_init(&cb);
	engine_config_write(&cfg, &cb);
	c = engine_config_read(cb.data, cb.len);
	CHECK(c->n_num == 2 && c->n_cat == 1 && c->slot[2] == 1);
	whole = engine_state_new(c);
	for (int i = 0; i < 3; i++)
		part[i] = engine_state_new(c);
	ml_rng_seed(&rng, 5);
	for (int i = 0; i < 3000; i++)
	{
		double		num[2] = {floor(ml_rng_uniform(&rng) * 50), i % 13 ? ml_rng_uniform(&rng) : NAN};
		char		s[8];
		const char *cat[1] = {s};
		size_t		len[1];

		snprintf(s, sizeof(s), "k%d", i % 9);
		len[0] = strlen(s);
		engine_add(whole, num, cat, len, num[0] * 2 + 1, NULL);
		engine_add(part[i % 3], num, cat, len, num[0] * 2 + 1, NULL);
	}
	/* merge through bytes, as workers hand their states over */
	merged = engine_state_new(c);
	for (int i = 0; i < 3; i++)
	{
		MLBuffer	pb;

		buffer_init(&pb);
		engine_state_write(part[i], &pb);
		engine_merge(merged, engine_state_read(c, pb.data, pb.len));
		free(pb.data);
	}
	CHECK(merged->rows == 3000 && merged->n_train == whole->n_train && merged->n_test == whole->n_test);
	CHECK(merged->fingerprint == whole->fingerprint && merged->test_fp == whole->test_fp);
	CHECK(whole->n_test > 600 && whole->n_test < 900);
	CHECK_NEAR(merged->num_train[1].mean, whole->num_train[1].mean, 1e-12);
	CHECK(num_sketch_quantile(&merged->num_all[0], 0.5) == num_sketch_quantile(&whole->num_all[0], 0.5));
	CHECK(cat_sketch_distinct(&merged->cat_train[0]) == 9);
	/* the split of a row is the memory engine's: raw_row_hash of the same values */
	{
		double		n0 = 3,
					n1 = 0.5,
					y = 7;
		char	   *str = "k1";
		MLRawColumn rc[3] = {{.kind = ML_COL_NUMERIC, .num = &n0},
		{.kind = ML_COL_CATEGORICAL, .str = &str}, {.kind = ML_COL_NUMERIC, .num = &n1}};
		double		num[2] = {n0, n1};
		const char *cat[1] = {str};
		uint64_t	h;

		(void) engine_row_split(c, num, cat, y, NULL, &h);
		CHECK(h == raw_row_hash(rc, 3, &y, NULL, 0, 42));
	}
	/* every flipped byte fails the checksum or a bound, never reads garbage */
	buffer_init(&w);
	engine_state_write(whole, &w);
	for (size_t i = 0; i < w.len; i += 7)
	{
		buffer_init(&m);
		buffer_put_bytes(&m, w.data, w.len);
		m.data[i] ^= 0x5a;
		EXPECT_ERROR(ML_ERR_CORRUPT, (void) engine_state_read(c, m.data, m.len));
		free(m.data);
	}
	EXPECT_ERROR(ML_ERR_CORRUPT, (void) engine_config_read(cb.data, cb.len - 3));
	free(w.data);
	free(cb.data);
}
