/*
 * mg_vector_index: the `hnsw` and `ivfflat` index access methods, as stand-ins.
 *
 * A migration that creates `USING hnsw (embedding vector_cosine_ops) WITH (m = 16)` must succeed in
 * the dry run, and one with an out-of-range option or an unsized column must fail the way it would
 * on Supabase. Nothing else about these indexes matters to a dry run, so: the options are parsed
 * and range-checked, the build scans the table (the locks and the time of a real build) but stores
 * nothing, inserts are no-ops, the planner never picks the index (a huge cost) and a scan returns
 * no rows. The search settings (hnsw.ef_search, ivfflat.probes, ...) exist with their real ranges,
 * so that `SET hnsw.ef_search = 100` in a function or migration is checked as it would be.
 */
#include "postgres.h"

#include <float.h>

#include "access/amapi.h"
#include "access/genam.h"
#include "access/reloptions.h"
#include "access/relscan.h"
#include "access/tableam.h"
#include "catalog/index.h"
#include "commands/vacuum.h"
#include "fmgr.h"
#include "nodes/execnodes.h"
#include "nodes/pathnodes.h"
#include "utils/builtins.h"
#include "utils/guc.h"
#include "utils/rel.h"
#include "utils/syscache.h"
#include "catalog/pg_type.h"
#include "access/htup_details.h"

#include "mg_vector.h"

/* Far above disable_cost (1e10): even `SET enable_seqscan = off` prefers a sequential scan. */
#define MGV_NEVER_CHOSEN_COST 1.0e20

typedef struct MgvHnswOptions
{
	int32		vl_len_;		/* varlena header */
	int			m;
	int			ef_construction;
} MgvHnswOptions;

typedef struct MgvIvfflatOptions
{
	int32		vl_len_;		/* varlena header */
	int			lists;
} MgvIvfflatOptions;

static relopt_kind hnsw_relopt_kind;
static relopt_kind ivfflat_relopt_kind;

/* The settings exist so that SET checks its value; the stand-in scans read none of them. */
static int	hnsw_ef_search;
static int	hnsw_iterative_scan;
static int	hnsw_max_scan_tuples;
static double hnsw_scan_mem_multiplier;
static int	ivfflat_probes;
static int	ivfflat_iterative_scan;
static int	ivfflat_max_probes;

static const struct config_enum_entry hnsw_iterative_scan_options[] = {
	{"off", 0, false},
	{"relaxed_order", 1, false},
	{"strict_order", 2, false},
	{NULL, 0, false}
};

static const struct config_enum_entry ivfflat_iterative_scan_options[] = {
	{"off", 0, false},
	{"relaxed_order", 1, false},
	{NULL, 0, false}
};

void
mgv_index_init(void)
{
	hnsw_relopt_kind = add_reloption_kind();
	add_int_reloption(hnsw_relopt_kind, "m", "Max number of connections per layer (hnsw)",
					  16, 2, 100, AccessExclusiveLock);
	add_int_reloption(hnsw_relopt_kind, "ef_construction", "Size of the candidate list while building (hnsw)",
					  64, 4, 1000, AccessExclusiveLock);
	ivfflat_relopt_kind = add_reloption_kind();
	add_int_reloption(ivfflat_relopt_kind, "lists", "Number of inverted lists (ivfflat)",
					  100, 1, 32768, AccessExclusiveLock);

	DefineCustomIntVariable("hnsw.ef_search", "Size of the candidate list for an hnsw search.",
							"Accepted by the Migration Guard stand-in; it does not search.",
							&hnsw_ef_search, 40, 1, 1000, PGC_USERSET, 0, NULL, NULL, NULL);
	DefineCustomEnumVariable("hnsw.iterative_scan", "Iterative hnsw scan mode.", NULL,
							 &hnsw_iterative_scan, 0, hnsw_iterative_scan_options,
							 PGC_USERSET, 0, NULL, NULL, NULL);
	DefineCustomIntVariable("hnsw.max_scan_tuples", "Max tuples an iterative hnsw scan visits.", NULL,
							&hnsw_max_scan_tuples, 20000, 1, INT_MAX, PGC_USERSET, 0, NULL, NULL, NULL);
	DefineCustomRealVariable("hnsw.scan_mem_multiplier", "Multiple of work_mem for an iterative hnsw scan.", NULL,
							 &hnsw_scan_mem_multiplier, 1, 1, 1000, PGC_USERSET, 0, NULL, NULL, NULL);
	DefineCustomIntVariable("ivfflat.probes", "Number of lists an ivfflat search probes.",
							"Accepted by the Migration Guard stand-in; it does not search.",
							&ivfflat_probes, 1, 1, 32768, PGC_USERSET, 0, NULL, NULL, NULL);
	DefineCustomEnumVariable("ivfflat.iterative_scan", "Iterative ivfflat scan mode.", NULL,
							 &ivfflat_iterative_scan, 0, ivfflat_iterative_scan_options,
							 PGC_USERSET, 0, NULL, NULL, NULL);
	DefineCustomIntVariable("ivfflat.max_probes", "Max lists an iterative ivfflat scan probes.", NULL,
							&ivfflat_max_probes, 32768, 1, 32768, PGC_USERSET, 0, NULL, NULL, NULL);
}

