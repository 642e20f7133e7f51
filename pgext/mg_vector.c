/*
 * mg_vector: the `vector` type, its casts, operators and aggregates.
 *
 * Written for Migration Guard's dry run: migrations that declare `vector(1536)` columns, cast arrays
 * and text to vectors and compare them with <->, <=> and <#> must run exactly as they would on
 * Supabase, including the errors a wrong dimension raises. Arithmetic is done in double precision.
 * Every input path (text, binary, arrays, aggregate states) is validated: no NaN or infinity, 1 to
 * MGV_MAX_DIM dimensions, and a typmod that matches.
 */
#include "postgres.h"

#include <ctype.h>
#include <errno.h>
#include <float.h>
#include <math.h>

#include "catalog/pg_type.h"
#include "common/shortest_dec.h"
#include "fmgr.h"
#include "lib/stringinfo.h"
#include "libpq/pqformat.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/float.h"
#include "utils/fmgrprotos.h"
#include "utils/lsyscache.h"

#include "mg_vector.h"

PG_MODULE_MAGIC;

void		_PG_init(void);

void
_PG_init(void)
{
	mgv_index_init();
}

/* ---- helpers --------------------------------------------------------------------------------- */

MgVector *
mgv_checked(struct varlena *datum)
{
	MgVector   *v = (MgVector *) datum;

	if (VARSIZE(v) < offsetof(MgVector, x) || v->dim < 1 || v->dim > MGV_MAX_DIM ||
		VARSIZE(v) != MGV_SIZE(v->dim))
		ereport(ERROR,
				(errcode(ERRCODE_DATA_CORRUPTED),
				 errmsg("invalid vector value: its size does not match its number of dimensions")));
	return v;
}

MgVector *
mgv_alloc(int dim)
{
	MgVector   *v = (MgVector *) palloc0(MGV_SIZE(dim));

	SET_VARSIZE(v, MGV_SIZE(dim));
	v->dim = (int16) dim;
	return v;
}

void
mgv_check_dim_count(int dim)
{
	if (dim < 1)
		ereport(ERROR,
				(errcode(ERRCODE_DATA_EXCEPTION),
				 errmsg("a vector needs at least 1 dimension")));
	if (dim > MGV_MAX_DIM)
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("a vector can have at most %d dimensions, this one has %d", MGV_MAX_DIM, dim)));
}

/* typmod -1 means "any number of dimensions" (a bare `vector`). */
void
mgv_check_typmod_of(int dim, int32 typmod, const char *typname)
{
	if (typmod != -1 && dim != typmod)
		ereport(ERROR,
				(errcode(ERRCODE_DATA_EXCEPTION),
				 errmsg("%s has %d dimensions, but %s(%d) expects %d", typname, dim, typname, typmod, typmod)));
}

static void
mgv_check_typmod(int dim, int32 typmod)
{
	mgv_check_typmod_of(dim, typmod, "vector");
}

void
mgv_check_element(float4 value)
{
	if (isnan(value))
		ereport(ERROR,
				(errcode(ERRCODE_DATA_EXCEPTION),
				 errmsg("NaN is not allowed in a vector")));
	if (isinf(value))
		ereport(ERROR,
				(errcode(ERRCODE_DATA_EXCEPTION),
				 errmsg("infinite values are not allowed in a vector")));
}

/* A double result narrowed to float4 must stay finite (sums and means can overflow). */
static float4
mgv_narrow(double value)
{
	float4		f = (float4) value;

	if (isinf(f) || isnan(f))
		ereport(ERROR,
				(errcode(ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE),
				 errmsg("vector element out of range: %g", value)));
	return f;
}

static void
mgv_same_dims(const MgVector *a, const MgVector *b)
{
	if (a->dim != b->dim)
		ereport(ERROR,
				(errcode(ERRCODE_DATA_EXCEPTION),
				 errmsg("vectors have different dimensions: %d and %d", a->dim, b->dim)));
}

