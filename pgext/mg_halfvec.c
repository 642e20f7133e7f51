/*
 * mg_halfvec: the `halfvec` type (half-precision elements), for migrations that store 3072-wide
 * embeddings or index `embedding::halfvec(3072)`.
 *
 * Storage is IEEE 754 binary16. Every function converts to a float `vector` (exact) and calls the
 * vector function of the same job, converting a vector result back (rounding to nearest, ties to
 * even; a value beyond +-65504 is an error). Speed does not matter in a dry run; one implementation
 * of each behaviour does.
 */
#include "postgres.h"

#include <math.h>

#include "catalog/pg_type.h"
#include "fmgr.h"
#include "libpq/pqformat.h"
#include "utils/array.h"

#include "mg_vector.h"

typedef struct MgHalfvec
{
	int32		vl_len_;		/* varlena header: never touch directly */
	int16		dim;
	int16		reserved;
	uint16		x[FLEXIBLE_ARRAY_MEMBER];	/* binary16 bit patterns */
} MgHalfvec;

#define MGH_SIZE(d) (offsetof(MgHalfvec, x) + sizeof(uint16) * (d))
#define HALF_MAX 65504.0f

/* The vector functions reused here (declared by PG_FUNCTION_INFO_V1 in mg_vector.c). */
extern Datum mgv_out(PG_FUNCTION_ARGS);
extern Datum mgv_from_array(PG_FUNCTION_ARGS);
extern Datum mgv_to_float4_array(PG_FUNCTION_ARGS);
extern Datum mgv_l2_distance(PG_FUNCTION_ARGS);
extern Datum mgv_l2_squared_distance(PG_FUNCTION_ARGS);
extern Datum mgv_inner_product(PG_FUNCTION_ARGS);
extern Datum mgv_negative_inner_product(PG_FUNCTION_ARGS);
extern Datum mgv_cosine_distance(PG_FUNCTION_ARGS);
extern Datum mgv_l1_distance(PG_FUNCTION_ARGS);
extern Datum mgv_dims(PG_FUNCTION_ARGS);
extern Datum mgv_l2_norm(PG_FUNCTION_ARGS);
extern Datum mgv_l2_normalize(PG_FUNCTION_ARGS);
extern Datum mgv_subvector(PG_FUNCTION_ARGS);
extern Datum mgv_add(PG_FUNCTION_ARGS);
extern Datum mgv_sub(PG_FUNCTION_ARGS);
extern Datum mgv_mul(PG_FUNCTION_ARGS);
extern Datum mgv_concat(PG_FUNCTION_ARGS);
extern Datum mgv_cmp(PG_FUNCTION_ARGS);
extern Datum mgv_lt(PG_FUNCTION_ARGS);
extern Datum mgv_le(PG_FUNCTION_ARGS);
extern Datum mgv_eq(PG_FUNCTION_ARGS);
extern Datum mgv_ne(PG_FUNCTION_ARGS);
extern Datum mgv_ge(PG_FUNCTION_ARGS);
extern Datum mgv_gt(PG_FUNCTION_ARGS);
extern Datum mgv_accum(PG_FUNCTION_ARGS);
extern Datum mgv_avg(PG_FUNCTION_ARGS);

/* ---- binary16 conversions -------------------------------------------------------------------- */

