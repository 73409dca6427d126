/*-------------------------------------------------------------------------
 *
 * buffer.c
 *	  Growable writer, bounded reader and CRC-32C for the model format.
 *
 * All multi-byte values are little-endian regardless of the host, so model
 * bytes are portable and byte-identical across builds.  CRC-32C uses the
 * Castagnoli polynomial (reflected 0x82F63B78), table driven, one byte at a
 * time: models are small next to the cost of training them.
 *
 *-------------------------------------------------------------------------
 */
#include "buffer.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <math.h>
#include <stdlib.h>

void
buffer_init(MLBuffer *b)
{
	b->cap = 256;
	b->len = 0;
	b->data = ml_alloc(b->cap);
}

void
buffer_reserve(MLBuffer *b, size_t extra)
{
	size_t		need = ml_add_size(b->len, extra);

	if (need <= b->cap)
		return;
	if (b->cap == 0)
		b->cap = 64;			/* a zeroed buffer that was never initialized */
	while (b->cap < need)
		b->cap = ml_mul_size(b->cap, 2);
	b->data = b->data ? ml_realloc(b->data, b->cap) : ml_alloc(b->cap);
}

void
buffer_put_bytes(MLBuffer *b, const void *p, size_t n)
{
	buffer_reserve(b, n);
	if (n > 0)
		memcpy(b->data + b->len, p, n);
	b->len += n;
}

void
buffer_put_u8(MLBuffer *b, uint8_t v)
{
	buffer_put_bytes(b, &v, 1);
}

void
buffer_put_u16(MLBuffer *b, uint16_t v)
{
	uint8_t		t[2] = {v & 0xff, v >> 8};

	buffer_put_bytes(b, t, 2);
}

void
buffer_put_u32(MLBuffer *b, uint32_t v)
{
	uint8_t		t[4];

	for (int i = 0; i < 4; i++)
		t[i] = (v >> (8 * i)) & 0xff;
	buffer_put_bytes(b, t, 4);
}

void
buffer_put_u64(MLBuffer *b, uint64_t v)
{
	uint8_t		t[8];

	for (int i = 0; i < 8; i++)
		t[i] = (v >> (8 * i)) & 0xff;
	buffer_put_bytes(b, t, 8);
}

void
buffer_put_f64(MLBuffer *b, double v)
{
	uint64_t	u;

	memcpy(&u, &v, 8);
	buffer_put_u64(b, u);
}

void
buffer_put_f64s(MLBuffer *b, const double *v, size_t n)
{
	buffer_reserve(b, ml_mul_size(n, 8));
	for (size_t i = 0; i < n; i++)
		buffer_put_f64(b, v[i]);
}

void
buffer_put_str(MLBuffer *b, const char *s)
{
	size_t		n = strlen(s);

	if (n > UINT32_MAX)
		ml_error(ML_ERR_LIMIT, NULL, "string of %zu bytes is too long for the model format", n);
	buffer_put_u32(b, (uint32_t) n);
	buffer_put_bytes(b, s, n);
}

void
buffer_printf(MLBuffer *b, const char *fmt,...)
{
	va_list		ap;
	int			n;

	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0)
		ml_error(ML_ERR_INTERNAL, NULL, "could not format text");
	buffer_reserve(b, (size_t) n + 1);
	va_start(ap, fmt);
	vsnprintf((char *) b->data + b->len, (size_t) n + 1, fmt, ap);
	va_end(ap);
	b->len += n;
}

void
buffer_json_num(MLBuffer *b, double v)
{
	char		text[32];

	if (!isfinite(v))
	{
		buffer_printf(b, "null");
		return;
	}
	/* the shortest of 15..17 significant digits that reads back exactly */
	for (int prec = 15; prec <= 17; prec++)
	{
		snprintf(text, sizeof(text), "%.*g", prec, v);
		if (strtod(text, NULL) == v)
			break;
	}
	buffer_printf(b, "%s", text);
}

void
buffer_json_str(MLBuffer *b, const char *s)
{
	buffer_put_u8(b, '"');
	for (const unsigned char *p = (const unsigned char *) s; *p; p++)
	{
		if (*p == '"' || *p == '\\')
			buffer_printf(b, "\\%c", *p);
		else if (*p < 0x20)
			buffer_printf(b, "\\u%04x", *p);
		else
			buffer_put_u8(b, *p);
	}
	buffer_put_u8(b, '"');
}