static void mgv_syntax_error(const char *literal, const char *typname, const char *detail) pg_attribute_noreturn();

static void
mgv_syntax_error(const char *literal, const char *typname, const char *detail)
{
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_TEXT_REPRESENTATION),
			 errmsg("invalid input syntax for type %s: \"%s\"", typname, literal),
			 errdetail("%s", detail)));
}

/* ---- text I/O -------------------------------------------------------------------------------- */

/* Parse '[1,2,3]' (whitespace allowed around every token); typname names the type in errors. */
MgVector *
mgv_parse(const char *literal, const char *typname)
{
	const char *p = literal;
	int			capacity = 16;
	int			dim = 0;
	float4	   *values;
	MgVector   *result;

	while (isspace((unsigned char) *p))
		p++;
	if (*p != '[')
		mgv_syntax_error(literal, typname, "A vector is written as [1,2,3].");
	p++;
	while (isspace((unsigned char) *p))
		p++;
	if (*p == ']')
		ereport(ERROR,
				(errcode(ERRCODE_DATA_EXCEPTION),
				 errmsg("a vector needs at least 1 dimension")));

	values = (float4 *) palloc(sizeof(float4) * capacity);
	for (;;)
	{
		char	   *end;
		float4		value;

		while (isspace((unsigned char) *p))
			p++;
		if (*p == '\0' || *p == ',' || *p == ']')
			mgv_syntax_error(literal, typname, "Expected a number.");
		errno = 0;
		value = strtof(p, &end);
		if (end == p)
			mgv_syntax_error(literal, typname, "Expected a number.");
		if (errno == ERANGE && isinf(value))
			ereport(ERROR,
					(errcode(ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE),
					 errmsg("\"%.*s\" is out of range for a vector element (real)", (int) (end - p), p)));
		mgv_check_element(value);
		if (dim == MGV_MAX_DIM)
			mgv_check_dim_count(dim + 1);
		if (dim == capacity)
		{
			capacity *= 2;
			values = (float4 *) repalloc(values, sizeof(float4) * capacity);
		}
		values[dim++] = value;
		p = end;
		while (isspace((unsigned char) *p))
			p++;
		if (*p == ',')
		{
			p++;
			continue;
		}
		if (*p == ']')
		{
			p++;
			break;
		}
		mgv_syntax_error(literal, typname, *p == '\0' ? "Missing \"]\"." : "Expected \",\" or \"]\" after a number.");
	}
	while (isspace((unsigned char) *p))
		p++;
	if (*p != '\0')
		mgv_syntax_error(literal, typname, "Unexpected text after \"]\".");

	result = mgv_alloc(dim);
	memcpy(result->x, values, sizeof(float4) * dim);
	pfree(values);
	return result;
}

PG_FUNCTION_INFO_V1(mgv_in);
Datum
mgv_in(PG_FUNCTION_ARGS)
{
	MgVector   *result = mgv_parse(PG_GETARG_CSTRING(0), "vector");

	mgv_check_typmod(result->dim, PG_GETARG_INT32(2));
	PG_RETURN_MGVECTOR(result);
}

PG_FUNCTION_INFO_V1(mgv_out);
Datum
mgv_out(PG_FUNCTION_ARGS)
{
	MgVector   *v = PG_GETARG_MGVECTOR(0);
	char	   *buf = palloc((size_t) v->dim * (FLOAT_SHORTEST_DECIMAL_LEN + 1) + 2);
	char	   *p = buf;

	*p++ = '[';
	for (int i = 0; i < v->dim; i++)
	{
		if (i > 0)
			*p++ = ',';
		p += float_to_shortest_decimal_bufn(v->x[i], p);
	}
	*p++ = ']';
	*p = '\0';
	PG_RETURN_CSTRING(buf);
}

