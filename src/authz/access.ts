// Enforcement: the one rule every route applies (docs/security.md, "Authorization").
//
// - A principal that holds nothing on an object, on anything above it, or (for a namespace or
//   warehouse) on anything below it, cannot see it: it gets exactly what it would get if the
//   object did not exist (the same 404 and message), so no route, message or ETag tells it
//   the object is there.
// - A principal that can see the object but lacks the privilege gets 403 ForbiddenException.
//
// Paths run from the warehouse down; a namespace's ancestors are read once per namespace and
// cached (a namespace is never renamed or moved, and its owner never changes).
import type { Principal } from '../auth/principal.js';
import type { Db } from '../db/database.js';
import type { Namespace } from '../db/namespace-repository.js';
import type { Warehouse } from '../db/warehouse-repository.js';
import { forbidden, type CatalogError } from '../iceberg/errors.js';
import { sql } from 'kysely';
import type { Authorizer, LookupOptions } from './authorizer.js';
import { passedDown, type Privilege, type SecurableKind, type SecurableStep } from './privileges.js';

interface NamespaceStep {
  id: string;
  parentId: string | null;
  owner: string | null;
  levels: string[];
}

const CACHED_NAMESPACES = 50_000;

export interface AccessTarget {
  warehouse: Warehouse;
  /** The namespace the object is in, or the namespace itself (levels known to the caller). */
  namespace?: { id: string; levels: string[] };
  object?: { id: string; kind: 'table' | 'view'; owner?: string | null };
}

export class Access {
  private readonly namespaces = new Map<string, NamespaceStep>();

  constructor(
    private readonly db: Db,
    readonly authorizer: Authorizer,
  ) {}

  /** Throws `missing()` when the principal cannot see the target, 403 when it lacks `privilege`. */
  async require(principal: Principal, privilege: Privilege, target: AccessTarget, missing: () => CatalogError, what: string): Promise<void> {
    if (this.authorizer.isAdmin(principal)) return;
    const held = await this.privilegesOn(principal, target);
    if (held.has(privilege)) return;
    if (held.size === 0 && !(target.object === undefined && (await this.seesBelow(principal, target)))) throw missing();
    throw forbidden(`Forbidden: ${principal.name} may not ${privilege.replace('-', ' ')} ${what}`);
  }

  /** Whether the principal can see the target at all (404 rule), without a privilege in mind. */
  async sees(principal: Principal, target: AccessTarget): Promise<boolean> {
    if (this.authorizer.isAdmin(principal)) return true;
    if ((await this.privilegesOn(principal, target)).size > 0) return true;
    return target.object === undefined && this.seesBelow(principal, target);
  }

  async privilegesOn(principal: Principal, target: AccessTarget, options?: LookupOptions): Promise<ReadonlySet<Privilege>> {
    return this.authorizer.privileges(principal, await this.path(target), options);
  }

  /** The path from the warehouse down to the target. */
  async path(target: AccessTarget): Promise<SecurableStep[]> {
    const steps: SecurableStep[] = [{ id: target.warehouse.id, kind: 'warehouse', owner: target.warehouse.owner ?? null }];
    if (target.namespace) {
      for (const ns of await this.chain(target.warehouse, target.namespace)) steps.push({ id: ns.id, kind: 'namespace', owner: ns.owner });
    }
    if (target.object) steps.push({ id: target.object.id, kind: target.object.kind as SecurableKind, owner: target.object.owner ?? null });
    return steps;
  }

  /** Of the child namespaces of `parent` ([] = the warehouse's top level), those the principal can see. */
  async visibleChildren(principal: Principal, warehouse: Warehouse, parent?: { id: string; levels: string[] }): Promise<'all' | Set<string>> {
    if (this.authorizer.isAdmin(principal)) return 'all';
    // What is held on the parent shows all its children only when it applies to them too
    // (`create` on the warehouse is for making top-level namespaces, not for seeing others').
    const held = await this.privilegesOn(principal, { warehouse, namespace: parent });
    if (passedDown(parent ? 'namespace' : 'warehouse', held).size > 0) return 'all';
    const granted = [...(await this.authorizer.granted(principal)).keys()];
    const depth = parent?.levels.length ?? 0;
    const result = await sql<{ child: string }>`
      SELECT DISTINCT n.levels[${depth + 1}] AS child FROM namespace n
      WHERE n.warehouse_id = ${warehouse.id} AND cardinality(n.levels) > ${depth}
        AND n.levels[1:${depth}] = ${parent?.levels ?? []}::text[]
        AND (n.namespace_id = ANY(${granted}::uuid[]) OR n.owner = ${principal.name}
          OR EXISTS (SELECT 1 FROM iceberg_table t WHERE t.namespace_id = n.namespace_id AND t.dropped_at IS NULL
                     AND (t.table_id = ANY(${granted}::uuid[]) OR t.owner = ${principal.name})))`.execute(this.db);
    return new Set(result.rows.map((r) => r.child));
  }

