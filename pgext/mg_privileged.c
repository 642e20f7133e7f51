/*
 * mg_privileged: what Supabase's platform lets its non-superuser `postgres` do that PostgreSQL 15
 * reserves for superusers, for Migration Guard's dry-run server (shared_preload_libraries, after
 * mg_guard). Two statements, each run with the bootstrap superuser's rights only when it cannot
 * grant more than the caller already has, and PostgreSQL 16's createrole_self_grant:
 *
 *   - CREATE ROLE / ALTER ROLE with BYPASSRLS or REPLICATION, when the caller has CREATEROLE and
 *     itself has the attribute it hands out (PostgreSQL 16's rule). Statements that also name
 *     memberships (IN ROLE, ROLE, ADMIN) or SUPERUSER are never elevated: memberships go through a
 *     separate GRANT, which mg_guard checks.
 *   - CREATE FOREIGN DATA WRAPPER, when its handler and validator are functions that belong to an
 *     installed extension (e.g. the `wrappers` stand-in), never user-written code. The caller then
 *     gets USAGE on it WITH GRANT OPTION (a wrapper's owner must be a superuser).
 *
 * And the creator's membership of the roles it creates (PostgreSQL 16: the CREATEROLE user that
 * creates a role gets ADMIN OPTION on it; `createrole_self_grant = 'set, inherit'` also lets it SET
 * ROLE to it and own objects as it). In PostgreSQL 15 a CREATEROLE role may already grant itself
 * any role mg_guard does not protect, so this gives nothing new; it makes `CREATE ROLE x;
 * ALTER TABLE t OWNER TO x` (supabase/storage's history) work without a superuser. The grant is
 * recorded with the new role as its grantor, a grant no migration makes, so it can be told apart:
 * when a later GRANT names the other direction (`CREATE ROLE authenticator; GRANT postgres TO
 * authenticator`, a membership loop), the implicit grant yields to it, as PostgreSQL 15 (which
 * makes no implicit grant) would run that history.
 *
 * Everything else runs with the caller's own rights. mg_guard still sees the elevated statements
 * (also the implicit GRANT): it judges by the session user, which never changes here.
 */
#include "postgres.h"

#include "catalog/dependency.h"
#include "catalog/namespace.h"
#include "access/xact.h"
#include "catalog/pg_auth_members.h"
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

/* Run one statement of ours as the bootstrap superuser (role names are quoted by the callers). */
static void
run_elevated_sql(const char *sql)
{
	Oid			saved_user;
	int			saved_sec;

	GetUserIdAndSecContext(&saved_user, &saved_sec);
	SetUserIdAndSecContext(BOOTSTRAP_SUPERUSERID, saved_sec | SECURITY_LOCAL_USERID_CHANGE);
	PG_TRY();
	{
		SPI_connect();
		if (SPI_execute(sql, false, 0) != SPI_OK_UTILITY)
			elog(ERROR, "mg_privileged: could not run \"%s\"", sql);
		SPI_finish();
	}
	PG_FINALLY();
	{
		SetUserIdAndSecContext(saved_user, saved_sec);
	}
	PG_END_TRY();
}

/* Is `member`'s membership of `roleid` the implicit one its creator got (grantor = the role itself)? */
static bool
implicit_grant(Oid roleid, Oid member)
{
	HeapTuple	tup = SearchSysCache2(AUTHMEMROLEMEM, ObjectIdGetDatum(roleid), ObjectIdGetDatum(member));
	bool		result = false;

	if (HeapTupleIsValid(tup))
	{
		result = ((Form_pg_auth_members) GETSTRUCT(tup))->grantor == roleid;
		ReleaseSysCache(tup);
	}
	return result;
}

/*
 * After a non-superuser's CREATE ROLE: make the creator a member of the new role, with ADMIN OPTION.
 * Not when a membership either way exists already (CREATE ROLE ... ROLE/ADMIN creator, or IN ROLE
 * creator, where a grant would be a loop). mg_guard checks the GRANT like any other.
 */
static void
grant_created_role(const char *rolename, Oid creator)
{
	Oid			roleid;
	StringInfoData sql;
	char	   *role_q;

	CommandCounterIncrement();	/* see the new role and the memberships CREATE ROLE made */
	roleid = get_role_oid(rolename, true);
	if (!OidIsValid(roleid) || roleid == creator || superuser_arg(roleid) ||
		is_member_of_role_nosuper(creator, roleid) || is_member_of_role_nosuper(roleid, creator))
		return;
	role_q = pstrdup(quote_identifier(rolename));
	initStringInfo(&sql);
	appendStringInfo(&sql, "GRANT %s TO %s WITH ADMIN OPTION GRANTED BY %s", role_q,
					 quote_identifier(GetUserNameFromId(creator, false)), role_q);
	run_elevated_sql(sql.data);
}

/*
 * Before a non-superuser's GRANT r TO m: when r is a member of m only through the implicit grant it
 * got by creating m, that grant yields (GRANT r TO m would otherwise be a membership loop, which
 * PostgreSQL 15 never sees here since it makes no implicit grant). Nothing else is revoked.
 */
static void
yield_implicit_grants(GrantRoleStmt *stmt)
{
	ListCell   *lc_role;
	ListCell   *lc_member;

	if (!stmt->is_grant)
		return;
	foreach(lc_role, stmt->granted_roles)
	{
		AccessPriv *priv = (AccessPriv *) lfirst(lc_role);
		Oid			granted;

		if (priv->priv_name == NULL)
			continue;
		granted = get_role_oid(priv->priv_name, true);
		if (!OidIsValid(granted))
			continue;
		foreach(lc_member, stmt->grantee_roles)
		{
			RoleSpec   *spec = (RoleSpec *) lfirst(lc_member);
			Oid			member;
			StringInfoData sql;
			char	   *member_name;

			if (spec->roletype == ROLESPEC_PUBLIC)
				continue;
			member = get_rolespec_oid(spec, true);
			if (!OidIsValid(member) || !implicit_grant(member, granted))
				continue;
			member_name = GetUserNameFromId(member, false);
			ereport(NOTICE,
					(errmsg("role \"%s\" gives up the membership of role \"%s\" it got by creating it: this GRANT names the other direction",
							priv->priv_name, member_name)));
			initStringInfo(&sql);
			appendStringInfo(&sql, "REVOKE %s FROM ", quote_identifier(member_name));
			appendStringInfoString(&sql, quote_identifier(priv->priv_name));
			run_elevated_sql(sql.data);
			CommandCounterIncrement();
		}
	}
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
	bool		self_grant = node != NULL && IsA(node, CreateRoleStmt) && !superuser() &&
		current_user_has("createrole");

	if (node != NULL && !superuser() && IsA(node, GrantRoleStmt))
		yield_implicit_grants((GrantRoleStmt *) node);
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
		if (self_grant)
			grant_created_role(((CreateRoleStmt *) node)->role, caller);
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
	if (self_grant)
		grant_created_role(((CreateRoleStmt *) node)->role, caller);
}

void
_PG_init(void)
{
	prev_process_utility = ProcessUtility_hook;
	ProcessUtility_hook = mg_privileged_process_utility;
}
