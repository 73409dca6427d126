/*-------------------------------------------------------------------------
 *
 * engine_bytes.c
 *	  The aggregate engine's config and state bytes (see engine.h).
 *
 * Config bytes: "MLEC", u16 version, the fields of MLEngineConfig in
 * order, CRC-32C.  State bytes: "MLES", u16 version, u8 pass, the pass's
 * payload, CRC-32C.  Both are read with every count bounded by the bytes
 * left and the checksum verified first: forged bytes are an error.
 *
 *-------------------------------------------------------------------------
 */

#include "engine.h"
#include "engine_internal.h"

#include <stdlib.h>
#include <string.h>

#define ENGINE_MAX_COLS 100000

/* ---- config bytes ---- */

static void
put_doubles(MLBuffer *b, const double *v, size_t n)
{
	buffer_put_u8(b, v != NULL);
	if (v)
		buffer_put_f64s(b, v, n);
}

static double *
get_doubles(MLReader *r, size_t n)
{
	if (reader_u8(r) == 0)
		return NULL;
	return reader_f64s(r, n);
}

void
engine_config_write(const MLEngineConfig *c, MLBuffer *out)
{
	size_t		start = out->len;
	uint32_t	crc;

	buffer_put_bytes(out, "MLEC", 4);
	buffer_put_u16(out, ENGINE_VERSION);
	buffer_put_u8(out, (uint8_t) c->pass);
	buffer_put_u64(out, c->seed);
	buffer_put_f64(out, c->test_size);
	buffer_put_u32(out, (uint32_t) c->n_cols);
	for (int i = 0; i < c->n_cols; i++)
	{
		buffer_put_u8(out, (uint8_t) c->kinds[i]);
		buffer_put_str(out, c->names[i]);
	}
	buffer_put_u8(out, (uint8_t) c->target);
	buffer_put_u8(out, (uint8_t) c->task);
	buffer_put_u8(out, (uint8_t) c->label_type);
	buffer_put_u32(out, (uint32_t) c->n_classes);
	for (int i = 0; i < c->n_classes; i++)
	{
		buffer_put_str(out, c->class_labels[i]);
		buffer_put_f64(out, c->class_values ? c->class_values[i] : 0);
	}
	buffer_put_u8(out, c->pipeline != NULL);
	if (c->pipeline)
		pipeline_write(c->pipeline, out);
	buffer_put_str(out, c->algorithm ? c->algorithm : "");
	buffer_put_str(out, c->params ? c->params : "{}");
	buffer_put_u32(out, (uint32_t) c->buckets);
	put_doubles(out, c->mean, c->p);
	put_doubles(out, c->scale, c->p);
	buffer_put_f64(out, c->y_mean);
	buffer_put_u32(out, (uint32_t) c->K);
	put_doubles(out, c->theta, (c->p + 1) * (size_t) c->K);
	put_doubles(out, c->class_weight, (size_t) c->n_classes);
	buffer_put_u32(out, (uint32_t) c->k);
	put_doubles(out, c->centers, (size_t) c->k * c->p);
	buffer_put_u32(out, (uint32_t) c->n_scored);
	for (int m = 0; m < c->n_scored; m++)
	{
		const MLEngineScored *s = &c->scored[m];
		MLBuffer	mb;

		buffer_init(&mb);
		model_write(s->model, &mb);
		buffer_put_u32(out, (uint32_t) mb.len);
		buffer_put_bytes(out, mb.data, mb.len);
		buffer_put_f64(out, s->model->threshold);
		for (int i = 0; i < s->model->pipeline->n_cols; i++)
		{
			buffer_put_u32(out, (uint32_t) s->col[i]);
			buffer_put_f64(out, s->factor[i]);
		}
		ml_free(mb.data);
	}
	crc = crc32c(0, out->data + start, out->len - start);
	buffer_put_u32(out, crc);
}