void
reader_init(MLReader *r, const uint8_t *data, size_t len)
{
	r->data = data;
	r->len = len;
	r->pos = 0;
	r->depth = 0;
}

static const uint8_t *
take(MLReader *r, size_t n)
{
	const uint8_t *p;

	if (n > r->len - r->pos)
		ml_error(ML_ERR_CORRUPT, NULL,
				 "model bytes are truncated: need %zu bytes at offset %zu of %zu",
				 n, r->pos, r->len);
	p = r->data + r->pos;
	r->pos += n;
	return p;
}

uint8_t
reader_u8(MLReader *r)
{
	return *take(r, 1);
}

uint16_t
reader_u16(MLReader *r)
{
	const uint8_t *p = take(r, 2);

	return (uint16_t) (p[0] | (p[1] << 8));
}

uint32_t
reader_u32(MLReader *r)
{
	const uint8_t *p = take(r, 4);
	uint32_t	v = 0;

	for (int i = 3; i >= 0; i--)
		v = (v << 8) | p[i];
	return v;
}

uint64_t
reader_u64(MLReader *r)
{
	const uint8_t *p = take(r, 8);
	uint64_t	v = 0;

	for (int i = 7; i >= 0; i--)
		v = (v << 8) | p[i];
	return v;
}

double
reader_f64(MLReader *r)
{
	uint64_t	u = reader_u64(r);
	double		v;

	memcpy(&v, &u, 8);
	return v;
}

const uint8_t *
reader_bytes(MLReader *r, size_t n)
{
	return take(r, n);
}

size_t
reader_count(MLReader *r, size_t item_size, size_t max_count)
{
	uint32_t	n = reader_u32(r);

	if (n > max_count || (item_size > 0 && n > (r->len - r->pos) / item_size))
		ml_error(ML_ERR_CORRUPT, NULL,
				 "model bytes are corrupted: count %u at offset %zu is out of range",
				 n, r->pos - 4);
	return n;
}

double *
reader_f64s(MLReader *r, size_t n)
{
	double	   *v;

	if (n > (r->len - r->pos) / 8)
		ml_error(ML_ERR_CORRUPT, NULL,
				 "model bytes are truncated: need %zu values at offset %zu", n, r->pos);
	v = ml_alloc(ml_mul_size(n > 0 ? n : 1, sizeof(double)));
	for (size_t i = 0; i < n; i++)
		v[i] = reader_f64(r);
	return v;
}

char *
reader_str(MLReader *r, size_t max_len)
{
	size_t		n = reader_count(r, 1, max_len);
	const uint8_t *p = take(r, n);
	char	   *s = ml_alloc(n + 1);

	memcpy(s, p, n);
	if (memchr(s, '\0', n) != NULL)
		ml_error(ML_ERR_CORRUPT, NULL, "model bytes are corrupted: string holds a NUL byte");
	s[n] = '\0';
	return s;
}

void
reader_expect_end(MLReader *r)
{
	if (r->pos != r->len)
		ml_error(ML_ERR_CORRUPT, NULL,
				 "model bytes are corrupted: %zu unexpected trailing bytes",
				 r->len - r->pos);
}

static uint32_t crc_table[256];
static bool crc_ready = false;

static void
crc_init(void)
{
	for (uint32_t i = 0; i < 256; i++)
	{
		uint32_t	c = i;

		for (int k = 0; k < 8; k++)
			c = (c & 1) ? (c >> 1) ^ 0x82F63B78u : c >> 1;
		crc_table[i] = c;
	}
	crc_ready = true;
}

/*
 * crc32c: continue a CRC-32C over data.  Start with crc = 0; the pre- and
 * post-inversion are handled here so calls chain.
 */
uint32_t
crc32c(uint32_t crc, const void *data, size_t len)
{
	const uint8_t *p = data;

	if (!crc_ready)
		crc_init();
	crc = ~crc;
	for (size_t i = 0; i < len; i++)
		crc = crc_table[(crc ^ p[i]) & 0xff] ^ (crc >> 8);
	return ~crc;
}