/* The one modifier of vector(n) and halfvec(n): the number of dimensions. */
int32
mgv_typmod_value(ArrayType *arr, const char *typname)
{
	int			n;
	int32	   *mods = ArrayGetIntegerTypmods(arr, &n);

	if (n != 1)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("type %s takes one modifier, the number of dimensions, as in %s(1536)", typname, typname)));
	if (mods[0] < 1)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("%s(%d): the number of dimensions must be at least 1", typname, mods[0])));
	if (mods[0] > MGV_MAX_DIM)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("%s(%d): the number of dimensions cannot exceed %d", typname, mods[0], MGV_MAX_DIM)));
	return mods[0];
}

PG_FUNCTION_INFO_V1(mgv_typmod_in);
Datum
mgv_typmod_in(PG_FUNCTION_ARGS)
{
	PG_RETURN_INT32(mgv_typmod_value(PG_GETARG_ARRAYTYPE_P(0), "vector"));
}

/* ---- binary I/O: [int16 dim][int16 0][float4 x dim], network byte order ---------------------- */

PG_FUNCTION_INFO_V1(mgv_recv);
Datum
mgv_recv(PG_FUNCTION_ARGS)
{
	StringInfo	buf = (StringInfo) PG_GETARG_POINTER(0);
	int32		typmod = PG_GETARG_INT32(2);
	int			dim = (int16) pq_getmsgint(buf, sizeof(int16));
	int			reserved = (int16) pq_getmsgint(buf, sizeof(int16));
	MgVector   *result;

	mgv_check_dim_count(dim);
	if (reserved != 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_BINARY_REPRESENTATION),
				 errmsg("invalid binary vector: reserved field must be 0")));
	result = mgv_alloc(dim);
	for (int i = 0; i < dim; i++)
	{
		result->x[i] = pq_getmsgfloat4(buf);
		mgv_check_element(result->x[i]);
	}
	mgv_check_typmod(dim, typmod);
	PG_RETURN_MGVECTOR(result);
}

PG_FUNCTION_INFO_V1(mgv_send);
Datum
mgv_send(PG_FUNCTION_ARGS)
{
	MgVector   *v = PG_GETARG_MGVECTOR(0);
	StringInfoData buf;

	pq_begintypsend(&buf);
	pq_sendint16(&buf, v->dim);
	pq_sendint16(&buf, 0);
	for (int i = 0; i < v->dim; i++)
		pq_sendfloat4(&buf, v->x[i]);
	PG_RETURN_BYTEA_P(pq_endtypsend(&buf));
}

/* ---- casts ----------------------------------------------------------------------------------- */

/* vector -> vector(n): the length coercion behind `::vector(3)` and assignment to a column. */
PG_FUNCTION_INFO_V1(mgv_coerce);
Datum
mgv_coerce(PG_FUNCTION_ARGS)
{
	MgVector   *v = PG_GETARG_MGVECTOR(0);

	mgv_check_typmod(v->dim, PG_GETARG_INT32(1));
	PG_RETURN_MGVECTOR(v);
}

