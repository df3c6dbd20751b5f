// Zero-copy clones of a table, a view, a namespace tree or a whole warehouse (design:
// clones-and-gc.md). Every clone operation is one Postgres transaction:
//
//   1. lock the source rows (one statement per kind, table-id order) and read their documents:
//      the values are those of one instant, so a namespace clone is a consistent cut of its
//      tables and views, and a commit racing the clone waits for it (then retries its swap, as
//      after any lost race);
//   2. build each clone's metadata (pure, clone-plans.ts) and write its first metadata file,
//      a bounded number at once (or leave it pending for a large tree clone);
//   3. insert the clones' rows: namespaces; table, view, snapshot and ref rows (the roots) with
//      their metadata files and lineage; copied grants;
//   4. commit gc.enabled=false onto every source that does not carry it yet, so engines leave
//      shared files to the catalog's collector.
//
// Steps 2 and 3 go in slices of 500 (clone-inserts.ts): while Postgres inserts one slice,
// the next is built. Every statement is set-based (clone-rows.ts): one per kind of row and
// slice, never one per table. The work grows with the number of tables and kept snapshots
// (documents, files, rows), never with data files.
import type { Db, Tx } from '../db/database.js';
import { lockTables, refreshTableStatistics, type LockedTable } from '../db/clone-repository.js';
import { detachedFromRequest } from '../db/commit-steps.js';
import { insertNamespaces, swapLockedTables, type LockedSwap } from '../db/clone-rows.js';
import { validateLevels } from '../catalog/namespace-service.js';
import { findNamespace, listNamespaceTree, type Namespace } from '../db/namespace-repository.js';
import { isTransactionConflict, isUniqueViolation, mayHaveCommitted } from '../db/postgres-errors.js';
import { findNameHolder, findView } from '../db/view-repository.js';
import { copyGrants } from '../db/grant-repository.js';
import { findOverlappingWarehouse, insertWarehouse, type Warehouse } from '../db/warehouse-repository.js';
import { alreadyExists, badRequest, forbidden, noSuchNamespace, noSuchTable, noSuchView } from '../iceberg/errors.js';
import { isUnderRoot } from '../gc/object-uri.js';
import { viewVersionAt } from '../iceberg/view-metadata.js';
import type { ObjectStore } from '../storage/object-store.js';
import { namespaceName, tableName, type TableIdentifier } from '../catalog/identifiers.js';
import { normalizeLocation } from '../catalog/locations.js';
import type { CommittedTable } from '../catalog/table-commit.js';
import type { TableDocuments } from '../catalog/table-documents.js';
import type { TableLocations } from '../catalog/table-locations.js';
import { nameTaken } from '../catalog/name-conflicts.js';
import { parseViewDocument } from '../catalog/view-service.js';
import { GC_ENABLED } from './clone-metadata.js';
import {
  planViewClone,
  type ClonedTable,
  type ClonedView,
  type CloneOptionsRequest,
  type PlanContext,
  type PlannedTableClone,
} from './clone-plans.js';
import type { ClonePoint } from './clone-point.js';
import { namespaceRewrite } from './view-clone-metadata.js';
import { propertyCommit } from './locked-commit.js';
import { expiryFrom, type ExpiryRequest } from './expiry.js';
import { planAndInsert, writeAll, type CloneIntent } from './clone-inserts.js';
import type { PendingMetadataWriter } from './pending-metadata.js';

export type { ClonedTable, ClonedView } from './clone-plans.js';

export interface CloneRequestOptions extends CloneOptionsRequest, ExpiryRequest {}

export interface CloneTableRequest extends CloneRequestOptions {
  destination: TableIdentifier;
  point?: ClonePoint;
  /** Where the clone writes its files; by default a new directory in the destination namespace. */
  location?: string;
}

export interface CloneViewRequest extends ExpiryRequest {
  destination: TableIdentifier;
  location?: string;
}

export interface CloneNamespaceRequest extends CloneRequestOptions {
  destination: string[];
  'timestamp-ms'?: number;
  /** Views whose default namespace lies in the cloned tree: point it at the clone's (default) or keep it. */
  'view-default-namespace'?: 'rewrite' | 'keep';
}

