// The privilege model (docs/security.md, "Authorization"): what may be granted on what, what a
// privilege implies, and how grants and ownership along a path add up. Pure.

export const PRIVILEGES = [
  'read',
  'write',
  'create',
  'drop',
  'restore',
  'clone',
  'promote',
  'manage-grants',
  'manage-gc',
] as const;
export type Privilege = (typeof PRIVILEGES)[number];

export type SecurableKind = 'warehouse' | 'namespace' | 'table' | 'view';

/** What each kind of securable can be granted (a grant applies to everything below it too). */
export const GRANTABLE: Record<SecurableKind, readonly Privilege[]> = {
  warehouse: PRIVILEGES,
  namespace: ['read', 'write', 'create', 'drop', 'restore', 'clone', 'promote', 'manage-grants'],
  table: ['read', 'write', 'drop', 'clone', 'promote', 'manage-grants'],
  view: ['read', 'write', 'drop', 'clone', 'manage-grants'],
};

/** A writer needs to read what it writes (a commit answers the new metadata). */
const IMPLIED: Partial<Record<Privilege, Privilege[]>> = { write: ['read'] };

export function isPrivilege(value: unknown): value is Privilege {
  return typeof value === 'string' && (PRIVILEGES as readonly string[]).includes(value);
}

/** The privileges held, with the ones they imply. */
export function withImplied(held: Iterable<Privilege>): Set<Privilege> {
  const out = new Set<Privilege>();
  for (const privilege of held) {
    out.add(privilege);
    for (const implied of IMPLIED[privilege] ?? []) out.add(implied);
  }
  return out;
}

export const ALL_PRIVILEGES: ReadonlySet<Privilege> = new Set(PRIVILEGES);

/** One step of a path from the warehouse down to an object: its id, kind and owner. */
export interface SecurableStep {
  id: string;
  kind: SecurableKind;
  owner: string | null;
}

/**
 * Privileges that stay on the warehouse they are granted on: `create` there means creating
 * top-level namespaces, not creating inside every team's namespaces.
 */
const NOT_INHERITED: Partial<Record<SecurableKind, readonly Privilege[]>> = { warehouse: ['create'] };

/** Of the privileges held on a securable of `kind`, those that apply to what is below it too. */
export function passedDown(kind: SecurableKind, held: ReadonlySet<Privilege>): Set<Privilege> {
  const kept = NOT_INHERITED[kind] ?? [];
  return new Set([...held].filter((p) => !kept.includes(p)));
}

/**
 * What a principal holds on the last step of `path`: everything when it owns a step (its own
 * objects and everything below them), else the privileges granted on any step (grants apply
 * downwards, but for NOT_INHERITED), with what they imply.
 */
export function effectivePrivileges(path: readonly SecurableStep[], principal: string, granted: ReadonlyMap<string, readonly Privilege[]>): Set<Privilege> {
  if (path.some((step) => step.owner !== null && step.owner === principal)) return new Set(PRIVILEGES);
  const last = path.length - 1;
  return withImplied(
    path.flatMap((step, i) => {
      const held = granted.get(step.id) ?? [];
      const kept = NOT_INHERITED[step.kind];
      return i === last || !kept ? held : held.filter((p) => !kept.includes(p));
    }),
  );
}
