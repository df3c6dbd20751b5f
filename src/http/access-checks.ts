// The checks routes make before they act (docs/security.md has the table; src/authz/
// operation-rules.ts holds it as data, from which the authorization matrix test derives what
// every route must answer). Each check finds its object the way the route's service would and
// answers a missing object and an invisible one alike: the same 404, the same message.
import type { FastifyRequest } from 'fastify';
import { Access, type AccessTarget } from '../authz/access.js';
import type { Privilege } from '../authz/privileges.js';
import { namespaceName, tableName } from '../catalog/identifiers.js';
import type { Db } from '../db/database.js';
import { findNamespace, type Namespace } from '../db/namespace-repository.js';
import { findTable, type TableHead } from '../db/table-repository.js';
import { findView, type ViewRecord } from '../db/view-repository.js';
import type { Warehouse } from '../db/warehouse-repository.js';
import { badRequest, forbidden, noSuchNamespace, noSuchTable, noSuchView, noSuchWarehouse } from '../iceberg/errors.js';
import { changesState, noteAuditTarget } from './audit-hook.js';
import { decodeNamespace } from './identifiers.js';

/** `see`: the object is visible (any privilege on it, above it, or below a namespace). */
export type Need = Privilege | 'see';

export class AccessChecks {
  constructor(
    readonly db: Db,
    readonly access: Access,
  ) {}

  /** Checks `need` on a target the route found itself. */
  async require(request: FastifyRequest, need: Need, target: AccessTarget, missing: () => Error, what: string) {
    try {
      if (need === 'see') {
        if (!(await this.access.sees(request.principal, target))) throw missing();
      } else {
        await this.access.require(request.principal, need, target, missing as never, what);
      }
    } catch (error) {
      // The object exists (the caller found it first): hidden or forbidden, a denial.
      await this.noteForAudit(request, target, true);
      throw error;
    }
    if (changesState(request)) await this.noteForAudit(request, target, false);
  }

  /** A refusal the route decided itself (an object it hides): the audit log records it. */
  noteDenied(request: FastifyRequest, target: AccessTarget): Promise<void> {
    return this.noteForAudit(request, target, true);
  }

  /** The audit log keeps the ids of everything on the target's path ("events on or below X"). */
  private async noteForAudit(request: FastifyRequest, target: AccessTarget, denied: boolean) {
    if (!request.audit) return;
    const path = await this.access.path(target).catch(() => []);
    noteAuditTarget(request, target.warehouse.id, path.map((step) => step.id), denied);
  }

  admin(request: FastifyRequest, what: string): void {
    if (!this.access.authorizer.isAdmin(request.principal)) throw forbidden(`Forbidden: only administrators may ${what}`);
  }

  isAdmin(request: FastifyRequest): boolean {
    return this.access.authorizer.isAdmin(request.principal);
  }

  async warehouse(request: FastifyRequest, warehouse: Warehouse, need: Need): Promise<void> {
    await this.require(request, need, { warehouse }, () => noSuchWarehouse(warehouse.name), `warehouse ${warehouse.name}`);
  }

  async namespace(request: FastifyRequest, warehouse: Warehouse, levels: string[], need: Need): Promise<Namespace> {
    const namespace = await findNamespace(this.db, warehouse.id, levels);
    const missing = () => noSuchNamespace(namespaceName(levels));
    if (!namespace) throw missing();
    await this.require(request, need, Access.namespaceTarget(warehouse, namespace), missing, `namespace ${namespaceName(levels)}`);
    return namespace;
  }

  /** Where a new namespace goes: its parent namespace, or the warehouse for a top-level one. */
  async parentOf(request: FastifyRequest, warehouse: Warehouse, levels: string[], need: Need): Promise<void> {
    if (levels.length <= 1) return this.warehouse(request, warehouse, need);
    await this.namespace(request, warehouse, levels.slice(0, -1), need);
  }

