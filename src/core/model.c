/*-------------------------------------------------------------------------
 *
 * model.c
 *	  Model serialization and prediction through the learner interface.
 *
 *-------------------------------------------------------------------------
 */
#include "model.h"
#include "parallel.h"

#include <math.h>
#include <string.h>

static const uint8_t magic[4] = {'M', 'L', 'S', 'Q'};

#define EXT_COLUMN_KINDS 1
#define EXT_FEATURE_MEANS 2

static void
put_record(MLBuffer *out, uint8_t tag, const MLBuffer *rec)
{
	buffer_put_u8(out, tag);
	buffer_put_u32(out, (uint32_t) rec->len);
	buffer_put_bytes(out, rec->data, rec->len);
}

/* the extension section: what format 1 did not have */
static void
write_extensions(const MLModel *m, MLBuffer *out)
{
	MLBuffer	ext,
				rec;
	const MLPipeline *p = m->pipeline;
	bool		kinds = false;

	buffer_init(&ext);
	for (int c = 0; c < p->n_cols; c++)
		kinds |= p->cols[c].ctype != ML_CT_UNKNOWN;
	if (kinds)
	{
		buffer_init(&rec);
		buffer_put_u32(&rec, (uint32_t) p->n_cols);
		for (int c = 0; c < p->n_cols; c++)
		{
			buffer_put_u8(&rec, (uint8_t) p->cols[c].ctype);
			buffer_put_str(&rec, p->cols[c].type_name ? p->cols[c].type_name : "");
		}
		put_record(&ext, EXT_COLUMN_KINDS, &rec);
		ml_free(rec.data);
	}
	if (m->feature_mean)
	{
		buffer_init(&rec);
		buffer_put_u32(&rec, (uint32_t) m->n_features);
		buffer_put_f64s(&rec, m->feature_mean, m->n_features);
		put_record(&ext, EXT_FEATURE_MEANS, &rec);
		ml_free(rec.data);
	}
	buffer_put_u32(out, (uint32_t) ext.len);
	buffer_put_bytes(out, ext.data, ext.len);
	ml_free(ext.data);
}

static void
read_extensions(MLModel *m, MLReader *in)
{
	size_t		len = reader_count(in, 1, UINT32_MAX);
	MLReader	r;

	reader_init(&r, in->data + in->pos, len);
	in->pos += len;
	while (r.pos < r.len)
	{
		uint8_t		tag = reader_u8(&r);
		size_t		rlen = reader_count(&r, 1, UINT32_MAX);
		MLReader	rec;

		reader_init(&rec, r.data + r.pos, rlen);
		r.pos += rlen;
		if (tag == EXT_COLUMN_KINDS)
		{
			MLPipeline *p = m->pipeline;

			if ((int) reader_u32(&rec) != p->n_cols)
				ml_error(ML_ERR_CORRUPT, NULL, "model's column kinds do not match its pipeline");
			for (int c = 0; c < p->n_cols; c++)
			{
				uint8_t		k = reader_u8(&rec);

				if (k > ML_CT_MAX)
					ml_error(ML_ERR_CORRUPT, NULL, "model has unknown value kind %u", k);
				p->cols[c].ctype = (MLColType) k;
				p->cols[c].type_name = reader_str(&rec, ML_MAX_NAME);
			}
			reader_expect_end(&rec);
		}
		else if (tag == EXT_FEATURE_MEANS)
		{
			if (reader_u32(&rec) != m->n_features)
				ml_error(ML_ERR_CORRUPT, NULL, "model's feature means do not match its features");
			m->feature_mean = ml_alloc(ml_mul_size(m->n_features ? m->n_features : 1, sizeof(double)));
			for (size_t j = 0; j < m->n_features; j++)
				m->feature_mean[j] = reader_f64(&rec);
			reader_expect_end(&rec);
		}
		/* other tags come from newer writers: skipped */
	}
}

