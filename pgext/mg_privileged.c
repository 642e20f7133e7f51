/*
 * mg_privileged: what Supabase's platform lets its non-superuser `postgres` do that PostgreSQL 15
 * reserves for superusers, for Migration Guard's dry-run server (shared_preload_libraries, after
 * mg_guard). Two statements, each run with the bootstrap superuser's rights only when it cannot
 * grant more than the caller already has:
 *
 *   - CREATE ROLE / ALTER ROLE with BYPASSRLS or REPLICATION, when the caller has CREATEROLE and
 *     itself has the attribute it hands out (PostgreSQL 16's rule). Statements that also name
 *     memberships (IN ROLE, ROLE, ADMIN) or SUPERUSER are never elevated: memberships go through a
 *     separate GRANT, which mg_guard checks.
 *   - CREATE FOREIGN DATA WRAPPER, when its handler and validator are functions that belong to an
 *     installed extension (e.g. the `wrappers` stand-in), never user-written code. The caller then
 *     gets USAGE on it WITH GRANT OPTION (a wrapper's owner must be a superuser).
 *
 * Everything else runs with the caller's own rights. mg_guard still sees the elevated statement:
 * it judges by the session user, which never changes here.
 */
#include "postgres.h"

#include "catalog/dependency.h"
#include "catalog/namespace.h"
#include "catalog/pg_authid.h"
#include "catalog/pg_proc.h"
#include "catalog/pg_type.h"
#include "commands/defrem.h"
#include "commands/extension.h"
#include "executor/spi.h"
#include "fmgr.h"
#include "miscadmin.h"
#include "nodes/parsenodes.h"
#include "parser/parse_func.h"
#include "tcop/utility.h"
#include "utils/acl.h"
#include "utils/builtins.h"
#include "utils/syscache.h"

PG_MODULE_MAGIC;

void		_PG_init(void);

static ProcessUtility_hook_type prev_process_utility = NULL;

/* Does the current user have this role attribute (CREATEROLE, BYPASSRLS, REPLICATION)? */
static bool
current_user_has(const char *attribute)
{
	HeapTuple	tup = SearchSysCache1(AUTHOID, ObjectIdGetDatum(GetUserId()));
	Form_pg_authid form;
	bool		result = false;

	if (!HeapTupleIsValid(tup))
		return false;
	form = (Form_pg_authid) GETSTRUCT(tup);
	if (strcmp(attribute, "createrole") == 0)
		result = form->rolcreaterole;
	else if (strcmp(attribute, "bypassrls") == 0)
		result = form->rolbypassrls;
	else if (strcmp(attribute, "isreplication") == 0)
		result = form->rolreplication;
	ReleaseSysCache(tup);
	return result;
}

static bool
option_true(DefElem *d)
{
	return d->arg == NULL || defGetBoolean(d);
}

/*
 * A CREATE/ALTER ROLE option list that only needs superuser for BYPASSRLS or REPLICATION, which
 * the caller has itself. Any option we do not know keeps the statement unelevated.
 */
static bool
role_options_elevatable(List *options)
{
	ListCell   *lc;
	bool		needs = false;

	foreach(lc, options)
	{
		DefElem    *d = (DefElem *) lfirst(lc);

		if (strcmp(d->defname, "bypassrls") == 0 || strcmp(d->defname, "isreplication") == 0)
		{
			if (option_true(d))
			{
				if (!current_user_has(d->defname))
					return false;
				needs = true;
			}
		}
		else if (strcmp(d->defname, "canlogin") != 0 && strcmp(d->defname, "inherit") != 0 &&
				 strcmp(d->defname, "connectionlimit") != 0 && strcmp(d->defname, "password") != 0 &&
				 strcmp(d->defname, "validUntil") != 0 && strcmp(d->defname, "createdb") != 0 &&
				 strcmp(d->defname, "createrole") != 0)
			return false;		/* superuser, IN ROLE, ROLE, ADMIN, SYSID, ...: not ours to elevate */
	}
	return needs;
}

static bool
alter_role_target_ok(RoleSpec *role)
{
	Oid			roleid;

	if (role == NULL || role->roletype != ROLESPEC_CSTRING)
		return false;
	roleid = get_role_oid(role->rolename, true);
	/* never a superuser's attributes, nor our own sandbox roles' */
	return OidIsValid(roleid) && !superuser_arg(roleid) && roleid != GetUserId();
}