/* Round a finite float to binary16, nearest with ties to even; overflow gives infinity. */
static uint16
half_from_float(float4 f)
{
	uint32		bits;
	uint32		sign,
				absbits,
				exponent,
				mantissa;

	memcpy(&bits, &f, sizeof(bits));
	sign = (bits >> 16) & 0x8000;
	absbits = bits & 0x7fffffff;
	if (absbits >= 0x47800000)	/* >= 65536: beyond the largest half */
		return (uint16) (sign | 0x7c00);
	if (absbits < 0x33000000)	/* < 2^-25: rounds to zero */
		return (uint16) sign;
	exponent = absbits >> 23;
	mantissa = absbits & 0x7fffff;
	if (exponent < 113)			/* below 2^-14: a subnormal half, m * 2^-24 */
	{
		uint32		full = mantissa | 0x800000;
		uint32		shift = 126 - exponent;
		uint32		m = full >> shift;
		uint32		rest = full & ((1u << shift) - 1);
		uint32		halfway = 1u << (shift - 1);

		if (rest > halfway || (rest == halfway && (m & 1)))
			m++;				/* may carry into the smallest normal: still the right encoding */
		return (uint16) (sign | m);
	}
	else
	{
		uint32		h = ((exponent - 112) << 10) | (mantissa >> 13);
		uint32		rest = mantissa & 0x1fff;

		if (rest > 0x1000 || (rest == 0x1000 && (h & 1)))
			h++;				/* a carry into the exponent is correct, up to infinity */
		return (uint16) (sign | h);
	}
}

static float4
half_to_float(uint16 h)
{
	int			exponent = (h >> 10) & 0x1f;
	int			mantissa = h & 0x3ff;
	float4		f;

	if (exponent == 0)
		f = ldexpf((float4) mantissa, -24);
	else if (exponent == 31)
		f = mantissa ? NAN : INFINITY;
	else
		f = ldexpf((float4) (mantissa | 0x400), exponent - 25);
	return (h & 0x8000) ? -f : f;
}

static MgHalfvec *
mgh_alloc(int dim)
{
	MgHalfvec  *h = (MgHalfvec *) palloc0(MGH_SIZE(dim));

	SET_VARSIZE(h, MGH_SIZE(dim));
	h->dim = (int16) dim;
	return h;
}

static MgHalfvec *
mgh_from_vector(const MgVector *v)
{
	MgHalfvec  *h = mgh_alloc(v->dim);

	for (int i = 0; i < v->dim; i++)
	{
		h->x[i] = half_from_float(v->x[i]);
		if ((h->x[i] & 0x7c00) == 0x7c00)
			ereport(ERROR,
					(errcode(ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE),
					 errmsg("%g is out of range for a halfvec element (at most %g in magnitude)",
							v->x[i], HALF_MAX)));
	}
	return h;
}

static MgVector *
mgh_to_vector(const MgHalfvec *h)
{
	MgVector   *v = mgv_alloc(h->dim);

	for (int i = 0; i < h->dim; i++)
		v->x[i] = half_to_float(h->x[i]);
	return v;
}

static MgHalfvec *
mgh_checked(struct varlena *datum)
{
	MgHalfvec  *h = (MgHalfvec *) datum;

	if (VARSIZE(h) < offsetof(MgHalfvec, x) || h->dim < 1 || h->dim > MGV_MAX_DIM ||
		VARSIZE(h) != MGH_SIZE(h->dim))
		ereport(ERROR,
				(errcode(ERRCODE_DATA_CORRUPTED),
				 errmsg("invalid halfvec value: its size does not match its number of dimensions")));
	return h;
}

#define PG_GETARG_MGHALF(n) mgh_checked(PG_DETOAST_DATUM(PG_GETARG_DATUM(n)))
/* Argument n as a float vector Datum, for the vector functions. */
#define VEC_ARG(n) PointerGetDatum(mgh_to_vector(PG_GETARG_MGHALF(n)))
#define HALF_RESULT(d) PointerGetDatum(mgh_from_vector((MgVector *) DatumGetPointer(d)))

static void
mgh_check_typmod(int dim, int32 typmod)
{
	mgv_check_typmod_of(dim, typmod, "halfvec");
}

/* ---- I/O ------------------------------------------------------------------------------------- */

PG_FUNCTION_INFO_V1(mgh_in);
Datum
mgh_in(PG_FUNCTION_ARGS)
{
	MgHalfvec  *h = mgh_from_vector(mgv_parse(PG_GETARG_CSTRING(0), "halfvec"));

	mgh_check_typmod(h->dim, PG_GETARG_INT32(2));
	PG_RETURN_POINTER(h);
}