/* integer[], real[], double precision[] and numeric[] -> vector (one C function, four casts). */
PG_FUNCTION_INFO_V1(mgv_from_array);
Datum
mgv_from_array(PG_FUNCTION_ARGS)
{
	ArrayType  *arr = PG_GETARG_ARRAYTYPE_P(0);
	int32		typmod = PG_GETARG_INT32(1);
	Oid			elemtype = ARR_ELEMTYPE(arr);
	int16		typlen;
	bool		typbyval;
	char		typalign;
	Datum	   *elems;
	bool	   *nulls;
	int			n;
	MgVector   *result;

	if (ARR_NDIM(arr) > 1)
		ereport(ERROR,
				(errcode(ERRCODE_DATA_EXCEPTION),
				 errmsg("only a one-dimensional array can become a vector")));
	if (elemtype != INT4OID && elemtype != FLOAT4OID && elemtype != FLOAT8OID && elemtype != NUMERICOID)
		ereport(ERROR,
				(errcode(ERRCODE_DATATYPE_MISMATCH),
				 errmsg("cannot make a vector from an array of %s", format_type_be(elemtype))));

	/* Count first: a huge array is refused before it is unpacked. */
	mgv_check_dim_count(ArrayGetNItems(ARR_NDIM(arr), ARR_DIMS(arr)));
	get_typlenbyvalalign(elemtype, &typlen, &typbyval, &typalign);
	deconstruct_array(arr, elemtype, typlen, typbyval, typalign, &elems, &nulls, &n);
	mgv_check_typmod(n, typmod);

	result = mgv_alloc(n);
	for (int i = 0; i < n; i++)
	{
		if (nulls[i])
			ereport(ERROR,
					(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
					 errmsg("a vector cannot contain NULL (array element %d is NULL)", i + 1)));
		switch (elemtype)
		{
			case INT4OID:
				result->x[i] = (float4) DatumGetInt32(elems[i]);
				break;
			case FLOAT4OID:
				result->x[i] = DatumGetFloat4(elems[i]);
				break;
			case FLOAT8OID:
				{
					double		d = DatumGetFloat8(elems[i]);

					if (isnan(d) || isinf(d))
						mgv_check_element((float4) d);
					result->x[i] = mgv_narrow(d);
					break;
				}
			default:			/* NUMERICOID */
				result->x[i] = DatumGetFloat4(DirectFunctionCall1(numeric_float4, elems[i]));
				break;
		}
		mgv_check_element(result->x[i]);
	}
	PG_RETURN_MGVECTOR(result);
}

/* vector -> real[] */
PG_FUNCTION_INFO_V1(mgv_to_float4_array);
Datum
mgv_to_float4_array(PG_FUNCTION_ARGS)
{
	MgVector   *v = PG_GETARG_MGVECTOR(0);
	Datum	   *elems = (Datum *) palloc(sizeof(Datum) * v->dim);

	for (int i = 0; i < v->dim; i++)
		elems[i] = Float4GetDatum(v->x[i]);
	PG_RETURN_ARRAYTYPE_P(construct_array(elems, v->dim, FLOAT4OID, sizeof(float4), true, TYPALIGN_INT));
}

/* ---- distances and functions ----------------------------------------------------------------- */

PG_FUNCTION_INFO_V1(mgv_l2_distance);
Datum
mgv_l2_distance(PG_FUNCTION_ARGS)
{
	MgVector   *a = PG_GETARG_MGVECTOR(0);
	MgVector   *b = PG_GETARG_MGVECTOR(1);
	double		sum = 0.0;

	mgv_same_dims(a, b);
	for (int i = 0; i < a->dim; i++)
	{
		double		d = (double) a->x[i] - (double) b->x[i];

		sum += d * d;
	}
	PG_RETURN_FLOAT8(sqrt(sum));
}

PG_FUNCTION_INFO_V1(mgv_l2_squared_distance);
Datum
mgv_l2_squared_distance(PG_FUNCTION_ARGS)
{
	MgVector   *a = PG_GETARG_MGVECTOR(0);
	MgVector   *b = PG_GETARG_MGVECTOR(1);
	double		sum = 0.0;

	mgv_same_dims(a, b);
	for (int i = 0; i < a->dim; i++)
	{
		double		d = (double) a->x[i] - (double) b->x[i];

		sum += d * d;
	}
	PG_RETURN_FLOAT8(sum);
}

static double
mgv_dot(const MgVector *a, const MgVector *b)
{
	double		sum = 0.0;

	mgv_same_dims(a, b);
	for (int i = 0; i < a->dim; i++)
		sum += (double) a->x[i] * (double) b->x[i];
	return sum;
}

PG_FUNCTION_INFO_V1(mgv_inner_product);
Datum
mgv_inner_product(PG_FUNCTION_ARGS)
{
	PG_RETURN_FLOAT8(mgv_dot(PG_GETARG_MGVECTOR(0), PG_GETARG_MGVECTOR(1)));
}