static void
check_crc(const uint8_t *data, size_t len, const char *what)
{
	uint32_t	crc;

	if (len < 10)
		ml_error(ML_ERR_CORRUPT, NULL, "%s bytes are truncated", what);
	memcpy(&crc, data + len - 4, 4);
	if (crc32c(0, data, len - 4) != crc)
		ml_error(ML_ERR_CORRUPT, NULL, "%s bytes fail their checksum", what);
}

MLEngineConfig *
engine_config_read(const uint8_t *data, size_t len)
{
	MLEngineConfig *c = ml_alloc(sizeof(MLEngineConfig));
	MLReader	r;
	int			nn = 0,
				nc = 0;

	check_crc(data, len, "engine config");
	reader_init(&r, data, len - 4);
	if (memcmp(reader_bytes(&r, 4), "MLEC", 4) != 0)
		ml_error(ML_ERR_CORRUPT, NULL, "bytes are not an engine config");
	if (reader_u16(&r) != ENGINE_VERSION)
		ml_error(ML_ERR_CORRUPT, NULL, "engine config of another version");
	c->pass = (MLEnginePass) reader_u8(&r);
	if (c->pass < ML_PASS_STATS || c->pass > ML_PASS_ROWS)
		ml_error(ML_ERR_CORRUPT, NULL, "engine config names an unknown pass");
	c->seed = reader_u64(&r);
	c->test_size = reader_f64(&r);
	if (!(c->test_size >= 0 && c->test_size < 1))
		ml_error(ML_ERR_CORRUPT, NULL, "engine config has a bad test size");
	c->n_cols = (int) reader_count(&r, 2, ENGINE_MAX_COLS);
	c->kinds = ml_alloc(sizeof(MLColKind) * (c->n_cols + 1));
	c->names = ml_alloc(sizeof(char *) * (c->n_cols + 1));
	c->slot = ml_alloc(sizeof(int) * (c->n_cols + 1));
	for (int i = 0; i < c->n_cols; i++)
	{
		c->kinds[i] = (MLColKind) reader_u8(&r);
		if (c->kinds[i] != ML_COL_NUMERIC && c->kinds[i] != ML_COL_CATEGORICAL)
			ml_error(ML_ERR_CORRUPT, NULL, "engine config has a bad column kind");
		c->names[i] = reader_str(&r, ML_MAX_NAME);
		c->slot[i] = c->kinds[i] == ML_COL_NUMERIC ? nn++ : nc++;
	}
	c->n_num = nn;
	c->n_cat = nc;
	c->target = reader_u8(&r);
	c->task = (MLTask) reader_u8(&r);
	c->label_type = (MLLabelType) reader_u8(&r);
	if (c->target > 2 || c->task > ML_ANOMALY || c->label_type > ML_LABEL_TEXT ||
		(c->task < ML_REGRESSION && c->pass != ML_PASS_STATS))
		ml_error(ML_ERR_CORRUPT, NULL, "engine config has a bad target");
	c->n_classes = (int) reader_count(&r, 5, ML_ENGINE_MAX_CLASSES);
	c->class_labels = ml_alloc(sizeof(char *) * (c->n_classes + 1));
	c->class_values = ml_alloc(sizeof(double) * (c->n_classes + 1));
	for (int i = 0; i < c->n_classes; i++)
	{
		c->class_labels[i] = reader_str(&r, ML_MAX_NAME * 16);
		c->class_values[i] = reader_f64(&r);
		if (i > 0 && (c->target == 2 ? strcmp(c->class_labels[i - 1], c->class_labels[i]) >= 0
					  : !(c->class_values[i - 1] < c->class_values[i])))
			ml_error(ML_ERR_CORRUPT, NULL, "engine config classes are not sorted");
	}
	if (reader_u8(&r))
	{
		c->pipeline = pipeline_read(&r);
		if (c->pipeline->n_cols != c->n_cols)
			ml_error(ML_ERR_CORRUPT, NULL, "engine config pipeline has %d columns, not %d",
					 c->pipeline->n_cols, c->n_cols);
		for (int i = 0; i < c->n_cols; i++)
			if (c->pipeline->cols[i].kind != c->kinds[i])
				ml_error(ML_ERR_CORRUPT, NULL, "engine config pipeline column %d has another kind", i + 1);
		c->p = (size_t) c->pipeline->n_out;
	}
	c->algorithm = reader_str(&r, 64);
	c->params = reader_str(&r, 1 << 20);
	c->buckets = (int) reader_u32(&r);
	if (c->buckets < 0 || c->buckets > 100000)
		ml_error(ML_ERR_CORRUPT, NULL, "engine config has a bad bucket count");
	c->mean = get_doubles(&r, c->p);
	c->scale = get_doubles(&r, c->p);
	c->y_mean = reader_f64(&r);
	c->K = (int) reader_u32(&r);
	if (c->K < 0 || (c->K > 0 && (c->p + 1) * (size_t) c->K > ML_ENGINE_MAX_NEWTON))
		ml_error(ML_ERR_CORRUPT, NULL, "engine config has a bad weight count");
	c->theta = get_doubles(&r, (c->p + 1) * (size_t) c->K);
	c->class_weight = get_doubles(&r, (size_t) c->n_classes);
	c->k = (int) reader_u32(&r);
	if (c->k < 0 || c->k > 100000)
		ml_error(ML_ERR_CORRUPT, NULL, "engine config has a bad center count");
	c->centers = get_doubles(&r, ml_mul_size((size_t) c->k, c->p));
	c->n_scored = (int) reader_u32(&r);
	if (c->n_scored < 0 || c->n_scored > 3)
		ml_error(ML_ERR_CORRUPT, NULL, "engine config scores a bad number of models");
	for (int m = 0; m < c->n_scored; m++)
	{
		MLEngineScored *s = &c->scored[m];
		size_t		ml = reader_u32(&r);
		const uint8_t *mb = reader_bytes(&r, ml);

		s->model = model_read(mb, ml);
		if (s->model->n_classes > ML_ENGINE_MAX_CLASSES)
			ml_error(ML_ERR_CORRUPT, NULL, "engine config scores a model of %d classes", s->model->n_classes);
		s->model->threshold = reader_f64(&r);
		s->col = ml_alloc(sizeof(int) * (s->model->pipeline->n_cols + 1));
		s->factor = ml_alloc(sizeof(double) * (s->model->pipeline->n_cols + 1));
		for (int i = 0; i < s->model->pipeline->n_cols; i++)
		{
			s->col[i] = (int) reader_u32(&r);
			s->factor[i] = reader_f64(&r);
			if (s->col[i] < 0 || s->col[i] >= c->n_cols ||
				c->kinds[s->col[i]] != s->model->pipeline->cols[i].kind)
				ml_error(ML_ERR_CORRUPT, NULL, "engine config maps a model column badly");
		}
	}
	reader_expect_end(&r);
	if (c->pass > ML_PASS_STATS && c->pipeline == NULL && c->pass != ML_PASS_METRICS)
		ml_error(ML_ERR_CORRUPT, NULL, "engine config pass needs a pipeline");
	if ((c->pass == ML_PASS_NEWTON || c->pass == ML_PASS_GRAM || c->pass == ML_PASS_LLOYD) &&
		(c->mean == NULL || c->scale == NULL))
		ml_error(ML_ERR_CORRUPT, NULL, "engine config pass needs feature means");
	if (c->pass == ML_PASS_NEWTON && (c->theta == NULL || c->K < 1 || c->task != ML_CLASSIFICATION ||
									  c->K != (c->n_classes == 2 ? 1 : c->n_classes)))
		ml_error(ML_ERR_CORRUPT, NULL, "engine config pass needs weights");
	if (c->pass == ML_PASS_LLOYD && (c->centers == NULL || c->k < 1))
		ml_error(ML_ERR_CORRUPT, NULL, "engine config pass needs centers");
	if ((c->pass == ML_PASS_STATE || c->pass == ML_PASS_ROWS) && c->algorithm[0] == '\0')
		ml_error(ML_ERR_CORRUPT, NULL, "engine config pass needs an algorithm");
	if (c->pass == ML_PASS_ROWS && c->buckets < 1)
		ml_error(ML_ERR_CORRUPT, NULL, "engine config pass needs buckets");
	if (c->task == ML_CLASSIFICATION && c->n_classes < 2 && c->pass != ML_PASS_STATS)
		ml_error(ML_ERR_CORRUPT, NULL, "engine config has no classes");
	return c;
}

