/*
 * mg_guard: role guard for Migration Guard's dry-run server (loaded via shared_preload_libraries).
 *
 * The dry run gives its `postgres` role CREATEROLE, as Supabase does. In PostgreSQL 15 a CREATEROLE
 * role may grant itself any non-superuser role, including pg_execute_server_program (COPY ... TO
 * PROGRAM, i.e. a shell) and pg_read/write_server_files. This ProcessUtility hook closes that for
 * every non-superuser, whatever the path: top-level statements, DO blocks, EXECUTE in functions and
 * SQL functions all reach the hook. It refuses
 *   - granting a protected role (GRANT r TO ..., CREATE ROLE ... IN ROLE r, ALTER GROUP r ADD USER);
 *   - naming a protected role as a member in CREATE ROLE ... ROLE/ADMIN;
 *   - ALTER/DROP/RENAME ROLE, ALTER ROLE ... SET, DROP/REASSIGN OWNED on a protected role.
 * A role is protected when it is, or is a member (directly or through a chain) of, one of the
 * server-access roles above, a role named in mg_guard.reserved_roles (default supabase_admin), or a
 * superuser. Membership chains count, so granting a role that was itself made a member of
 * pg_execute_server_program is refused too. Superuser sessions (the sandbox's own bootstrap) are not
 * limited; a non-superuser session is, even inside a superuser's SECURITY DEFINER function.
 *
 * It also refuses ALTER EXTENSION ... ADD outside an extension's own script: the dry run leaves an
 * extension's members out of its report (affected objects, advisories), so PR SQL could otherwise
 * make its own table a member of an extension it created and hide it (no migration needs this).
 */
#include "postgres.h"

#include "access/genam.h"
#include "access/htup_details.h"
#include "access/table.h"
#include "catalog/pg_authid.h"
#include "commands/extension.h"
#include "fmgr.h"
#include "miscadmin.h"
#include "nodes/parsenodes.h"
#include "tcop/utility.h"
#include "utils/acl.h"
#include "utils/builtins.h"
#include "utils/guc.h"
#include "utils/syscache.h"
#include "utils/varlena.h"

PG_MODULE_MAGIC;

void		_PG_init(void);

/* Server file and program access: always protected, whatever the setting says. */
static const char *const server_access_roles[] = {
	"pg_execute_server_program",
	"pg_read_server_files",
	"pg_write_server_files",
};

static char *reserved_roles = NULL;
static ProcessUtility_hook_type prev_process_utility = NULL;

/* Why a role is protected, for the error message. */
typedef struct Protection
{
	bool		protected;
	const char *reason;			/* "it is a reserved role", ... */
	char	   *via;			/* the reserved or superuser role it is a member of, or NULL */
} Protection;

static bool
role_is_reserved_name(const char *name)
{
	char	   *copy;
	List	   *names;
	ListCell   *lc;

	for (int i = 0; i < lengthof(server_access_roles); i++)
		if (strcmp(name, server_access_roles[i]) == 0)
			return true;
	if (reserved_roles == NULL)
		return false;
	copy = pstrdup(reserved_roles);
	if (!SplitIdentifierString(copy, ',', &names))
		return false;			/* rejected by the check hook; cannot happen */
	foreach(lc, names)
		if (strcmp(name, (char *) lfirst(lc)) == 0)
			return true;
	return false;
}

/* Reserved roles that exist, as OIDs. */
static List *
reserved_role_oids(void)
{
	List	   *oids = NIL;
	char	   *copy;
	List	   *names;
	ListCell   *lc;

	for (int i = 0; i < lengthof(server_access_roles); i++)
	{
		Oid			oid = get_role_oid(server_access_roles[i], true);

		if (OidIsValid(oid))
			oids = lappend_oid(oids, oid);
	}
	if (reserved_roles != NULL)
	{
		copy = pstrdup(reserved_roles);
		if (SplitIdentifierString(copy, ',', &names))
			foreach(lc, names)
			{
				Oid			oid = get_role_oid((char *) lfirst(lc), true);

				if (OidIsValid(oid))
					oids = lappend_oid(oids, oid);
			}
	}
	return oids;
}