/* <#> is the NEGATIVE inner product, so that ascending order puts the most similar first. */
PG_FUNCTION_INFO_V1(mgv_negative_inner_product);
Datum
mgv_negative_inner_product(PG_FUNCTION_ARGS)
{
	PG_RETURN_FLOAT8(-mgv_dot(PG_GETARG_MGVECTOR(0), PG_GETARG_MGVECTOR(1)));
}

PG_FUNCTION_INFO_V1(mgv_cosine_distance);
Datum
mgv_cosine_distance(PG_FUNCTION_ARGS)
{
	MgVector   *a = PG_GETARG_MGVECTOR(0);
	MgVector   *b = PG_GETARG_MGVECTOR(1);
	double		dot = 0.0,
				na = 0.0,
				nb = 0.0,
				similarity;

	mgv_same_dims(a, b);
	for (int i = 0; i < a->dim; i++)
	{
		dot += (double) a->x[i] * (double) b->x[i];
		na += (double) a->x[i] * (double) a->x[i];
		nb += (double) b->x[i] * (double) b->x[i];
	}
	/* The angle to a zero vector is undefined: NaN, as pgvector answers. */
	if (na == 0.0 || nb == 0.0)
		PG_RETURN_FLOAT8(get_float8_nan());
	similarity = dot / sqrt(na * nb);
	/* Rounding can push the ratio just past +-1. */
	if (similarity > 1.0)
		similarity = 1.0;
	else if (similarity < -1.0)
		similarity = -1.0;
	PG_RETURN_FLOAT8(1.0 - similarity);
}

PG_FUNCTION_INFO_V1(mgv_l1_distance);
Datum
mgv_l1_distance(PG_FUNCTION_ARGS)
{
	MgVector   *a = PG_GETARG_MGVECTOR(0);
	MgVector   *b = PG_GETARG_MGVECTOR(1);
	double		sum = 0.0;

	mgv_same_dims(a, b);
	for (int i = 0; i < a->dim; i++)
		sum += fabs((double) a->x[i] - (double) b->x[i]);
	PG_RETURN_FLOAT8(sum);
}

PG_FUNCTION_INFO_V1(mgv_dims);
Datum
mgv_dims(PG_FUNCTION_ARGS)
{
	PG_RETURN_INT32(PG_GETARG_MGVECTOR(0)->dim);
}

static double
mgv_norm(const MgVector *v)
{
	double		sum = 0.0;

	for (int i = 0; i < v->dim; i++)
		sum += (double) v->x[i] * (double) v->x[i];
	return sqrt(sum);
}

PG_FUNCTION_INFO_V1(mgv_l2_norm);
Datum
mgv_l2_norm(PG_FUNCTION_ARGS)
{
	PG_RETURN_FLOAT8(mgv_norm(PG_GETARG_MGVECTOR(0)));
}

PG_FUNCTION_INFO_V1(mgv_l2_normalize);
Datum
mgv_l2_normalize(PG_FUNCTION_ARGS)
{
	MgVector   *v = PG_GETARG_MGVECTOR(0);
	double		norm = mgv_norm(v);
	MgVector   *result = mgv_alloc(v->dim);

	for (int i = 0; i < v->dim; i++)
		result->x[i] = norm > 0.0 ? mgv_narrow(v->x[i] / norm) : 0.0f;
	PG_RETURN_MGVECTOR(result);
}

/* subvector(v, start, count): elements start .. start+count-1, 1-based, clipped to the vector. */
PG_FUNCTION_INFO_V1(mgv_subvector);
Datum
mgv_subvector(PG_FUNCTION_ARGS)
{
	MgVector   *v = PG_GETARG_MGVECTOR(0);
	int64		start = PG_GETARG_INT32(1);
	int64		end = start + (int64) PG_GETARG_INT32(2);	/* exclusive; int64: no overflow */
	MgVector   *result;

	if (start < 1)
		start = 1;
	if (end > (int64) v->dim + 1)
		end = (int64) v->dim + 1;
	if (end <= start)
		ereport(ERROR,
				(errcode(ERRCODE_DATA_EXCEPTION),
				 errmsg("a vector needs at least 1 dimension")));
	result = mgv_alloc((int) (end - start));
	memcpy(result->x, v->x + (start - 1), sizeof(float4) * (end - start));
	PG_RETURN_MGVECTOR(result);
}