/* ---- state bytes ---- */

static void
acc_write(const MLEngineAcc *a, size_t w, MLBuffer *b)
{
	buffer_put_u64(b, a->n);
	buffer_put_f64(b, a->y_mean);
	buffer_put_f64(b, a->y_m2);
	buffer_put_f64(b, a->sse);
	buffer_put_f64(b, a->sae);
	buffer_put_f64(b, a->log_loss);
	buffer_put_f64(b, a->brier);
	buffer_put_f64s(b, a->ece_pred, ML_ECE_BINS);
	buffer_put_f64s(b, a->ece_obs, ML_ECE_BINS);
	for (int i = 0; i < ML_ECE_BINS; i++)
		buffer_put_u64(b, a->ece_n[i]);
	buffer_put_f64(b, a->score_sum);
	buffer_put_u64(b, a->flagged);
	for (size_t i = 0; a->confusion && i < (size_t) a->k * a->k; i++)
		buffer_put_u64(b, a->confusion[i]);
	for (size_t i = 0; a->hist && i < (size_t) a->k * 2 * a->bins; i++)
	{
		buffer_put_u64(b, a->hist[i]);
		if (a->hist[i])
		{
			buffer_put_f64(b, a->lo[i]);
			buffer_put_f64(b, a->hi[i]);
		}
	}
	buffer_put_u32(b, (uint32_t) a->n_sample);
	for (size_t i = 0; i < a->n_sample; i++)
	{
		buffer_put_u64(b, a->sample_hash[i]);
		buffer_put_f64s(b, a->sample_x + i * w, w);
	}
}