static Protection
role_protection(Oid roleid, bool follow_membership)
{
	Protection	p = {false, NULL, NULL};
	HeapTuple	tup = SearchSysCache1(AUTHOID, ObjectIdGetDatum(roleid));
	Relation	rel;
	SysScanDesc scan;
	ListCell   *lc;
	List	   *reserved;

	if (!HeapTupleIsValid(tup))
		return p;				/* no such role: PostgreSQL reports that itself */
	if (((Form_pg_authid) GETSTRUCT(tup))->rolsuper)
	{
		ReleaseSysCache(tup);
		p.protected = true;
		p.reason = "it is a superuser";
		return p;
	}
	if (role_is_reserved_name(NameStr(((Form_pg_authid) GETSTRUCT(tup))->rolname)))
	{
		ReleaseSysCache(tup);
		p.protected = true;
		p.reason = "it is a reserved role";
		return p;
	}
	ReleaseSysCache(tup);
	if (!follow_membership)
		return p;

	reserved = reserved_role_oids();
	foreach(lc, reserved)
	{
		if (is_member_of_role_nosuper(roleid, lfirst_oid(lc)))
		{
			p.protected = true;
			p.reason = "it is a member of reserved role";
			p.via = GetUserNameFromId(lfirst_oid(lc), false);
			return p;
		}
	}

	/* Membership of any superuser role would let SET ROLE reach superuser. */
	rel = table_open(AuthIdRelationId, AccessShareLock);
	scan = systable_beginscan(rel, InvalidOid, false, NULL, 0, NULL);
	while ((tup = systable_getnext(scan)) != NULL)
	{
		Form_pg_authid form = (Form_pg_authid) GETSTRUCT(tup);

		if (form->rolsuper && is_member_of_role_nosuper(roleid, form->oid))
		{
			p.protected = true;
			p.reason = "it is a member of superuser role";
			p.via = pstrdup(NameStr(form->rolname));
			break;
		}
	}
	systable_endscan(scan);
	table_close(rel, AccessShareLock);
	return p;
}

static void
refuse(const char *action, const char *rolename, Protection p)
{
	if (p.via != NULL)
		ereport(ERROR,
				(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
				 errmsg("%s role \"%s\" is not allowed in the Migration Guard dry-run sandbox: %s \"%s\"",
						action, rolename, p.reason, p.via)));
	ereport(ERROR,
			(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
			 errmsg("%s role \"%s\" is not allowed in the Migration Guard dry-run sandbox: %s",
					action, rolename, p.reason)));
}

static void
check_role_name(const char *action, const char *rolename, bool follow_membership)
{
	Oid			oid = get_role_oid(rolename, true);

	if (OidIsValid(oid))
	{
		Protection	p = role_protection(oid, follow_membership);

		if (p.protected)
			refuse(action, rolename, p);
	}
}

static void
check_rolespec(const char *action, RoleSpec *spec, bool follow_membership)
{
	Oid			oid;
	Protection	p;

	if (spec == NULL || spec->roletype == ROLESPEC_PUBLIC)
		return;
	oid = get_rolespec_oid(spec, true);
	if (!OidIsValid(oid))
		return;
	p = role_protection(oid, follow_membership);
	if (p.protected)
		refuse(action, GetUserNameFromId(oid, false), p);
}

static void
check_rolespec_list(const char *action, List *specs, bool follow_membership)
{
	ListCell   *lc;

	foreach(lc, specs)
		check_rolespec(action, (RoleSpec *) lfirst(lc), follow_membership);
}