  /** Of the tables or views of a namespace, those the principal can see ('all' when it sees the namespace's contents). */
  async visibleObjects(principal: Principal, warehouse: Warehouse, namespace: { id: string; levels: string[] }): Promise<'all' | Set<string>> {
    if (this.authorizer.isAdmin(principal)) return 'all';
    if ((await this.privilegesOn(principal, { warehouse, namespace })).size > 0) return 'all';
    const granted = [...(await this.authorizer.granted(principal)).keys()];
    const result = await sql<{ name: string }>`
      SELECT name FROM iceberg_table WHERE namespace_id = ${namespace.id} AND dropped_at IS NULL
        AND (table_id = ANY(${granted}::uuid[]) OR owner = ${principal.name})`.execute(this.db);
    return new Set(result.rows.map((r) => r.name));
  }

  /** A namespace (or the warehouse) the principal holds nothing on, but something below: visible, to navigate to it. */
  private async seesBelow(principal: Principal, target: AccessTarget): Promise<boolean> {
    const levels = target.namespace?.levels ?? [];
    const visible = await this.visibleChildrenBelow(principal, target.warehouse, levels);
    return visible;
  }

  private async visibleChildrenBelow(principal: Principal, warehouse: Warehouse, levels: string[]): Promise<boolean> {
    const granted = [...(await this.authorizer.granted(principal)).keys()];
    const result = await sql<{ found: boolean }>`
      SELECT EXISTS (
        SELECT 1 FROM namespace n
        WHERE n.warehouse_id = ${warehouse.id} AND n.levels[1:${levels.length}] = ${levels}::text[]
          AND (cardinality(n.levels) > ${levels.length} AND (n.namespace_id = ANY(${granted}::uuid[]) OR n.owner = ${principal.name})
            OR EXISTS (SELECT 1 FROM iceberg_table t WHERE t.namespace_id = n.namespace_id AND t.dropped_at IS NULL
                       AND (t.table_id = ANY(${granted}::uuid[]) OR t.owner = ${principal.name})))) AS found`.execute(this.db);
    return Boolean(result.rows[0]?.found);
  }

  /** The namespace and its ancestors, top first. */
  private async chain(warehouse: Warehouse, namespace: { id: string; levels: string[] }, reread = false): Promise<NamespaceStep[]> {
    let leaf = this.namespaces.get(namespace.id);
    if (!leaf) {
      const rows = await sql<{ namespace_id: string; parent_id: string | null; owner: string | null; levels: string[] }>`
        SELECT namespace_id, parent_id, owner, levels FROM namespace
        WHERE warehouse_id = ${warehouse.id} AND levels = (${namespace.levels}::text[])[1:cardinality(levels)]`.execute(this.db);
      if (this.namespaces.size > CACHED_NAMESPACES) this.namespaces.clear();
      for (const row of rows.rows) {
        this.namespaces.set(row.namespace_id, { id: row.namespace_id, parentId: row.parent_id, owner: row.owner, levels: row.levels });
      }
      leaf = this.namespaces.get(namespace.id);
      if (!leaf) return [];
    }
    const steps: NamespaceStep[] = [];
    for (let step: NamespaceStep | undefined = leaf; step; step = step.parentId ? this.namespaces.get(step.parentId) : undefined) {
      steps.unshift(step);
    }
    if (steps.length !== leaf.levels.length) {
      // An ancestor left the cache (or a rename moved it meanwhile): read the chain again, once.
      // Still broken, only the steps found count: grants only add, so fewer steps grant less.
      this.namespaces.delete(namespace.id);
      if (!reread) return this.chain(warehouse, namespace, true);
    }
    return steps;
  }

  /** A namespace as an access target. */
  static namespaceTarget(warehouse: Warehouse, namespace: Pick<Namespace, 'id' | 'levels'>): AccessTarget {
    return { warehouse, namespace: { id: namespace.id, levels: namespace.levels } };
  }
}