static void
acc_read(MLEngineAcc *a, size_t w, MLReader *r)
{
	a->n = reader_u64(r);
	a->y_mean = reader_f64(r);
	a->y_m2 = reader_f64(r);
	a->sse = reader_f64(r);
	a->sae = reader_f64(r);
	a->log_loss = reader_f64(r);
	a->brier = reader_f64(r);
	for (int i = 0; i < ML_ECE_BINS; i++)
		a->ece_pred[i] = reader_f64(r);
	for (int i = 0; i < ML_ECE_BINS; i++)
		a->ece_obs[i] = reader_f64(r);
	for (int i = 0; i < ML_ECE_BINS; i++)
		a->ece_n[i] = reader_u64(r);
	a->score_sum = reader_f64(r);
	a->flagged = reader_u64(r);
	for (size_t i = 0; a->confusion && i < (size_t) a->k * a->k; i++)
		a->confusion[i] = reader_u64(r);
	for (size_t i = 0; a->hist && i < (size_t) a->k * 2 * a->bins; i++)
	{
		a->hist[i] = reader_u64(r);
		if (a->hist[i])
		{
			a->lo[i] = reader_f64(r);
			a->hi[i] = reader_f64(r);
		}
	}
	a->n_sample = reader_count(r, 8 + 8 * w, ML_ENGINE_SILHOUETTE);
	if (a->n_sample > 0)
	{
		a->sample_hash = ml_alloc(sizeof(uint64_t) * ML_ENGINE_SILHOUETTE);
		a->sample_x = ml_alloc(ml_mul_size(ML_ENGINE_SILHOUETTE, w * sizeof(double)));
		for (size_t i = 0; i < a->n_sample; i++)
		{
			double	   *v;

			a->sample_hash[i] = reader_u64(r);
			if (i > 0 && a->sample_hash[i] < a->sample_hash[i - 1])
				ml_error(ML_ERR_CORRUPT, NULL, "engine state sample is not sorted");
			v = reader_f64s(r, w);
			memcpy(a->sample_x + i * w, v, sizeof(double) * w);
			ml_free(v);
		}
	}
}

