// Roles, role members, grants and the epoch that tells replicas their cached decisions are
// stale (migrations/20261208030000_authorization.sql).
import { sql } from 'kysely';
import type { Privilege, SecurableKind } from '../authz/privileges.js';
import type { DbOrTx } from './database.js';

export type GranteeKind = 'principal' | 'group' | 'role';

export interface Grantee {
  kind: GranteeKind;
  name: string;
}

export interface GrantRow {
  securableId: string;
  securableKind: SecurableKind;
  grantee: Grantee;
  privilege: Privilege;
  grantedBy: string | null;
}

export async function currentEpoch(db: DbOrTx): Promise<number> {
  const row = await db.selectFrom('auth_epoch').select('epoch').executeTakeFirst();
  return Number(row?.epoch ?? 0);
}

/**
 * Every role a principal holds: the roles granted to it and to its groups, and, recursively,
 * the roles those roles are members of.
 */
export async function rolesOf(db: DbOrTx, principal: string, groups: readonly string[]): Promise<string[]> {
  const result = await sql<{ role: string }>`
    WITH RECURSIVE held(role) AS (
      SELECT role FROM auth_role_member
      WHERE (member_kind = 'principal' AND member = ${principal}) OR (member_kind = 'group' AND member = ANY(${[...groups]}::text[]))
      UNION
      SELECT m.role FROM auth_role_member m JOIN held h ON m.member_kind = 'role' AND m.member = h.role
    )
    SELECT role FROM held`.execute(db);
  return result.rows.map((r) => r.role);
}

/** Every grant made to any of these grantees: securable id -> privileges. */
export async function grantsTo(db: DbOrTx, grantees: readonly Grantee[]): Promise<Map<string, Privilege[]>> {
  const kinds = grantees.map((g) => g.kind);
  const names = grantees.map((g) => g.name);
  const result = await sql<{ securable_id: string; privilege: Privilege }>`
    SELECT g.securable_id, g.privilege FROM auth_grant g
    JOIN unnest(${kinds}::text[], ${names}::text[]) AS x(kind, name) ON g.grantee_kind = x.kind AND g.grantee = x.name`.execute(db);
  const map = new Map<string, Privilege[]>();
  for (const row of result.rows) {
    const list = map.get(row.securable_id);
    if (list) list.push(row.privilege);
    else map.set(row.securable_id, [row.privilege]);
  }
  return map;
}

export async function insertGrants(db: DbOrTx, rows: readonly GrantRow[]): Promise<void> {
  if (rows.length === 0) return;
  await db
    .insertInto('auth_grant')
    .values(
      rows.map((r) => ({
        securable_id: r.securableId,
        securable_kind: r.securableKind,
        grantee_kind: r.grantee.kind,
        grantee: r.grantee.name,
        privilege: r.privilege,
        granted_by: r.grantedBy,
      })),
    )
    .onConflict((oc) => oc.columns(['securable_id', 'grantee_kind', 'grantee', 'privilege']).doNothing())
    .execute();
}

export async function deleteGrants(db: DbOrTx, securableId: string, grantee: Grantee, privileges: readonly Privilege[]): Promise<number> {
  const result = await db
    .deleteFrom('auth_grant')
    .where('securable_id', '=', securableId)
    .where('grantee_kind', '=', grantee.kind)
    .where('grantee', '=', grantee.name)
    .where('privilege', 'in', [...privileges])
    .executeTakeFirst();
  return Number(result.numDeletedRows);
}

export async function grantsOn(db: DbOrTx, securableIds: readonly string[]): Promise<GrantRow[]> {
  if (securableIds.length === 0) return [];
  const rows = await db.selectFrom('auth_grant').selectAll().where('securable_id', 'in', [...securableIds]).orderBy('granted_at').execute();
  return rows.map((r) => ({
    securableId: r.securable_id,
    securableKind: r.securable_kind,
    grantee: { kind: r.grantee_kind, name: r.grantee },
    privilege: r.privilege as Privilege,
    grantedBy: r.granted_by,
  }));
}

