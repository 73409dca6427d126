/*
 * test_buffer.c
 *	  Unit tests of src/core/buffer.c: the wire format's integers, floats
 *	  and strings, read back as written and bounds-checked, and the CRC-32C
 *	  that guards model bytes.
 */
#include <stdlib.h>
#include <string.h>

#include "unit.h"
#include "tests.h"
#include "core/buffer.h"

void
test_crc32c(void)
{
	CHECK(crc32c(0, "123456789", 9) == 0xE3069283u);
	/* chaining equals one pass */
	CHECK(crc32c(crc32c(0, "1234", 4), "56789", 5) == 0xE3069283u);
}

void
test_buffer_roundtrip(void)
{
	MLBuffer	b;
	MLReader	r;
	char	   *s;

	buffer_init(&b);
	buffer_put_u8(&b, 7);
	buffer_put_u16(&b, 0xBEEF);
	buffer_put_u32(&b, 0xDEADBEEF);
	buffer_put_u64(&b, 0x0123456789ABCDEFull);
	buffer_put_f64(&b, -2.5);
	buffer_put_str(&b, "héllo");
	reader_init(&r, b.data, b.len);
	CHECK(reader_u8(&r) == 7);
	CHECK(reader_u16(&r) == 0xBEEF);
	CHECK(reader_u32(&r) == 0xDEADBEEF);
	CHECK(reader_u64(&r) == 0x0123456789ABCDEFull);
	CHECK(reader_f64(&r) == -2.5);
	s = reader_str(&r, 100);
	CHECK(strcmp(s, "héllo") == 0);
	reader_expect_end(&r);
	/* little-endian on the wire */
	CHECK(b.data[1] == 0xEF && b.data[2] == 0xBE);
	/* reading past the end is an error, not a read */
	EXPECT_ERROR(ML_ERR_CORRUPT, reader_u32(&r));
	/* a string length larger than what remains */
	reader_init(&r, b.data + 23, b.len - 23);
	EXPECT_ERROR(ML_ERR_CORRUPT, reader_str(&r, 2));
	free(b.data);
}