PG_FUNCTION_INFO_V1(mgh_out);
Datum
mgh_out(PG_FUNCTION_ARGS)
{
	return DirectFunctionCall1(mgv_out, VEC_ARG(0));
}

PG_FUNCTION_INFO_V1(mgh_typmod_in);
Datum
mgh_typmod_in(PG_FUNCTION_ARGS)
{
	PG_RETURN_INT32(mgv_typmod_value(PG_GETARG_ARRAYTYPE_P(0), "halfvec"));
}

/* Binary: [int16 dim][int16 0][uint16 binary16 x dim], network byte order. */
PG_FUNCTION_INFO_V1(mgh_recv);
Datum
mgh_recv(PG_FUNCTION_ARGS)
{
	StringInfo	buf = (StringInfo) PG_GETARG_POINTER(0);
	int			dim = (int16) pq_getmsgint(buf, sizeof(int16));
	int			reserved = (int16) pq_getmsgint(buf, sizeof(int16));
	MgHalfvec  *h;

	mgv_check_dim_count(dim);
	if (reserved != 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_BINARY_REPRESENTATION),
				 errmsg("invalid binary halfvec: reserved field must be 0")));
	h = mgh_alloc(dim);
	for (int i = 0; i < dim; i++)
	{
		h->x[i] = (uint16) pq_getmsgint(buf, sizeof(uint16));
		mgv_check_element(half_to_float(h->x[i]));	/* NaN and infinity patterns */
	}
	mgh_check_typmod(dim, PG_GETARG_INT32(2));
	PG_RETURN_POINTER(h);
}

PG_FUNCTION_INFO_V1(mgh_send);
Datum
mgh_send(PG_FUNCTION_ARGS)
{
	MgHalfvec  *h = PG_GETARG_MGHALF(0);
	StringInfoData buf;

	pq_begintypsend(&buf);
	pq_sendint16(&buf, h->dim);
	pq_sendint16(&buf, 0);
	for (int i = 0; i < h->dim; i++)
		pq_sendint16(&buf, h->x[i]);
	PG_RETURN_BYTEA_P(pq_endtypsend(&buf));
}

/* ---- casts ----------------------------------------------------------------------------------- */

PG_FUNCTION_INFO_V1(mgh_coerce);
Datum
mgh_coerce(PG_FUNCTION_ARGS)
{
	MgHalfvec  *h = PG_GETARG_MGHALF(0);

	mgh_check_typmod(h->dim, PG_GETARG_INT32(1));
	PG_RETURN_POINTER(h);
}

PG_FUNCTION_INFO_V1(mgh_from_array);
Datum
mgh_from_array(PG_FUNCTION_ARGS)
{
	Datum		v = DirectFunctionCall3(mgv_from_array, PG_GETARG_DATUM(0), Int32GetDatum(-1), BoolGetDatum(false));
	MgHalfvec  *h = mgh_from_vector((MgVector *) DatumGetPointer(v));

	mgh_check_typmod(h->dim, PG_GETARG_INT32(1));
	PG_RETURN_POINTER(h);
}

PG_FUNCTION_INFO_V1(mgh_to_float4_array);
Datum
mgh_to_float4_array(PG_FUNCTION_ARGS)
{
	return DirectFunctionCall3(mgv_to_float4_array, VEC_ARG(0), Int32GetDatum(-1), BoolGetDatum(false));
}

PG_FUNCTION_INFO_V1(mgh_to_vector_cast);
Datum
mgh_to_vector_cast(PG_FUNCTION_ARGS)
{
	MgVector   *v = mgh_to_vector(PG_GETARG_MGHALF(0));

	mgv_check_typmod_of(v->dim, PG_GETARG_INT32(1), "vector");
	PG_RETURN_POINTER(v);
}

