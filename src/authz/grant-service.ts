// Managing roles and grants, and answering questions about them ("what may P do on O", "who
// may read T"). Roles are catalog-wide and administrators manage them; grants are made on a
// securable by whoever may manage grants on it. Every change moves the authorization epoch
// (a trigger), so every replica forgets its cached decisions within a second; this replica
// forgets at once.
import type { Principal } from '../auth/principal.js';
import type { Db } from '../db/database.js';
import {
  addRoleMember,
  deleteGrants,
  deleteRole,
  grantsOn,
  insertGrants,
  insertRole,
  listRoles,
  removeRoleMember,
  roleExists,
  roleReaches,
  type Grantee,
  type GrantRow,
} from '../db/grant-repository.js';
import { alreadyExists, badRequest, notFound } from '../iceberg/errors.js';
import type { Access, AccessTarget } from './access.js';
import type { PostgresAuthorizer } from './authorizer.js';
import { GRANTABLE, isPrivilege, type Privilege, type SecurableKind } from './privileges.js';

const NAME = /^[^\x00-\x1f]{1,255}$/;
const GRANTEE_KINDS = ['principal', 'group', 'role'] as const;

export function parseGrantee(value: unknown): Grantee {
  const v = value as { kind?: unknown; name?: unknown } | null;
  if (!v || !GRANTEE_KINDS.includes(v.kind as never) || typeof v.name !== 'string' || !NAME.test(v.name)) {
    throw badRequest('Invalid grantee: expected {"kind": "principal" | "group" | "role", "name": "..."}');
  }
  return { kind: v.kind as Grantee['kind'], name: v.name };
}

export class GrantService {
  constructor(
    private readonly db: Db,
    private readonly authorizer: PostgresAuthorizer,
  ) {}

  listRoles() {
    return listRoles(this.db);
  }

  async createRole(name: string, by: Principal): Promise<void> {
    if (typeof name !== 'string' || !NAME.test(name)) throw badRequest('Invalid role name: 1-255 characters, no control characters');
    if (!(await insertRole(this.db, name, by.name))) throw alreadyExists(`Role already exists: ${name}`);
    this.authorizer.invalidate();
  }

  async deleteRole(name: string): Promise<void> {
    const deleted = await this.db.transaction().execute((tx) => deleteRole(tx, name));
    if (!deleted) throw notFound(`No role ${name}`);
    this.authorizer.invalidate();
  }

  async changeMembers(role: string, add: Grantee[], remove: Grantee[]): Promise<void> {
    if (!(await roleExists(this.db, role))) throw notFound(`No role ${role}`);
    await this.db.transaction().execute(async (tx) => {
      for (const member of add) {
        if (member.kind === 'role') {
          if (!(await roleExists(tx, member.name))) throw notFound(`No role ${member.name}`);
          // The role would hold itself, through the member.
          if (await roleReaches(tx, member.name, role)) throw badRequest(`Role ${member.name} cannot be a member of ${role}: that makes a cycle`);
        }
        await addRoleMember(tx, role, member);
      }
      for (const member of remove) await removeRoleMember(tx, role, member);
    });
    this.authorizer.invalidate();
  }

  /** Grants or revokes privileges on one securable. */
  async change(action: 'grant' | 'revoke', securable: { id: string; kind: SecurableKind }, grantee: Grantee, privileges: unknown, by: Principal) {
    if (!Array.isArray(privileges) || privileges.length === 0 || !privileges.every(isPrivilege)) {
      throw badRequest(`Invalid privileges: expected a non-empty list of ${GRANTABLE.warehouse.join(', ')}`);
    }
    const notGrantable = privileges.filter((p) => !GRANTABLE[securable.kind].includes(p));
    if (notGrantable.length > 0) throw badRequest(`Not grantable on a ${securable.kind}: ${notGrantable.join(', ')}`);
    if (grantee.kind === 'role' && !(await roleExists(this.db, grantee.name))) throw notFound(`No role ${grantee.name}`);
    if (action === 'grant') {
      const rows: GrantRow[] = privileges.map((privilege) => ({ securableId: securable.id, securableKind: securable.kind, grantee, privilege, grantedBy: by.name }));
      await insertGrants(this.db, rows);
    } else {
      await deleteGrants(this.db, securable.id, grantee, privileges);
    }
    this.authorizer.invalidate();
  }

  grantsOn(securableId: string) {
    return grantsOn(this.db, [securableId]);
  }

  /**
   * Who may read the target: administrators (by configuration), owners along its path, and
   * the grantees of read or write on it or above it (a role, with the members that hold it).
   */
  async readers(access: Access, target: AccessTarget): Promise<{ owners: string[]; grantees: (Grantee & { via: string })[]; administrators: readonly string[] }> {
    const path = await access.path(target);
    const grants = await grantsOn(this.db, path.map((s) => s.id));
    const reading = grants.filter((g) => g.privilege === 'read' || g.privilege === 'write');
    const grantees: (Grantee & { via: string })[] = [];
    const seen = new Set<string>();
    const add = (g: Grantee, via: string) => {
      const key = `${g.kind}\n${g.name}`;
      if (!seen.has(key)) {
        seen.add(key);
        grantees.push({ ...g, via });
      }
    };
    for (const g of reading) {
      add(g.grantee, `${g.privilege} on ${g.securableKind}`);
      if (g.grantee.kind === 'role') for (const { member, role } of await this.membersOf(g.grantee.name)) add(member, `role ${role}`);
    }
    const owners = [...new Set(path.map((s) => s.owner).filter((o): o is string => o !== null))];
    return { owners, grantees, administrators: this.authorizer.administratorNames() };
  }

  /** Everything that holds a role, through other roles too, each with the role it holds directly. */
  private async membersOf(role: string, seen = new Set<string>()): Promise<{ member: Grantee; role: string }[]> {
    if (seen.has(role)) return [];
    seen.add(role);
    const roles = await listRoles(this.db);
    const direct = roles.find((r) => r.name === role)?.members ?? [];
    const out: { member: Grantee; role: string }[] = [];
    for (const member of direct) {
      out.push({ member, role });
      if (member.kind === 'role') out.push(...(await this.membersOf(member.name, seen)));
    }
    return out;
  }

  /** What a principal (with the groups given) may do on a target. */
  privilegesOf(access: Access, principal: Principal, target: AccessTarget, asked: 'self' | 'other'): Promise<ReadonlySet<Privilege>> {
    // Another principal's grants are read afresh and not kept: a question must not fill the
    // cache with principals that never call.
    return access.privilegesOn(principal, target, { uncached: asked === 'other' });
  }
}