export interface CloneWarehouseRequest extends CloneRequestOptions {
  destination: { name: string; location: string };
  'timestamp-ms'?: number;
}

export interface CloneResult {
  operationId: string;
  tables: ClonedTable[];
  views: ClonedView[];
  /** Tables and views left out of a point-in-time namespace clone because they did not exist yet. */
  skipped: { namespace: string[]; name: string; reason: string }[];
  namespaces: string[][];
}

/** How the source side of an operation names what to clone, inside its transaction. */
interface ClonePlanner {
  table(source: LockedTable, namespace: Namespace, name: string, point: ClonePoint, emptyIfBefore: boolean, location?: string): void;
  view(source: LockedTable, namespace: Namespace, name: string, choice: Parameters<typeof planViewClone>[4], location?: string): void;
  skip(source: LockedTable, reason: string): void;
  /** A securable copied without a plan (a namespace, the warehouse): its grants follow with copy-grants. */
  copied(sourceId: string, copyId: string): void;
}

const MAX_ATTEMPTS = 3;
/**
 * A clone adding this many rows refreshes the planner's statistics of the table and namespace
 * rows right after it commits: until autovacuum gets to it (a minute or more), the statistics
 * describe a warehouse a fraction of the size, and the next tree clone's lock query then scans
 * every table row instead of using the namespace index (measured: a 100-table clone in a
 * 40,000-table warehouse 105 ms, 48 ms with fresh statistics).
 */
const REFRESH_STATISTICS_AFTER = 1000;

export class CloneService {
  constructor(
    private readonly db: Db,
    private readonly store: ObjectStore,
    private readonly locations: TableLocations,
    private readonly documents: TableDocuments,
    private readonly now: () => number,
    /** CATALOG_WAREHOUSE_ALLOWED_ROOTS: where new warehouse roots may be created. */
    private readonly allowedRoots: readonly string[] = [],
    /** Writes the first metadata files of tree clones larger than `inlineFiles` after they commit. */
    private readonly deferred?: { writer: PendingMetadataWriter; inlineFiles: number },
  ) {}

  async cloneTable(warehouse: Warehouse, source: TableIdentifier, request: CloneTableRequest): Promise<CloneResult> {
    const found = await this.documents.find(warehouse.id, source.namespace, source.name);
    if (!found) throw noSuchTable(tableName(source.namespace, source.name));
    const destination = request.destination;
    const location = request.location === undefined ? undefined : this.locations.confine(warehouse, request.location);
    if (location) await this.locations.checkNoOverlap(warehouse, location);
    return this.run(warehouse, request, async (tx, plan) => {
      const [locked] = await lockTables(tx, warehouse.id, { tableIds: [found.head.id] });
      if (!locked) throw noSuchTable(tableName(source.namespace, source.name));
      const namespace = await findNamespace(tx, warehouse.id, destination.namespace);
      if (!namespace) throw noSuchNamespace(namespaceName(destination.namespace));
      const holder = await findNameHolder(tx, warehouse.id, destination.namespace, destination.name);
      if (holder) throw nameTaken('table', holder, destination);
      plan.table(locked, namespace, destination.name, request.point ?? {}, false, location);
    });
  }

  /** A view clone: a new view whose current version is the source's; its query is not rewritten. */
  async cloneView(warehouse: Warehouse, source: TableIdentifier, request: CloneViewRequest): Promise<CloneResult> {
    const found = await findView(this.db, warehouse.id, source.namespace, source.name);
    if (!found) throw noSuchView(tableName(source.namespace, source.name));
    const destination = request.destination;
    const location = request.location === undefined ? undefined : this.locations.confine(warehouse, request.location);
    if (location) await this.locations.checkNoOverlap(warehouse, location);
    return this.run(warehouse, request, async (tx, plan) => {
      const [locked] = await lockTables(tx, warehouse.id, { tableIds: [found.id] }, { kind: 'view' });
      if (!locked) throw noSuchView(tableName(source.namespace, source.name));
      const namespace = await findNamespace(tx, warehouse.id, destination.namespace);
      if (!namespace) throw noSuchNamespace(namespaceName(destination.namespace));
      const holder = await findNameHolder(tx, warehouse.id, destination.namespace, destination.name);
      if (holder) throw nameTaken('view', holder, destination);
      plan.view(locked, namespace, destination.name, { point: {} }, location);
    });
  }