  async table(request: FastifyRequest, warehouse: Warehouse, levels: string[], name: string, need: Need): Promise<TableHead> {
    const head = await findTable(this.db, warehouse.id, levels, name);
    if (!head) throw noSuchTable(tableName(levels, name));
    await this.onTable(request, warehouse, levels, head, need);
    return head;
  }

  /** A table that may not exist (a register with overwrite): checked only when it does. */
  async tableIfExists(request: FastifyRequest, warehouse: Warehouse, levels: string[], name: string, need: Need): Promise<void> {
    const head = await findTable(this.db, warehouse.id, levels, name);
    if (head) await this.onTable(request, warehouse, levels, head, need);
  }

  /** A table the route has already found. */
  async onTable(request: FastifyRequest, warehouse: Warehouse, levels: string[], head: Pick<TableHead, 'id' | 'namespaceId' | 'owner' | 'name'>, need: Need): Promise<void> {
    const target = { warehouse, namespace: { id: head.namespaceId, levels }, object: { id: head.id, kind: 'table' as const, owner: head.owner } };
    const name = tableName(levels, head.name);
    await this.require(request, need, target, () => noSuchTable(name), `table ${name}`);
  }

  async view(request: FastifyRequest, warehouse: Warehouse, levels: string[], name: string, need: Need): Promise<ViewRecord> {
    const record = await findView(this.db, warehouse.id, levels, name);
    const missing = () => noSuchView(tableName(levels, name));
    if (!record) throw missing();
    const target = { warehouse, namespace: { id: record.namespaceId, levels }, object: { id: record.id, kind: 'view' as const, owner: record.owner } };
    await this.require(request, need, target, missing, `view ${tableName(levels, name)}`);
    return record;
  }

  /**
   * The securable a management request names in its query: `namespace` (levels joined by
   * U+001F, as in paths) and `table` or `view`; neither is the warehouse.
   */
  async securable(request: FastifyRequest, warehouse: Warehouse, query: { namespace?: string; table?: string; view?: string }, need: Need) {
    if (query.table !== undefined && query.view !== undefined) throw badRequest('Name a table or a view, not both');
    if (query.namespace === undefined) {
      if (query.table !== undefined || query.view !== undefined) throw badRequest('A table or view needs its namespace');
      await this.warehouse(request, warehouse, need);
      return { target: { warehouse }, id: warehouse.id, kind: 'warehouse' as const };
    }
    const levels = decodeNamespace(query.namespace);
    if (query.table !== undefined) {
      const head = await this.table(request, warehouse, levels, query.table, need);
      return { target: { warehouse, namespace: { id: head.namespaceId, levels }, object: { id: head.id, kind: 'table' as const, owner: head.owner } }, id: head.id, kind: 'table' as const };
    }
    if (query.view !== undefined) {
      const view = await this.view(request, warehouse, levels, query.view, need);
      return { target: { warehouse, namespace: { id: view.namespaceId, levels }, object: { id: view.id, kind: 'view' as const, owner: view.owner } }, id: view.id, kind: 'view' as const };
    }
    const namespace = await this.namespace(request, warehouse, levels, need);
    return { target: Access.namespaceTarget(warehouse, namespace), id: namespace.id, kind: 'namespace' as const };
  }

  /** Tables or views the caller may see in a namespace it can see: 'all', or their names. */
  visibleIn(request: FastifyRequest, warehouse: Warehouse, namespace: Namespace): Promise<'all' | Set<string>> {
    return this.access.visibleObjects(request.principal, warehouse, namespace);
  }
}

/**
 * Whether a rename, swap or restore keeps an object in its namespace. Moving it elsewhere
 * hands it to that namespace's owners and grants, so the routes also ask for `manage-grants`
 * on it (who controls access to it must agree): otherwise `drop` on another team's table, and a
 * namespace of one's own, would make one its owner.
 */
export function sameNamespace(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((level, i) => level === b[i]);
}