void
model_write(const MLModel *m, MLBuffer *out)
{
	MLBuffer	payload;
	uint32_t	crc;

	buffer_put_bytes(out, magic, 4);
	buffer_put_u16(out, ML_FORMAT_VERSION);
	buffer_put_u16(out, m->learner->id);
	buffer_put_u8(out, (uint8_t) m->task);
	buffer_put_u8(out, (uint8_t) m->label_type);
	pipeline_write(m->pipeline, out);
	buffer_put_str(out, m->target_name);
	buffer_put_u32(out, (uint32_t) m->n_classes);
	for (int c = 0; c < m->n_classes; c++)
	{
		buffer_put_str(out, m->class_labels[c]);
		buffer_put_f64(out, m->class_values[c]);
	}
	write_extensions(m, out);
	buffer_init(&payload);
	m->learner->write(m->state, &payload);
	buffer_put_u32(out, (uint32_t) payload.len);
	buffer_put_bytes(out, payload.data, payload.len);
	ml_free(payload.data);
	crc = crc32c(0, out->data, out->len);
	buffer_put_u32(out, crc);
}

MLModel *
model_read(const uint8_t *data, size_t len)
{
	MLReader	r;
	MLReader	pr;
	MLModel    *m;
	uint32_t	stored,
				crc;
	uint16_t	version,
				id;
	uint8_t		task,
				label_type;
	size_t		payload_len;

	if (len < 4 + 2 + 2 + 2 + 4 + 4 + 4 + 4 + 4 || memcmp(data, magic, 4) != 0)
		ml_error(ML_ERR_CORRUPT, NULL, "bytes are not an mlsql model");
	reader_init(&r, data + len - 4, 4);
	stored = reader_u32(&r);
	crc = crc32c(0, data, len - 4);
	if (crc != stored)
		ml_error(ML_ERR_CORRUPT, NULL,
				 "model checksum mismatch: stored %08x, computed %08x", stored, crc);

	reader_init(&r, data, len - 4);
	r.pos = 4;
	version = reader_u16(&r);
	if (version < 1 || version > ML_FORMAT_VERSION)
		ml_error(ML_ERR_CORRUPT, NULL, "unsupported model format version %u", version);
	id = reader_u16(&r);
	m = ml_alloc(sizeof(MLModel));
	m->threshold = NAN;
	m->learner = learner_find_id(id);
	if (m->learner == NULL)
		ml_error(ML_ERR_CORRUPT, NULL, "model names unknown learner id %u", id);
	task = reader_u8(&r);
	label_type = reader_u8(&r);
	if (task < ML_REGRESSION || task > ML_ANOMALY)
		ml_error(ML_ERR_CORRUPT, NULL, "model has unknown task %u", task);
	if (label_type > ML_LABEL_TEXT ||
		(task != ML_CLASSIFICATION) != (label_type == ML_LABEL_NONE))
		ml_error(ML_ERR_CORRUPT, NULL, "model has invalid label type %u", label_type);
	if (!(m->learner->tasks & ML_TASK_BIT(task)))
		ml_error(ML_ERR_CORRUPT, NULL, "model's learner does not support its task");
	m->task = task;
	m->label_type = label_type;
	m->pipeline = pipeline_read(&r);
	m->n_features = (size_t) m->pipeline->n_out;
	m->feature_names = m->pipeline->out_names;
	if (m->n_features > ML_MAX_FEATURES)
		ml_error(ML_ERR_CORRUPT, NULL, "model has %zu features", m->n_features);
	m->target_name = reader_str(&r, ML_MAX_NAME);
	m->n_classes = (int) reader_count(&r, 12, ML_MAX_CLASSES);
	if ((task == ML_CLASSIFICATION) != (m->n_classes >= 2))
		ml_error(ML_ERR_CORRUPT, NULL, "model has %d classes for task %s",
				 m->n_classes, ml_task_name(task));
	m->class_labels = ml_alloc(sizeof(char *) * (m->n_classes + 1));
	m->class_values = ml_alloc(sizeof(double) * (m->n_classes + 1));
	for (int c = 0; c < m->n_classes; c++)
	{
		m->class_labels[c] = reader_str(&r, ML_MAX_NAME * 16);
		m->class_values[c] = reader_f64(&r);
	}
	if (version >= 2)
		read_extensions(m, &r);
	payload_len = reader_count(&r, 1, UINT32_MAX);
	reader_init(&pr, r.data + r.pos, payload_len);
	r.pos += payload_len;
	reader_expect_end(&r);
	m->state = m->learner->read(&pr, m->n_features, m->n_classes);
	reader_expect_end(&pr);
	return m;
}