  async cloneNamespace(warehouse: Warehouse, sourceLevels: string[], request: CloneNamespaceRequest): Promise<CloneResult> {
    if (!(await findNamespace(this.db, warehouse.id, sourceLevels))) throw noSuchNamespace(namespaceName(sourceLevels));
    const destinationRoot = request.destination;
    const isInside = destinationRoot.length >= sourceLevels.length && sourceLevels.every((l, i) => destinationRoot[i] === l);
    if (isInside) throw badRequest('A namespace cannot be cloned into itself or below itself');
    return this.cloneTree(warehouse, sourceLevels, warehouse, destinationRoot, request);
  }

  /**
   * Clones every namespace and table of a warehouse into a new warehouse with its own root,
   * in one transaction (the new warehouse appears with all its tables, or not at all).
   */
  async cloneWarehouse(source: Warehouse, request: CloneWarehouseRequest): Promise<CloneResult & { warehouse: Warehouse }> {
    const { name, location } = request.destination;
    if (typeof name !== 'string' || name === '' || /[/\x1f\0]/.test(name)) throw badRequest(`Invalid warehouse name: ${name}`);
    const root = await this.newWarehouseRoot(location);
    // The catalog deletes garbage and orphans under the roots it manages: this one it creates,
    // empty, under a root the operator allowed.
    const target: Warehouse = { id: crypto.randomUUID(), name, location: root, properties: {}, managedRoot: true, owner: request.owner ?? null };
    const result = await this.cloneTree(source, [], target, [], request, async (tx, plan) => {
      plan.copied(source.id, target.id);
      const clash = await findOverlappingWarehouse(tx, root);
      if (clash) throw badRequest(`Location ${root} overlaps the root of warehouse ${clash.name} (${clash.location})`);
      try {
        await insertWarehouse(tx, target);
      } catch (error) {
        if (isUniqueViolation(error)) throw alreadyExists(`Warehouse already exists: ${name}`);
        throw error;
      }
    });
    return { ...result, warehouse: target };
  }