void
engine_state_write(const MLEngineState *s0, MLBuffer *out)
{
	MLEngineState *s = (MLEngineState *) s0;
	const MLEngineConfig *cfg = s->cfg;
	size_t		start = out->len,
				p = cfg->p;

	engine_flush_gram(s);
	if (cfg->pass == ML_PASS_NEWTON && cfg->K == 1)
		engine_flush_newton(s);
	buffer_put_bytes(out, "MLES", 4);
	buffer_put_u16(out, ENGINE_VERSION);
	buffer_put_u8(out, (uint8_t) cfg->pass);
	buffer_put_u64(out, s->rows);
	buffer_put_u64(out, s->n_train);
	buffer_put_u64(out, s->n_test);
	switch (cfg->pass)
	{
		case ML_PASS_STATS:
			for (int i = 0; i < cfg->n_num; i++)
			{
				num_sketch_write(&s->num_all[i], out);
				num_sketch_write(&s->num_train[i], out);
			}
			for (int i = 0; i < cfg->n_cat; i++)
			{
				cat_sketch_write(&s->cat_all[i], out);
				cat_sketch_write(&s->cat_train[i], out);
			}
			num_sketch_write(&s->y_num_all, out);
			num_sketch_write(&s->y_num_train, out);
			cat_sketch_write(&s->y_cat_all, out);
			cat_sketch_write(&s->y_cat_train, out);
			buffer_put_u64(out, s->fingerprint);
			buffer_put_u64(out, s->test_fp);
			buffer_put_u64(out, s->train_fp);
			break;
		case ML_PASS_MOMENTS:
			buffer_put_f64s(out, s->mean, p);
			buffer_put_f64s(out, s->m2, p);
			buffer_put_u32(out, (uint32_t) s->n_sample);
			for (size_t i = 0; i < s->n_sample; i++)
			{
				buffer_put_u64(out, s->sample_hash[i]);
				buffer_put_f64s(out, s->sample_x + i * p, p);
			}
			break;
		case ML_PASS_STATE:
		case ML_PASS_ROWS:
			{
				MLBuffer	ab;

				buffer_put_f64s(out, s->mean, p);
				buffer_put_f64s(out, s->m2, p);
				buffer_init(&ab);
				agg_write(s->agg, &ab);
				buffer_put_u64(out, ab.len);
				buffer_put_bytes(out, ab.data, ab.len);
				ml_free(ab.data);
				break;
			}
		case ML_PASS_GRAM:
			buffer_put_f64s(out, s->gram, p * p);
			buffer_put_f64s(out, s->gram_y, p);
			break;
		case ML_PASS_NEWTON:
			{
				size_t		d = (p + 1) * (size_t) cfg->K;

				buffer_put_f64(out, s->loss);
				buffer_put_f64s(out, s->grad, d);
				buffer_put_f64s(out, s->hess, d * d);
				break;
			}
		case ML_PASS_LLOYD:
			for (int c = 0; c < cfg->k; c++)
				buffer_put_u64(out, s->center_n[c]);
			buffer_put_f64s(out, s->center_sum, (size_t) cfg->k * p);
			buffer_put_f64(out, s->inertia);
			break;
		case ML_PASS_METRICS:
			for (int m = 0; m < cfg->n_scored; m++)
				for (int sp = 0; sp < 2; sp++)
					acc_write(&s->acc[m][sp], cfg->scored[m].model->n_features + 1, out);
			break;
	}
	buffer_put_u32(out, crc32c(0, out->data + start, out->len - start));
}

static void
read_into(double *dst, MLReader *r, size_t n)
{
	double	   *v = reader_f64s(r, n);

	memcpy(dst, v, sizeof(double) * n);
	ml_free(v);
}

