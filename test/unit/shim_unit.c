/*
 * shim_unit.c
 *	  The core's shim for the unit-test runner: malloc / free, and errors that
 *	  abort, unless a test armed unit_catch to expect one.
 */
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "unit.h"
#include "core/parallel.h"

int			unit_failures;
jmp_buf    *unit_catch;
int			unit_last_code;
char		unit_last_msg[1024];

void *
ml_alloc(size_t size)
{
	void	   *p;

	if (ml_in_worker())
		return ml_worker_alloc(size);
	p = calloc(1, size ? size : 1);

	if (p == NULL)
		abort();
	return p;
}

void *
ml_realloc(void *ptr, size_t size)
{
	void	   *p;

	if (ml_in_worker())
		return ml_worker_realloc(ptr, size);
	p = realloc(ptr, size ? size : 1);

	if (p == NULL)
		abort();
	return p;
}

void
ml_free(void *ptr)
{
	if (ml_in_worker())
		ml_worker_free(ptr);
	else
		free(ptr);
}

void
ml_error(MLErrorCode code, const char *hint, const char *fmt,...)
{
	va_list		ap;

	va_start(ap, fmt);
	vsnprintf(unit_last_msg, sizeof(unit_last_msg), fmt, ap);
	va_end(ap);
	if (ml_in_worker())
		ml_worker_error(code, unit_last_msg);
	unit_last_code = code;
	if (unit_catch)
		longjmp(*unit_catch, 1);
	fprintf(stderr, "unexpected ml_error %d: %s%s%s\n", code, unit_last_msg,
			hint ? " HINT: " : "", hint ? hint : "");
	abort();
}

void
ml_check_interrupts(void)
{
}