  /**
   * A new warehouse root is an operator decision (design guarantee 5): it must lie under
   * CATALOG_WAREHOUSE_ALLOWED_ROOTS and hold nothing yet, so no file the catalog did not write
   * can ever be collected there. (Two clones racing for one empty root: the overlap check in
   * the clone's transaction lets one through.)
   */
  private async newWarehouseRoot(location: unknown): Promise<string> {
    if (typeof location !== 'string' || location === '') throw badRequest('Invalid warehouse location: a URI is required');
    const root = normalizeLocation(location);
    if (!/^(s3|file):\/\//.test(root)) throw badRequest(`Warehouse location must be an s3:// or file:// URI: ${location}`);
    if (!this.allowedRoots.some((allowed) => isUnderRoot(allowed, root))) {
      const allowed = this.allowedRoots.length > 0 ? this.allowedRoots.join(', ') : 'none';
      throw forbidden(
        `Warehouse location ${root} is not under a root the operator allows for new warehouses (CATALOG_WAREHOUSE_ALLOWED_ROOTS: ${allowed})`,
      );
    }
    let holds: string | undefined;
    try {
      for await (const object of this.store.list(root)) {
        holds = object.uri;
        break;
      }
    } catch (error) {
      throw badRequest(`Cannot check that warehouse location ${root} is empty: ${(error as Error).message}`);
    }
    if (holds) throw badRequest(`Warehouse location ${root} is not empty (it holds ${holds}); a new warehouse needs an empty root`);
    return root;
  }

  /** Clones the namespace tree at `sourceLevels` ([] = the whole warehouse) to `destinationRoot` in `target`. */
  private cloneTree(
    source: Warehouse,
    sourceLevels: string[],
    target: Warehouse,
    destinationRoot: string[],
    request: CloneRequestOptions & { 'timestamp-ms'?: number; 'view-default-namespace'?: 'rewrite' | 'keep' },
    prepare?: (tx: Tx, plan: ClonePlanner) => Promise<void>,
  ): Promise<CloneResult> {
    const at = request['timestamp-ms'];
    if (at !== undefined && at > this.now()) throw badRequest(`Timestamp ${at} is in the future`);
    return this.run(target, request, async (tx, plan, created) => {
      await prepare?.(tx, plan);
      const tables = await lockTables(tx, source.id, { namespacePrefix: sourceLevels });
      const namespaces = await listNamespaceTree(tx, source.id, sourceLevels);
      const parentLevels = destinationRoot.slice(0, -1);
      const parent = parentLevels.length > 0 ? await findNamespace(tx, target.id, parentLevels) : undefined;
      if (parentLevels.length > 0 && !parent) throw noSuchNamespace(namespaceName(parentLevels));
      // Destination namespaces mirror the source tree; a `location` property stays behind,
      // since it names where the source's tables live.
      const byLevels = new Map<string, Namespace>();
      const copies: Namespace[] = [];
      for (const namespace of namespaces) {
        const levels = validateLevels([...destinationRoot, ...namespace.levels.slice(sourceLevels.length)]);
        const isTop = levels.length === Math.max(destinationRoot.length, 1);
        const { location: _location, ...properties } = namespace.properties;
        const copy: Namespace = {
          id: crypto.randomUUID(),
          warehouseId: target.id,
          parentId: isTop ? (parent?.id ?? null) : byLevels.get(levels.slice(0, -1).join('\x1f'))!.id,
          levels,
          properties,
          owner: request.owner ?? null,
        };
        copies.push(copy);
        byLevels.set(levels.join('\x1f'), copy);
        plan.copied(namespace.id, copy.id);
        created.push(levels);
      }
      try {
        await insertNamespaces(tx, copies);
      } catch (error) {
        // Only the destination's top can exist already: a namespace below it needs its parent.
        if (isUniqueViolation(error)) throw alreadyExists(`Namespace already exists: ${namespaceName(copies[0]?.levels ?? destinationRoot)}`);
        throw error;
      }
      for (const table of tables) {
        const levels = [...destinationRoot, ...table.levels.slice(sourceLevels.length)];
        if (at !== undefined && table.createdAt.getTime() > at) {
          plan.skip(table, `created after ${new Date(at).toISOString()}`);
          continue;
        }
        plan.table(table, byLevels.get(levels.join('\x1f'))!, table.name, at === undefined ? {} : { 'timestamp-ms': at }, at !== undefined);
      }
      const rewrite = request['view-default-namespace'] === 'keep' ? undefined : namespaceRewrite(sourceLevels, destinationRoot);
      for (const view of await lockTables(tx, source.id, { namespacePrefix: sourceLevels }, { kind: 'view' })) {
        const levels = [...destinationRoot, ...view.levels.slice(sourceLevels.length)];
        const namespace = byLevels.get(levels.join('\x1f'))!;
        if (at === undefined) {
          plan.view(view, namespace, view.name, { point: {}, rewriteNamespace: rewrite });
          continue;
        }
        const version = view.createdAt.getTime() <= at ? viewVersionAt(parseViewDocument(view.metadataJson), at) : undefined;
        if (version) plan.view(view, namespace, view.name, { version, point: { 'timestamp-ms': at }, rewriteNamespace: rewrite });
        else plan.skip(view, `no version of the view was current at ${new Date(at).toISOString()}`);
      }
    }, source, true);
  }

  /**
   * Runs one clone operation: `select` locks sources and names destinations through the
   * planner; this does the rest in the same transaction, retrying when it lost a lock race.
   */
  private async run(
    warehouse: Warehouse,
    options: CloneRequestOptions,
    select: (tx: Tx, plan: ClonePlanner, createdNamespaces: string[][]) => Promise<void>,
    /** Where the sources live: the same warehouse, except for a warehouse clone. */
    sourceWarehouse: Warehouse = warehouse,
    /** A namespace or warehouse clone (its files may be written after it commits). */
    tree = false,
  ): Promise<CloneResult> {
    const now = this.now();
    const expiresAt = expiryFrom(options, now);
    if (options.history !== undefined && options.history !== 'point' && options.history !== 'all') {
      throw badRequest(`Invalid history: ${options.history} (expected point or all)`);
    }
    for (let attempt = 1; ; attempt++) {
      const written: string[] = [];
      try {
        const result = await this.db.transaction().execute(async (tx) => {
          const ctx: PlanContext = {
            warehouse, locations: this.locations, documents: this.documents, options, expiresAt, operationId: crypto.randomUUID(), now,
          };
          const intents: CloneIntent[] = [];
          const skipped: CloneResult['skipped'] = [];
          const namespaces: string[][] = [];
          const copies: [string, string][] = [];
          await select(
            tx,
            {
              table: (...args) => intents.push({ kind: 'table', args }),
              view: (...args) => intents.push({ kind: 'view', args }),
              skip: (source, reason) => skipped.push({ namespace: source.levels, name: source.name, reason }),
              copied: (sourceId, copyId) => copies.push([sourceId, copyId]),
            },
            namespaces,
          );
          // A single clone's file always exists when it answers (its caller may register it at once).
          const filesPending = tree && this.deferred !== undefined && intents.length > this.deferred.inlineFiles;
          // Destinations were checked free under the namespace's rows; a name taken since is caught
          // here (only a one-object clone can meet it: a tree clone's namespaces are its own).
          const { tables, views } = await planAndInsert(tx, ctx, intents, {
            writeFiles: !filesPending,
            store: this.store,
            written,
            nameTaken: (error, only) => {
              if (!isUniqueViolation(error)) return error;
              const kind = 'sourceMetadata' in only ? 'table' : 'view';
              return nameTaken(kind, kind, { namespace: only.clone.namespace, name: only.clone.record.name });
            },
          });
          const sourceUpdates = await this.disableEngineGc(tx, tables, now, written, sourceWarehouse.location);
          if (options['copy-grants']) {
            copies.push(...[...tables, ...views].map((p): [string, string] => [p.source.id, p.clone.record.id]));
            await copyGrants(tx, copies, options.owner ?? null);
          }
          return { operationId: ctx.operationId, tables, views, skipped, namespaces, sourceUpdates, filesPending };
        });
        if (result.filesPending) this.deferred?.writer.kick();
        if (result.tables.length + result.views.length >= REFRESH_STATISTICS_AFTER) this.refreshStatistics();
        for (const p of result.tables) this.documents.remember(p.clone.record.metadataLocation, p.clone.metadataJson, p.clone.metadata);
        for (const [, update] of result.sourceUpdates) {
          this.documents.remember(update.record.metadataLocation, update.metadataJson, update.metadata);
        }
        return {
          operationId: result.operationId,
          tables: result.tables.map((p) => p.clone),
          views: result.views.map((p) => p.clone),
          skipped: result.skipped,
          namespaces: result.namespaces,
        };
      } catch (error) {
        // Unless the transaction may have committed (its files are then the clones' own).
        if (!mayHaveCommitted(error)) await this.store.delete(written).catch(() => undefined);
        if (!isTransactionConflict(error) || attempt >= MAX_ATTEMPTS) throw error;
      }
    }
  }

  /** ANALYZE of the rows a large clone added to, in the background; a failure only costs plans. */
  private refreshStatistics(): void {
    detachedFromRequest(() => void refreshTableStatistics(this.db).catch(() => undefined));
  }

  /**
   * Commits gc.enabled=false onto sources that do not carry it yet (their rows are locked):
   * each gets a new metadata file, and all rows swap in one statement.
   */
  private async disableEngineGc(tx: Tx, planned: PlannedTableClone[], now: number, written: string[], sourceRoot: string) {
    const updates = new Map<string, CommittedTable>();
    const swaps: LockedSwap[] = [];
    for (const p of planned) {
      if (updates.has(p.source.id) || p.sourceMetadata.properties[GC_ENABLED] === 'false') continue;
      const next = propertyCommit(p.source, p.sourceMetadata, { [GC_ENABLED]: 'false' }, now);
      updates.set(p.source.id, next);
      swaps.push({ ...next, expectedVersion: p.source.version });
    }
    await writeAll(this.store, swaps.map((s) => ({ uri: s.record.metadataLocation, json: s.record.metadataJson })), sourceRoot, written);
    const swapped = await swapLockedTables(tx, swaps);
    if (swapped !== swaps.length) throw new Error(`${swaps.length - swapped} source tables changed while their rows were locked`);
    return updates;
  }
}