static void
check_statement(Node *stmt)
{
	switch (nodeTag(stmt))
	{
		case T_GrantRoleStmt:
			{
				GrantRoleStmt *grant = (GrantRoleStmt *) stmt;
				ListCell   *lc;

				if (!grant->is_grant)
					break;
				foreach(lc, grant->granted_roles)
				{
					AccessPriv *priv = (AccessPriv *) lfirst(lc);

					if (priv->priv_name != NULL)
						check_role_name("granting", priv->priv_name, true);
				}
				break;
			}
		case T_CreateRoleStmt:
			{
				ListCell   *lc;

				foreach(lc, ((CreateRoleStmt *) stmt)->options)
				{
					DefElem    *opt = (DefElem *) lfirst(lc);

					/* IN ROLE / IN GROUP: the new role becomes a member, i.e. is granted them. */
					if (strcmp(opt->defname, "addroleto") == 0)
						check_rolespec_list("granting (CREATE ROLE ... IN ROLE)", (List *) opt->arg, true);
					/* ROLE / USER / ADMIN: those roles become members of the new role. */
					else if (strcmp(opt->defname, "rolemembers") == 0 ||
							 strcmp(opt->defname, "adminmembers") == 0)
						check_rolespec_list("naming (CREATE ROLE ... ROLE/ADMIN)", (List *) opt->arg, false);
				}
				break;
			}
		case T_AlterRoleStmt:
			/* Also ALTER GROUP r ADD USER x, which grants r. */
			check_rolespec("altering", ((AlterRoleStmt *) stmt)->role, true);
			break;
		case T_AlterRoleSetStmt:
			check_rolespec("altering", ((AlterRoleSetStmt *) stmt)->role, true);
			break;
		case T_DropRoleStmt:
			check_rolespec_list("dropping", ((DropRoleStmt *) stmt)->roles, true);
			break;
		case T_RenameStmt:
			{
				RenameStmt *rename = (RenameStmt *) stmt;

				if (rename->renameType == OBJECT_ROLE && rename->subname != NULL)
					check_role_name("renaming", rename->subname, true);
				break;
			}
		case T_DropOwnedStmt:
			check_rolespec_list("dropping objects owned by", ((DropOwnedStmt *) stmt)->roles, true);
			break;
		case T_AlterExtensionContentsStmt:
			if (((AlterExtensionContentsStmt *) stmt)->action > 0 && !creating_extension)
				ereport(ERROR,
						(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
						 errmsg("ALTER EXTENSION %s ADD is refused in the dry run",
								((AlterExtensionContentsStmt *) stmt)->extname),
						 errdetail("An object made a member of an extension is left out of Migration Guard's report, like the extension's own objects; migrations do not need this."),
						 errhint("Create the object as a plain object (see docs/security.md).")));
			break;
		case T_ReassignOwnedStmt:
			check_rolespec_list("reassigning objects owned by", ((ReassignOwnedStmt *) stmt)->roles, true);
			check_rolespec("reassigning objects to", ((ReassignOwnedStmt *) stmt)->newrole, true);
			break;
		default:
			break;
	}
}

static void
mg_guard_process_utility(PlannedStmt *pstmt, const char *queryString, bool readOnlyTree,
						 ProcessUtilityContext context, ParamListInfo params,
						 QueryEnvironment *queryEnv, DestReceiver *dest, QueryCompletion *qc)
{
	/*
	 * Limited: a non-superuser current user (also after SET ROLE from a superuser session), or a
	 * non-superuser session running code with a superuser's rights (a superuser's SECURITY DEFINER
	 * function, a trusted extension's script): none of those has a reason to hand out these roles,
	 * and any such helper of ours with an injection bug stays harmless.
	 */
	if (pstmt->utilityStmt != NULL && (!superuser() || !superuser_arg(GetSessionUserId())))
		check_statement(pstmt->utilityStmt);

	if (prev_process_utility)
		prev_process_utility(pstmt, queryString, readOnlyTree, context, params, queryEnv, dest, qc);
	else
		standard_ProcessUtility(pstmt, queryString, readOnlyTree, context, params, queryEnv, dest, qc);
}

static bool
check_reserved_roles(char **newval, void **extra, GucSource source)
{
	char	   *copy = pstrdup(*newval);
	List	   *names;
	bool		ok = SplitIdentifierString(copy, ',', &names);

	if (!ok)
		GUC_check_errdetail("List syntax is invalid: expected comma-separated role names.");
	list_free(names);
	pfree(copy);
	return ok;
}

void
_PG_init(void)
{
	/* SIGHUP: set by the server's configuration only, never by a session's SET. */
	DefineCustomStringVariable("mg_guard.reserved_roles",
							   "Roles that non-superusers may not grant, alter, drop or rename (besides pg_execute_server_program, pg_read_server_files and pg_write_server_files).",
							   NULL,
							   &reserved_roles,
							   "supabase_admin",
							   PGC_SIGHUP,
							   GUC_LIST_INPUT,
							   check_reserved_roles, NULL, NULL);
	MarkGUCPrefixReserved("mg_guard");

	prev_process_utility = ProcessUtility_hook;
	ProcessUtility_hook = mg_guard_process_utility;
}