/* ---- options --------------------------------------------------------------------------------- */

static void
hnsw_check_ef_construction(const MgvHnswOptions *opts)
{
	if (opts != NULL && opts->ef_construction < 2 * opts->m)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("hnsw: ef_construction (%d) must be at least 2 * m (%d)", opts->ef_construction, 2 * opts->m)));
}

static bytea *
hnsw_options(Datum reloptions, bool validate)
{
	static const relopt_parse_elt tab[] = {
		{"m", RELOPT_TYPE_INT, offsetof(MgvHnswOptions, m)},
		{"ef_construction", RELOPT_TYPE_INT, offsetof(MgvHnswOptions, ef_construction)},
	};
	MgvHnswOptions *opts = (MgvHnswOptions *) build_reloptions(reloptions, validate, hnsw_relopt_kind,
															   sizeof(MgvHnswOptions), tab, lengthof(tab));

	if (validate)
		hnsw_check_ef_construction(opts);
	return (bytea *) opts;
}

static bytea *
ivfflat_options(Datum reloptions, bool validate)
{
	static const relopt_parse_elt tab[] = {
		{"lists", RELOPT_TYPE_INT, offsetof(MgvIvfflatOptions, lists)},
	};

	return (bytea *) build_reloptions(reloptions, validate, ivfflat_relopt_kind,
									  sizeof(MgvIvfflatOptions), tab, lengthof(tab));
}

/* ---- build: check the column as the real AMs do, scan the table, store nothing --------------- */

static const char *
mgv_type_name(Oid typid)
{
	HeapTuple	tup = SearchSysCache1(TYPEOID, ObjectIdGetDatum(typid));
	char	   *name;

	if (!HeapTupleIsValid(tup))
		elog(ERROR, "cache lookup failed for type %u", typid);
	name = pstrdup(NameStr(((Form_pg_type) GETSTRUCT(tup))->typname));
	ReleaseSysCache(tup);
	return name;
}

static void
mgv_count_callback(Relation index, ItemPointer tid, Datum *values, bool *isnull, bool tupleIsAlive, void *state)
{
	(*(double *) state) += 1;
}

static IndexBuildResult *
mgv_build(Relation heap, Relation index, IndexInfo *indexInfo, const char *amname)
{
	Form_pg_attribute attr = TupleDescAttr(RelationGetDescr(index), 0);
	IndexBuildResult *result = (IndexBuildResult *) palloc0(sizeof(IndexBuildResult));
	double		indexed = 0;
	bool		half = strcmp(mgv_type_name(attr->atttypid), "halfvec") == 0;
	int			max_dim = half ? MGV_MAX_INDEX_DIM * 2 : MGV_MAX_INDEX_DIM;

	if (attr->atttypmod < 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("%s index needs a column with a fixed number of dimensions, like %s(1536)",
						amname, half ? "halfvec" : "vector")));
	if (attr->atttypmod > max_dim)
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("%s index supports at most %d dimensions for %s, the column has %d",
						amname, max_dim, half ? "halfvec" : "vector", attr->atttypmod)));

	result->heap_tuples = table_index_build_scan(heap, index, indexInfo, true, true,
												 mgv_count_callback, &indexed, NULL);
	result->index_tuples = 0;	/* stored: none */
	return result;
}

static IndexBuildResult *
hnsw_build(Relation heap, Relation index, IndexInfo *indexInfo)
{
	hnsw_check_ef_construction((MgvHnswOptions *) index->rd_options);
	return mgv_build(heap, index, indexInfo, "hnsw");
}

static IndexBuildResult *
ivfflat_build(Relation heap, Relation index, IndexInfo *indexInfo)
{
	return mgv_build(heap, index, indexInfo, "ivfflat");
}