/* ---- arithmetic ------------------------------------------------------------------------------ */

typedef enum
{
	MGV_ADD,
	MGV_SUB,
	MGV_MUL
} MgvOp;

static MgVector *
mgv_elementwise(const MgVector *a, const MgVector *b, MgvOp op)
{
	MgVector   *result;

	mgv_same_dims(a, b);
	result = mgv_alloc(a->dim);
	for (int i = 0; i < a->dim; i++)
	{
		double		x = a->x[i],
					y = b->x[i];

		result->x[i] = mgv_narrow(op == MGV_ADD ? x + y : op == MGV_SUB ? x - y : x * y);
	}
	return result;
}

PG_FUNCTION_INFO_V1(mgv_add);
Datum
mgv_add(PG_FUNCTION_ARGS)
{
	PG_RETURN_MGVECTOR(mgv_elementwise(PG_GETARG_MGVECTOR(0), PG_GETARG_MGVECTOR(1), MGV_ADD));
}

PG_FUNCTION_INFO_V1(mgv_sub);
Datum
mgv_sub(PG_FUNCTION_ARGS)
{
	PG_RETURN_MGVECTOR(mgv_elementwise(PG_GETARG_MGVECTOR(0), PG_GETARG_MGVECTOR(1), MGV_SUB));
}

PG_FUNCTION_INFO_V1(mgv_mul);
Datum
mgv_mul(PG_FUNCTION_ARGS)
{
	PG_RETURN_MGVECTOR(mgv_elementwise(PG_GETARG_MGVECTOR(0), PG_GETARG_MGVECTOR(1), MGV_MUL));
}

PG_FUNCTION_INFO_V1(mgv_concat);
Datum
mgv_concat(PG_FUNCTION_ARGS)
{
	MgVector   *a = PG_GETARG_MGVECTOR(0);
	MgVector   *b = PG_GETARG_MGVECTOR(1);
	MgVector   *result;

	mgv_check_dim_count(a->dim + b->dim);
	result = mgv_alloc(a->dim + b->dim);
	memcpy(result->x, a->x, sizeof(float4) * a->dim);
	memcpy(result->x + a->dim, b->x, sizeof(float4) * b->dim);
	PG_RETURN_MGVECTOR(result);
}

/* ---- btree ordering: element by element, then the shorter vector first ----------------------- */

static int
mgv_compare(const MgVector *a, const MgVector *b)
{
	int			common = Min(a->dim, b->dim);

	for (int i = 0; i < common; i++)
	{
		if (a->x[i] < b->x[i])
			return -1;
		if (a->x[i] > b->x[i])
			return 1;
	}
	return (a->dim > b->dim) - (a->dim < b->dim);
}

PG_FUNCTION_INFO_V1(mgv_cmp);
Datum
mgv_cmp(PG_FUNCTION_ARGS)
{
	PG_RETURN_INT32(mgv_compare(PG_GETARG_MGVECTOR(0), PG_GETARG_MGVECTOR(1)));
}

#define MGV_COMPARISON(name, test) \
PG_FUNCTION_INFO_V1(name); \
Datum \
name(PG_FUNCTION_ARGS) \
{ \
	int			c = mgv_compare(PG_GETARG_MGVECTOR(0), PG_GETARG_MGVECTOR(1)); \
	PG_RETURN_BOOL(test); \
}

MGV_COMPARISON(mgv_lt, c < 0)
MGV_COMPARISON(mgv_le, c <= 0)
MGV_COMPARISON(mgv_eq, c == 0)
MGV_COMPARISON(mgv_ne, c != 0)
MGV_COMPARISON(mgv_ge, c >= 0)
MGV_COMPARISON(mgv_gt, c > 0)

