/*-------------------------------------------------------------------------
 *
 * buffer.h
 *	  Byte buffers for the model format: a growable little-endian writer and
 *	  a bounded reader that never trusts its input, plus CRC-32C.
 *
 * The reader checks every length against the bytes that remain before it
 * reads; a short or malformed input is an ML_ERR_CORRUPT error, never a read
 * past the end.
 *
 *-------------------------------------------------------------------------
 */
#ifndef ML_BUFFER_H
#define ML_BUFFER_H

#include "ml.h"

typedef struct MLBuffer
{
	uint8_t    *data;
	size_t		len;
	size_t		cap;
} MLBuffer;

typedef struct MLReader
{
	const uint8_t *data;
	size_t		len;
	size_t		pos;
	int			depth;			/* nesting of ensemble members being read */
} MLReader;

extern void buffer_init(MLBuffer *b);
extern void buffer_reserve(MLBuffer *b, size_t extra);
extern void buffer_put_bytes(MLBuffer *b, const void *p, size_t n);
extern void buffer_put_u8(MLBuffer *b, uint8_t v);
extern void buffer_put_u16(MLBuffer *b, uint16_t v);
extern void buffer_put_u32(MLBuffer *b, uint32_t v);
extern void buffer_put_u64(MLBuffer *b, uint64_t v);
extern void buffer_put_f64(MLBuffer *b, double v);
extern void buffer_put_f64s(MLBuffer *b, const double *v, size_t n);
extern void buffer_put_str(MLBuffer *b, const char *s);
/* append printf-style text (for JSON descriptions); no terminating NUL kept */
extern void buffer_printf(MLBuffer *b, const char *fmt,...)
			__attribute__((format(printf, 2, 3)));
/* append a JSON number: the shortest exact decimal of a finite double, else null */
extern void buffer_json_num(MLBuffer *b, double v);
/* append a JSON string literal with escaping */
extern void buffer_json_str(MLBuffer *b, const char *s);

extern void reader_init(MLReader *r, const uint8_t *data, size_t len);
extern uint8_t reader_u8(MLReader *r);
extern uint16_t reader_u16(MLReader *r);
extern uint32_t reader_u32(MLReader *r);
extern uint64_t reader_u64(MLReader *r);
extern double reader_f64(MLReader *r);
/* read n doubles into a new array; n is bounded by the bytes left */
extern double *reader_f64s(MLReader *r, size_t n);
/* read a length-prefixed string (at most max_len bytes) into a new string */
extern char *reader_str(MLReader *r, size_t max_len);
/* a count of items each at least item_size bytes: bounded by what remains */
/* the next n bytes, in place */
extern const uint8_t *reader_bytes(MLReader *r, size_t n);
extern size_t reader_count(MLReader *r, size_t item_size, size_t max_count);
extern void reader_expect_end(MLReader *r);

extern uint32_t crc32c(uint32_t crc, const void *data, size_t len);

#endif							/* ML_BUFFER_H */
