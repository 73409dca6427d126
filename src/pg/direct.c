/*-------------------------------------------------------------------------
 *
 * direct.c
 *	  Scoring's one-pass read of a record: the model's numbers straight from
 *	  a row without NULLs, at offsets kept per call site.
 *
 * ml_predict(p, t) gets the whole row of t as a composite datum.  The
 * general path (predict.c) deforms it into Datum arrays, then converts and
 * transforms each of the model's columns; here, when the model's columns
 * are all plain numbers of fixed width, each is read at its offset in the
 * row and transformed as pipeline_transform_row does a present number, in
 * one pass.  The offsets come from the row type once (direct_map, with
 * heap_fill_tuple's alignment rules); a row with NULLs, fewer attributes
 * (an older row of an altered type) or a value that is not finite goes the
 * general way, which reports what it must.  The features are the same to
 * the last bit (sql/predict.sql compares the two paths).
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <math.h>

#include "catalog/pg_type.h"
#include "utils/memutils.h"

#include "pg/direct.h"

/* the base types the one-pass form reads in place */
static bool
direct_type(Oid t)
{
	return t == FLOAT4OID || t == FLOAT8OID || t == INT2OID || t == INT4OID ||
		t == INT8OID || t == BOOLOID;
}

static int
align_bytes(char a)
{
	return a == TYPALIGN_DOUBLE ? ALIGNOF_DOUBLE : a == TYPALIGN_INT ? ALIGNOF_INT :
		a == TYPALIGN_SHORT ? ALIGNOF_SHORT : 1;
}

/*
 * Decide whether the row type allows the one-pass form (direct_read): every
 * raw column a plain number (no array element, no conversion) of a type
 * read in place.  The attributes up to the last one read are cut into runs
 * of fixed-width ones, each run after a variable-length attribute: in a
 * row without NULLs, an attribute sits at its run's start plus an offset
 * computed here with heap_fill_tuple's alignment rules, and a run's start
 * is the aligned end of the variable-length attribute before it.  That
 * holds when no attribute of a later run is aligned wider than the run's
 * first; otherwise (or for cstrings, or more than 8 variable-length
 * attributes) the general path reads every row.
 */
void
direct_map(DirectRow *st, TupleDesc td, const MLPipeline *p, const int *attno,
		   const Oid *atttype, const SourceConversion *conv, MemoryContext mcxt)
{
	int			last = -1,
				run = 0,
				run_align = 1;
	int		   *run_of,
			   *off;
	uint32		o = 0;

	st->ok = false;
	for (int c = 0; c < p->n_cols; c++)
	{
		const MLPipeCol *pc = &p->cols[c];

		if (pc->kind != ML_COL_NUMERIC || pc->element != 0 ||
			conv[c] != CONV_AS_IS || !direct_type(atttype[c]))
			return;
		last = Max(last, attno[c]);
	}
	run_of = palloc(sizeof(int) * (last + 1));
	off = palloc(sizeof(int) * (last + 1));
	for (int a = 0; a <= last; a++)
	{
		Form_pg_attribute att = TupleDescAttr(td, a);

		if (att->attlen == -1)
		{
			if (run + 1 >= DIRECT_MAX_RUNS)
				return;
			st->run_end[run] = (int) o;
			st->var_align[run] = att->attalign;
			run++;
			run_align = 0;		/* the next fixed attribute sets it */
			st->run_align[run] = 1;
			o = 0;
			continue;
		}
		if (att->attlen <= 0)
			return;
		if (run > 0 && run_align == 0)
			run_align = st->run_align[run] = align_bytes(att->attalign);
		else if (run > 0 && align_bytes(att->attalign) > run_align)
			return;
		o = att_align_nominal(o, att->attalign);
		run_of[a] = run;
		off[a] = (int) o;
		o += att->attlen;
	}
	st->dcol = MemoryContextAlloc(mcxt, sizeof(DirectCol) * Max(p->n_cols, 1));
	for (int c = 0; c < p->n_cols; c++)
	{
		const MLPipeCol *pc = &p->cols[c];
		DirectCol  *dc = &st->dcol[c];

		dc->run = (uint8) run_of[attno[c]];
		dc->off = (uint32) off[attno[c]];
		dc->type = atttype[c];
		dc->out = pc->out_start;
		dc->indicator = pc->out_width == 2;
		dc->shift = pc->shift;
		dc->factor = pc->factor;
		/* (v - +0) / 1 is v, -0 included (v - -0 is not, for v = -0) */
		dc->identity = pc->shift == 0 && !signbit(pc->shift) && pc->factor == 1;
	}
	st->plain = st->dcol[0].type;
	for (int c = 0; c < p->n_cols; c++)
		if (st->dcol[c].type != st->plain || !st->dcol[c].identity ||
			st->dcol[c].indicator ||
			(st->plain != FLOAT4OID && st->plain != FLOAT8OID))
			st->plain = InvalidOid;
	pfree(run_of);
	pfree(off);
	st->n_runs = run + 1;
	st->natts = last + 1;
	st->ok = true;
}