/* ---- avg(vector): the state is double precision[] = {count, sum_1, ..., sum_dim} ------------- */

/* The state can come from a caller (the functions are callable), so check its shape. */
static float8 *
mgv_state_values(ArrayType *state, int *n)
{
	if (ARR_NDIM(state) != 1 || ARR_ELEMTYPE(state) != FLOAT8OID || ARR_HASNULL(state) ||
		ARR_DIMS(state)[0] < 1 || ARR_DIMS(state)[0] > MGV_MAX_DIM + 1)
		ereport(ERROR,
				(errcode(ERRCODE_DATA_EXCEPTION),
				 errmsg("invalid state for avg(vector): expected a one-dimensional double precision array without NULLs")));
	*n = ARR_DIMS(state)[0];
	return (float8 *) ARR_DATA_PTR(state);
}

static ArrayType *
mgv_state_build(const float8 *values, int n)
{
	Datum	   *elems = (Datum *) palloc(sizeof(Datum) * n);

	for (int i = 0; i < n; i++)
		elems[i] = Float8GetDatum(values[i]);
	return construct_array(elems, n, FLOAT8OID, sizeof(float8), FLOAT8PASSBYVAL, TYPALIGN_DOUBLE);
}

PG_FUNCTION_INFO_V1(mgv_accum);
Datum
mgv_accum(PG_FUNCTION_ARGS)
{
	int			n;
	float8	   *state = mgv_state_values(PG_GETARG_ARRAYTYPE_P(0), &n);
	MgVector   *v = PG_GETARG_MGVECTOR(1);
	float8	   *next = (float8 *) palloc0(sizeof(float8) * (v->dim + 1));

	if (n == 1)
		next[0] = state[0];
	else if (n != v->dim + 1)
		ereport(ERROR,
				(errcode(ERRCODE_DATA_EXCEPTION),
				 errmsg("vectors have different dimensions: %d and %d", n - 1, v->dim)));
	else
		memcpy(next, state, sizeof(float8) * n);
	next[0] += 1.0;
	for (int i = 0; i < v->dim; i++)
		next[i + 1] += v->x[i];
	PG_RETURN_ARRAYTYPE_P(mgv_state_build(next, v->dim + 1));
}

PG_FUNCTION_INFO_V1(mgv_combine);
Datum
mgv_combine(PG_FUNCTION_ARGS)
{
	int			na,
				nb;
	float8	   *a = mgv_state_values(PG_GETARG_ARRAYTYPE_P(0), &na);
	float8	   *b = mgv_state_values(PG_GETARG_ARRAYTYPE_P(1), &nb);
	float8	   *next;

	if (na == 1)
		PG_RETURN_ARRAYTYPE_P(mgv_state_build(b, nb));
	if (nb == 1)
		PG_RETURN_ARRAYTYPE_P(mgv_state_build(a, na));
	if (na != nb)
		ereport(ERROR,
				(errcode(ERRCODE_DATA_EXCEPTION),
				 errmsg("vectors have different dimensions: %d and %d", na - 1, nb - 1)));
	next = (float8 *) palloc(sizeof(float8) * na);
	for (int i = 0; i < na; i++)
		next[i] = a[i] + b[i];
	PG_RETURN_ARRAYTYPE_P(mgv_state_build(next, na));
}

PG_FUNCTION_INFO_V1(mgv_avg);
Datum
mgv_avg(PG_FUNCTION_ARGS)
{
	int			n;
	float8	   *state = mgv_state_values(PG_GETARG_ARRAYTYPE_P(0), &n);
	MgVector   *result;

	if (n == 1 || state[0] <= 0.0)
		PG_RETURN_NULL();
	result = mgv_alloc(n - 1);
	for (int i = 1; i < n; i++)
		result->x[i - 1] = mgv_narrow(state[i] / state[0]);
	PG_RETURN_MGVECTOR(result);
}