export async function insertRole(db: DbOrTx, name: string, createdBy: string): Promise<boolean> {
  const result = await db
    .insertInto('auth_role')
    .values({ name, created_by: createdBy })
    .onConflict((oc) => oc.column('name').doNothing())
    .executeTakeFirst();
  return Number(result.numInsertedOrUpdatedRows ?? 0) === 1;
}

export async function deleteRole(db: DbOrTx, name: string): Promise<boolean> {
  await db.deleteFrom('auth_grant').where('grantee_kind', '=', 'role').where('grantee', '=', name).execute();
  await db.deleteFrom('auth_role_member').where('member_kind', '=', 'role').where('member', '=', name).execute();
  const result = await db.deleteFrom('auth_role').where('name', '=', name).executeTakeFirst();
  return Number(result.numDeletedRows) === 1;
}

export async function listRoles(db: DbOrTx): Promise<{ name: string; members: Grantee[] }[]> {
  const roles = await db.selectFrom('auth_role').select('name').orderBy('name').execute();
  const members = await db.selectFrom('auth_role_member').selectAll().orderBy('member').execute();
  return roles.map((r) => ({
    name: r.name,
    members: members.filter((m) => m.role === r.name).map((m) => ({ kind: m.member_kind, name: m.member })),
  }));
}

export async function roleExists(db: DbOrTx, name: string): Promise<boolean> {
  return (await db.selectFrom('auth_role').select('name').where('name', '=', name).executeTakeFirst()) !== undefined;
}

export async function addRoleMember(db: DbOrTx, role: string, member: Grantee): Promise<void> {
  await db
    .insertInto('auth_role_member')
    .values({ role, member_kind: member.kind, member: member.name })
    .onConflict((oc) => oc.columns(['role', 'member_kind', 'member']).doNothing())
    .execute();
}

export async function removeRoleMember(db: DbOrTx, role: string, member: Grantee): Promise<void> {
  await db.deleteFrom('auth_role_member').where('role', '=', role).where('member_kind', '=', member.kind).where('member', '=', member.name).execute();
}

/** Whether `role` is `start` or reaches it through role membership (adding it would make a cycle). */
export async function roleReaches(db: DbOrTx, role: string, start: string): Promise<boolean> {
  const result = await sql<{ found: boolean }>`
    WITH RECURSIVE up(role) AS (
      SELECT ${start}::text
      UNION
      SELECT m.role FROM auth_role_member m JOIN up ON m.member_kind = 'role' AND m.member = up.role
    )
    SELECT EXISTS (SELECT 1 FROM up WHERE role = ${role}) AS found`.execute(db);
  return Boolean(result.rows[0]?.found);
}

/** Each copy gets the grants of its source (clones with copy-grants), made by `grantedBy`. */
export async function copyGrants(db: DbOrTx, pairs: readonly (readonly [string, string])[], grantedBy: string | null): Promise<void> {
  if (pairs.length === 0) return;
  await sql`
    INSERT INTO auth_grant (securable_id, securable_kind, grantee_kind, grantee, privilege, granted_by)
    SELECT m.copy_id, g.securable_kind, g.grantee_kind, g.grantee, g.privilege, ${grantedBy}
    FROM auth_grant g JOIN unnest(${pairs.map((p) => p[0])}::uuid[], ${pairs.map((p) => p[1])}::uuid[]) AS m(source_id, copy_id)
      ON g.securable_id = m.source_id
    ON CONFLICT DO NOTHING`.execute(db);
}

/** Makes `toId`'s grants exactly `fromId`'s (a promoted clone taking its target's place). */
export async function replaceGrants(db: DbOrTx, fromId: string, toId: string): Promise<void> {
  await sql`DELETE FROM auth_grant WHERE securable_id = ${toId}::uuid`.execute(db);
  await sql`
    INSERT INTO auth_grant (securable_id, securable_kind, grantee_kind, grantee, privilege, granted_by)
    SELECT ${toId}::uuid, securable_kind, grantee_kind, grantee, privilege, granted_by FROM auth_grant WHERE securable_id = ${fromId}::uuid`.execute(db);
}