/*
 * The one-pass form: the model's features straight from a row without
 * NULLs, each value read at its offset and transformed as
 * pipeline_transform_row does a present number.  False (nothing to rely
 * on in st->row) when the row has NULLs, fewer attributes, or a value that
 * is not finite: the general path then reads it, and reports what it must.
 */
bool
direct_read(const DirectRow *st, const MLPipeline *p, HeapTupleHeader rec, double *row)
{
	const char *data;
	uint32		start[DIRECT_MAX_RUNS];

	if (!st->ok || (rec->t_infomask & HEAP_HASNULL) != 0 ||
		HeapTupleHeaderGetNatts(rec) < st->natts)
		return false;
	data = (const char *) rec + rec->t_hoff;
	start[0] = 0;
	for (int r = 0; r + 1 < st->n_runs; r++)
	{
		uint32		o = start[r] + st->run_end[r];

		o = att_align_pointer(o, st->var_align[r], -1, data + o);
		o = att_addlength_pointer(o, -1, data + o);
		start[r + 1] = TYPEALIGN(st->run_align[r + 1], o);
	}
	if (st->plain != InvalidOid)
	{
		int			bad = 0;

		/* the common case in one tight loop: a table of real or float8 columns */
		if (st->plain == FLOAT4OID)
			for (int c = 0; c < p->n_cols; c++)
			{
				const DirectCol *dc = &st->dcol[c];
				double		v = *(const float4 *) (data + start[dc->run] + dc->off);

				bad |= !isfinite(v);
				row[dc->out] = v;
			}
		else
			for (int c = 0; c < p->n_cols; c++)
			{
				const DirectCol *dc = &st->dcol[c];
				double		v = *(const float8 *) (data + start[dc->run] + dc->off);

				bad |= !isfinite(v);
				row[dc->out] = v;
			}
		return !bad;
	}
	for (int c = 0; c < p->n_cols; c++)
	{
		const DirectCol *dc = &st->dcol[c];
		const char *at = data + start[dc->run] + dc->off;
		double		v;

		switch (dc->type)
		{
			case FLOAT4OID:
				v = *(const float4 *) at;
				break;
			case FLOAT8OID:
				v = *(const float8 *) at;
				break;
			case INT2OID:
				v = *(const int16 *) at;
				break;
			case INT4OID:
				v = *(const int32 *) at;
				break;
			case INT8OID:
				v = (double) *(const int64 *) at;
				break;
			default:			/* BOOLOID */
				v = *(const bool *) at ? 1.0 : 0.0;
				break;
		}
		if (!isfinite(v))
			return false;
		row[dc->out] = dc->identity ? v : (v - dc->shift) / dc->factor;
		if (dc->indicator)
			row[dc->out + 1] = 0.0;
	}
	return true;
}