/* A function named in CREATE FOREIGN DATA WRAPPER (HANDLER / VALIDATOR) that an extension owns. */
static bool
extension_function(List *name, int nargs, Oid *argtypes)
{
	Oid			fn = LookupFuncName(name, nargs, argtypes, true);

	return OidIsValid(fn) && OidIsValid(getExtensionOfObject(ProcedureRelationId, fn));
}

static bool
fdw_elevatable(CreateFdwStmt *stmt)
{
	ListCell   *lc;
	Oid			validator_args[2] = {TEXTARRAYOID, OIDOID};

	foreach(lc, stmt->func_options)
	{
		DefElem    *d = (DefElem *) lfirst(lc);

		if (d->arg == NULL)
			continue;			/* NO HANDLER / NO VALIDATOR */
		if (strcmp(d->defname, "handler") == 0)
		{
			if (!extension_function((List *) d->arg, 0, NULL))
				return false;
		}
		else if (strcmp(d->defname, "validator") == 0)
		{
			if (!extension_function((List *) d->arg, 2, validator_args))
				return false;
		}
		else
			return false;
	}
	return true;
}

static void
grant_fdw_usage(const char *fdwname, Oid grantee)
{
	StringInfoData sql;

	initStringInfo(&sql);
	appendStringInfo(&sql, "GRANT USAGE ON FOREIGN DATA WRAPPER %s TO %s WITH GRANT OPTION",
					 quote_identifier(fdwname), quote_identifier(GetUserNameFromId(grantee, false)));
	SPI_connect();
	if (SPI_execute(sql.data, false, 0) != SPI_OK_UTILITY)
		elog(ERROR, "mg_privileged: could not grant usage on foreign-data wrapper \"%s\"", fdwname);
	SPI_finish();
}

static void
run(PlannedStmt *pstmt, const char *queryString, bool readOnlyTree, ProcessUtilityContext context,
	ParamListInfo params, QueryEnvironment *queryEnv, DestReceiver *dest, QueryCompletion *qc)
{
	if (prev_process_utility)
		prev_process_utility(pstmt, queryString, readOnlyTree, context, params, queryEnv, dest, qc);
	else
		standard_ProcessUtility(pstmt, queryString, readOnlyTree, context, params, queryEnv, dest, qc);
}

static void
mg_privileged_process_utility(PlannedStmt *pstmt, const char *queryString, bool readOnlyTree,
							  ProcessUtilityContext context, ParamListInfo params,
							  QueryEnvironment *queryEnv, DestReceiver *dest, QueryCompletion *qc)
{
	Node	   *node = pstmt->utilityStmt;
	bool		elevate = false;
	Oid			caller = GetUserId();
	Oid			saved_user;
	int			saved_sec;

	if (node != NULL && !superuser())
	{
		if (IsA(node, CreateRoleStmt))
			elevate = ((CreateRoleStmt *) node)->stmt_type != ROLESTMT_GROUP &&
				current_user_has("createrole") && role_options_elevatable(((CreateRoleStmt *) node)->options);
		else if (IsA(node, AlterRoleStmt))
			/* action +1 is ALTER ROLE ... WITH options (and ALTER GROUP ADD, refused by its options) */
			elevate = current_user_has("createrole") && ((AlterRoleStmt *) node)->action == 1 &&
				alter_role_target_ok(((AlterRoleStmt *) node)->role) &&
				role_options_elevatable(((AlterRoleStmt *) node)->options);
		else if (IsA(node, CreateFdwStmt))
			elevate = fdw_elevatable((CreateFdwStmt *) node);
	}
	if (!elevate)
	{
		run(pstmt, queryString, readOnlyTree, context, params, queryEnv, dest, qc);
		return;
	}

	GetUserIdAndSecContext(&saved_user, &saved_sec);
	SetUserIdAndSecContext(BOOTSTRAP_SUPERUSERID, saved_sec | SECURITY_LOCAL_USERID_CHANGE);
	PG_TRY();
	{
		run(pstmt, queryString, readOnlyTree, context, params, queryEnv, dest, qc);
		if (IsA(node, CreateFdwStmt))
			grant_fdw_usage(((CreateFdwStmt *) node)->fdwname, caller);
	}
	PG_FINALLY();
	{
		SetUserIdAndSecContext(saved_user, saved_sec);
	}
	PG_END_TRY();
}

void
_PG_init(void)
{
	prev_process_utility = ProcessUtility_hook;
	ProcessUtility_hook = mg_privileged_process_utility;
}