/* Unlogged tables: the init fork stays empty, like the main fork. */
static void
mgv_buildempty(Relation index)
{
}

static bool
mgv_insert(Relation index, Datum *values, bool *isnull, ItemPointer heap_tid, Relation heap,
		   IndexUniqueCheck checkUnique, bool indexUnchanged, IndexInfo *indexInfo)
{
	return false;
}

static IndexBulkDeleteResult *
mgv_bulkdelete(IndexVacuumInfo *info, IndexBulkDeleteResult *stats, IndexBulkDeleteCallback callback,
			   void *callback_state)
{
	if (stats == NULL)
		stats = (IndexBulkDeleteResult *) palloc0(sizeof(IndexBulkDeleteResult));
	return stats;
}

static IndexBulkDeleteResult *
mgv_vacuumcleanup(IndexVacuumInfo *info, IndexBulkDeleteResult *stats)
{
	return stats;
}

static void
mgv_costestimate(PlannerInfo *root, IndexPath *path, double loop_count, Cost *indexStartupCost,
				 Cost *indexTotalCost, Selectivity *indexSelectivity, double *indexCorrelation,
				 double *indexPages)
{
	*indexStartupCost = MGV_NEVER_CHOSEN_COST;
	*indexTotalCost = MGV_NEVER_CHOSEN_COST;
	*indexSelectivity = 1.0;
	*indexCorrelation = 0.0;
	*indexPages = 1.0;
}

static bool
mgv_validate(Oid opclassoid)
{
	return true;
}

static IndexScanDesc
mgv_beginscan(Relation index, int nkeys, int norderbys)
{
	return RelationGetIndexScan(index, nkeys, norderbys);
}

static void
mgv_rescan(IndexScanDesc scan, ScanKey keys, int nkeys, ScanKey orderbys, int norderbys)
{
}

static bool
mgv_gettuple(IndexScanDesc scan, ScanDirection dir)
{
	return false;
}

static void
mgv_endscan(IndexScanDesc scan)
{
}

static IndexAmRoutine *
mgv_routine(uint16 nsupport)
{
	IndexAmRoutine *am = makeNode(IndexAmRoutine);

	am->amstrategies = 0;
	am->amsupport = nsupport;
	am->amoptsprocnum = 0;
	am->amcanorder = false;
	am->amcanorderbyop = true;
	am->amcanbackward = false;
	am->amcanunique = false;
	am->amcanmulticol = false;
	am->amoptionalkey = true;
	am->amsearcharray = false;
	am->amsearchnulls = false;
	am->amstorage = false;
	am->amclusterable = false;
	am->ampredlocks = false;
	am->amcanparallel = false;
	am->amcaninclude = false;
	am->amusemaintenanceworkmem = false;
	am->amparallelvacuumoptions = VACUUM_OPTION_NO_PARALLEL;
	am->amkeytype = InvalidOid;

	am->ambuildempty = mgv_buildempty;
	am->aminsert = mgv_insert;
	am->ambulkdelete = mgv_bulkdelete;
	am->amvacuumcleanup = mgv_vacuumcleanup;
	am->amcanreturn = NULL;
	am->amcostestimate = mgv_costestimate;
	am->amproperty = NULL;
	am->ambuildphasename = NULL;
	am->amvalidate = mgv_validate;
	am->amadjustmembers = NULL;
	am->ambeginscan = mgv_beginscan;
	am->amrescan = mgv_rescan;
	am->amgettuple = mgv_gettuple;
	am->amgetbitmap = NULL;
	am->amendscan = mgv_endscan;
	am->ammarkpos = NULL;
	am->amrestrpos = NULL;
	am->amestimateparallelscan = NULL;
	am->aminitparallelscan = NULL;
	am->amparallelrescan = NULL;
	return am;
}

PG_FUNCTION_INFO_V1(mgv_hnsw_handler);
Datum
mgv_hnsw_handler(PG_FUNCTION_ARGS)
{
	IndexAmRoutine *am = mgv_routine(3);

	am->ambuild = hnsw_build;
	am->amoptions = hnsw_options;
	PG_RETURN_POINTER(am);
}

PG_FUNCTION_INFO_V1(mgv_ivfflat_handler);
Datum
mgv_ivfflat_handler(PG_FUNCTION_ARGS)
{
	IndexAmRoutine *am = mgv_routine(5);

	am->ambuild = ivfflat_build;
	am->amoptions = ivfflat_options;
	PG_RETURN_POINTER(am);
}