void
model_predict(const MLModel *m, const double *X, size_t n, double *out)
{
	m->learner->predict(m->state, X, n, out);
}

#define PREDICT_BLOCK 256		/* rows transposed and scored at a time */
#define PREDICT_TASK 4096		/* rows per worker task */

typedef struct PredictTask
{
	const MLModel *m;
	const double *X;
	size_t		n,
				p,
				k,
				rows;			/* per task */
	double	   *out;
} PredictTask;

/* rows [lo, hi) of a column-major matrix, transposed by blocks and scored */
static void
predict_rows(const PredictTask *a, size_t lo, size_t hi, double *block)
{
	for (size_t start = lo; start < hi; start += PREDICT_BLOCK)
	{
		size_t		len = hi - start < PREDICT_BLOCK ? hi - start : PREDICT_BLOCK;

		for (size_t i = 0; i < len; i++)
			for (size_t j = 0; j < a->p; j++)
				block[i * a->p + j] = a->X[j * a->n + start + i];
		model_predict(a->m, block, len, a->out + start * a->k);
		ml_check_interrupts();
	}
}

static void
predict_task(void *arg, int t)
{
	const PredictTask *a = arg;
	size_t		lo = (size_t) t * a->rows,
				hi = lo + a->rows < a->n ? lo + a->rows : a->n;
	double	   *block = ml_alloc(ml_mul_size(ml_mul_size(PREDICT_BLOCK, a->p ? a->p : 1), sizeof(double)));

	predict_rows(a, lo, hi, block);
	ml_free(block);
}

void
model_predict_columns(const MLModel *m, const double *X, size_t n, size_t p, double *out,
					  int threads)
{
	PredictTask a = {m, X, n, p, model_output_width(m), PREDICT_TASK, out};
	size_t		tasks = (n + PREDICT_TASK - 1) / PREDICT_TASK;

	if (threads > 1 && tasks > 1 && m->learner->predict_in_tasks)
		ml_parallel_for((int) tasks, threads, predict_task, &a);
	else
	{
		double	   *block = ml_alloc(ml_mul_size(ml_mul_size(PREDICT_BLOCK, p ? p : 1), sizeof(double)));

		predict_rows(&a, 0, n, block);
		ml_free(block);
	}
}

size_t
model_output_width(const MLModel *m)
{
	if (m->task == ML_CLASSIFICATION)
		return (size_t) m->n_classes;
	return m->task == ML_ANOMALY ? 2 : 1;
}

void
model_predict_value(const MLModel *m, const double *X, size_t n, double *out)
{
	if (m->task == ML_REGRESSION || m->task == ML_CLUSTERING)
	{
		model_predict(m, X, n, out);
		return;
	}
	if (m->task == ML_ANOMALY)
	{
		double	   *p = ml_alloc(ml_mul_size(n, 2 * sizeof(double)));

		model_predict(m, X, n, p);
		for (size_t i = 0; i < n; i++)
			out[i] = p[2 * i];
		ml_free(p);
		return;
	}
	else
	{
		size_t		k = (size_t) m->n_classes;
		double	   *p = ml_alloc(ml_mul_size(ml_mul_size(n, k), sizeof(double)));

		model_predict(m, X, n, p);
		for (size_t i = 0; i < n; i++)
		{
			size_t		best = 0;

			for (size_t c = 1; c < k; c++)
				if (p[i * k + c] > p[i * k + best])
					best = c;
			out[i] = (double) best;
		}
		ml_free(p);
	}
}

int
model_class_of(const MLModel *m, const double *proba)
{
	if (m->n_classes == 2 && !isnan(m->threshold))
		return proba[1] >= m->threshold ? 1 : 0;
	return ml_argmax(proba, m->n_classes);
}
