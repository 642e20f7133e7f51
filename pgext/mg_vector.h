/*
 * mg_vector: Migration Guard's own stand-in for the `vector` type (see README.md).
 *
 * On-disk layout: a varlena header, the number of dimensions, a reserved int16 (always 0, so the
 * binary wire format is [int16 dim][int16 0][float4 * dim], which is what pgvector clients send),
 * then the elements.
 */
#ifndef MG_VECTOR_H
#define MG_VECTOR_H

#include "postgres.h"
#include "fmgr.h"

#define MGV_MAX_DIM 16000
/* An index tuple must fit an 8 kB page: the real hnsw/ivfflat refuse wider columns. */
#define MGV_MAX_INDEX_DIM 2000

typedef struct MgVector
{
	int32		vl_len_;		/* varlena header: never touch directly */
	int16		dim;
	int16		reserved;
	float4		x[FLEXIBLE_ARRAY_MEMBER];
} MgVector;

#define MGV_SIZE(d) (offsetof(MgVector, x) + sizeof(float4) * (d))
/*
 * Always detoast: values may be compressed, out of line or carry a short (unaligned) header. The
 * size check costs nothing and means no function can read past a damaged value.
 */
extern MgVector *mgv_checked(struct varlena *datum);
#define DatumGetMgVector(d) mgv_checked(PG_DETOAST_DATUM(d))
#define PG_GETARG_MGVECTOR(n) DatumGetMgVector(PG_GETARG_DATUM(n))
#define PG_RETURN_MGVECTOR(v) PG_RETURN_POINTER(v)

/* Shared with mg_halfvec.c, which converts to float vectors and reuses the functions here. */
extern MgVector *mgv_alloc(int dim);
extern MgVector *mgv_parse(const char *literal, const char *typname);
extern void mgv_check_dim_count(int dim);
extern void mgv_check_element(float4 value);
extern void mgv_check_typmod_of(int dim, int32 typmod, const char *typname);
extern int32 mgv_typmod_value(struct ArrayType *arr, const char *typname);

extern void mgv_index_init(void);

#endif