MLEngineState *
engine_state_read(MLEngineConfig *cfg, const uint8_t *data, size_t len)
{
	MLEngineState *s;
	MLReader	r;
	size_t		p = cfg->p;

	check_crc(data, len, "engine state");
	reader_init(&r, data, len - 4);
	if (memcmp(reader_bytes(&r, 4), "MLES", 4) != 0)
		ml_error(ML_ERR_CORRUPT, NULL, "bytes are not an engine state");
	if (reader_u16(&r) != ENGINE_VERSION)
		ml_error(ML_ERR_CORRUPT, NULL, "engine state of another version");
	if (reader_u8(&r) != cfg->pass)
		ml_error(ML_ERR_CORRUPT, NULL, "engine state of another pass");
	s = engine_state_new(cfg);
	s->rows = reader_u64(&r);
	s->n_train = reader_u64(&r);
	s->n_test = reader_u64(&r);
	if (s->n_train + s->n_test != s->rows)
		ml_error(ML_ERR_CORRUPT, NULL, "engine state counts do not add up");
	switch (cfg->pass)
	{
		case ML_PASS_STATS:
			for (int i = 0; i < cfg->n_num; i++)
			{
				num_sketch_read(&s->num_all[i], &r);
				num_sketch_read(&s->num_train[i], &r);
			}
			for (int i = 0; i < cfg->n_cat; i++)
			{
				cat_sketch_read(&s->cat_all[i], &r);
				cat_sketch_read(&s->cat_train[i], &r);
			}
			num_sketch_read(&s->y_num_all, &r);
			num_sketch_read(&s->y_num_train, &r);
			cat_sketch_read(&s->y_cat_all, &r);
			cat_sketch_read(&s->y_cat_train, &r);
			s->fingerprint = reader_u64(&r);
			s->test_fp = reader_u64(&r);
			s->train_fp = reader_u64(&r);
			break;
		case ML_PASS_MOMENTS:
			read_into(s->mean, &r, p);
			read_into(s->m2, &r, p);
			s->n_sample = reader_count(&r, 8 + 8 * p, ML_ENGINE_SAMPLE);
			if (s->n_sample > 0)
			{
				s->sample_hash = ml_alloc(sizeof(uint64_t) * ML_ENGINE_SAMPLE);
				s->sample_x = ml_alloc(ml_mul_size(ML_ENGINE_SAMPLE, p * sizeof(double)));
				for (size_t i = 0; i < s->n_sample; i++)
				{
					s->sample_hash[i] = reader_u64(&r);
					if (i > 0 && s->sample_hash[i] < s->sample_hash[i - 1])
						ml_error(ML_ERR_CORRUPT, NULL, "engine state sample is not sorted");
					read_into(s->sample_x + i * p, &r, p);
				}
			}
			break;
		case ML_PASS_STATE:
		case ML_PASS_ROWS:
			{
				size_t		al;
				const uint8_t *ab;

				read_into(s->mean, &r, p);
				read_into(s->m2, &r, p);
				al = (size_t) reader_u64(&r);
				ab = reader_bytes(&r, al);

				s->agg = agg_read(ab, al);
				if (s->agg->p != 0 && s->agg->p != p)
					ml_error(ML_ERR_CORRUPT, NULL, "engine state has %u features, not %zu", s->agg->p, p);
				break;
			}
		case ML_PASS_GRAM:
			read_into(s->gram, &r, p * p);
			read_into(s->gram_y, &r, p);
			break;
		case ML_PASS_NEWTON:
			{
				size_t		d = (p + 1) * (size_t) cfg->K;

				s->loss = reader_f64(&r);
				read_into(s->grad, &r, d);
				read_into(s->hess, &r, d * d);
				break;
			}
		case ML_PASS_LLOYD:
			for (int c = 0; c < cfg->k; c++)
				s->center_n[c] = reader_u64(&r);
			read_into(s->center_sum, &r, (size_t) cfg->k * p);
			s->inertia = reader_f64(&r);
			break;
		case ML_PASS_METRICS:
			for (int m = 0; m < cfg->n_scored; m++)
				for (int sp = 0; sp < 2; sp++)
					acc_read(&s->acc[m][sp], cfg->scored[m].model->n_features + 1, &r);
			break;
	}
	reader_expect_end(&r);
	return s;
}