PG_FUNCTION_INFO_V1(mgh_from_vector_cast);
Datum
mgh_from_vector_cast(PG_FUNCTION_ARGS)
{
	MgHalfvec  *h = mgh_from_vector(PG_GETARG_MGVECTOR(0));

	mgh_check_typmod(h->dim, PG_GETARG_INT32(1));
	PG_RETURN_POINTER(h);
}

/* ---- functions and operators: the vector function of the same job --------------------------- */

#define MGH_UNARY(name, target) \
PG_FUNCTION_INFO_V1(name); \
Datum \
name(PG_FUNCTION_ARGS) \
{ \
	return DirectFunctionCall1(target, VEC_ARG(0)); \
}

#define MGH_BINARY(name, target) \
PG_FUNCTION_INFO_V1(name); \
Datum \
name(PG_FUNCTION_ARGS) \
{ \
	return DirectFunctionCall2(target, VEC_ARG(0), VEC_ARG(1)); \
}

#define MGH_BINARY_HALF(name, target) \
PG_FUNCTION_INFO_V1(name); \
Datum \
name(PG_FUNCTION_ARGS) \
{ \
	return HALF_RESULT(DirectFunctionCall2(target, VEC_ARG(0), VEC_ARG(1))); \
}

MGH_UNARY(mgh_dims, mgv_dims)
MGH_UNARY(mgh_l2_norm, mgv_l2_norm)
MGH_BINARY(mgh_l2_distance, mgv_l2_distance)
MGH_BINARY(mgh_l2_squared_distance, mgv_l2_squared_distance)
MGH_BINARY(mgh_inner_product, mgv_inner_product)
MGH_BINARY(mgh_negative_inner_product, mgv_negative_inner_product)
MGH_BINARY(mgh_cosine_distance, mgv_cosine_distance)
MGH_BINARY(mgh_l1_distance, mgv_l1_distance)
MGH_BINARY(mgh_cmp, mgv_cmp)
MGH_BINARY(mgh_lt, mgv_lt)
MGH_BINARY(mgh_le, mgv_le)
MGH_BINARY(mgh_eq, mgv_eq)
MGH_BINARY(mgh_ne, mgv_ne)
MGH_BINARY(mgh_ge, mgv_ge)
MGH_BINARY(mgh_gt, mgv_gt)
MGH_BINARY_HALF(mgh_add, mgv_add)
MGH_BINARY_HALF(mgh_sub, mgv_sub)
MGH_BINARY_HALF(mgh_mul, mgv_mul)
MGH_BINARY_HALF(mgh_concat, mgv_concat)

PG_FUNCTION_INFO_V1(mgh_l2_normalize);
Datum
mgh_l2_normalize(PG_FUNCTION_ARGS)
{
	return HALF_RESULT(DirectFunctionCall1(mgv_l2_normalize, VEC_ARG(0)));
}

PG_FUNCTION_INFO_V1(mgh_subvector);
Datum
mgh_subvector(PG_FUNCTION_ARGS)
{
	return HALF_RESULT(DirectFunctionCall3(mgv_subvector, VEC_ARG(0), PG_GETARG_DATUM(1), PG_GETARG_DATUM(2)));
}

/* avg(halfvec): the same double precision[] state as avg(vector). */
PG_FUNCTION_INFO_V1(mgh_accum);
Datum
mgh_accum(PG_FUNCTION_ARGS)
{
	return DirectFunctionCall2(mgv_accum, PG_GETARG_DATUM(0), VEC_ARG(1));
}

PG_FUNCTION_INFO_V1(mgh_avg);
Datum
mgh_avg(PG_FUNCTION_ARGS)
{
	LOCAL_FCINFO(inner, 1);
	Datum		result;

	/* Called through a full fcinfo: the vector avg returns NULL for an empty group. */
	InitFunctionCallInfoData(*inner, NULL, 1, PG_GET_COLLATION(), NULL, NULL);
	inner->args[0].value = PG_GETARG_DATUM(0);
	inner->args[0].isnull = false;
	result = mgv_avg(inner);
	if (inner->isnull)
		PG_RETURN_NULL();
	return HALF_RESULT(result);
}
