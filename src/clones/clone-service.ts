// Zero-copy clones of a table, a namespace tree or a whole warehouse (design:
// clones-and-gc.md). Every clone operation is one Postgres transaction:
//
//   1. lock the source rows (one statement, table-id order) and read their documents: the
//      values are those of one instant, so a namespace clone is a consistent cut, and a commit
//      racing the clone waits for it (then retries its swap, as after any lost race);
//   2. build each clone's metadata (pure) and write its first metadata file;
//   3. insert the clones' rows: table, snapshot and ref rows (the roots), metadata file, lineage;
//   4. commit gc.enabled=false onto every source that does not carry it yet, so engines leave
//      shared files to the catalog's collector.
//
// The work grows with the number of tables and kept snapshots, never with data files.
import type { Db, Tx } from '../db/database.js';
import { insertLineage, lockTables, type LineageRow, type LockedTable } from '../db/clone-repository.js';
import { validateLevels } from '../catalog/namespace-service.js';
import { findNamespace, insertNamespace, listNamespaceTree, type Namespace } from '../db/namespace-repository.js';
import { isTransactionConflict, isUniqueViolation, mayHaveCommitted } from '../db/postgres-errors.js';
import { insertTable } from '../db/table-repository.js';
import { findOverlappingWarehouse, insertWarehouse, type Warehouse } from '../db/warehouse-repository.js';
import { alreadyExists, badRequest, forbidden, noSuchNamespace, noSuchTable } from '../iceberg/errors.js';
import { isUnderRoot } from '../gc/object-uri.js';
import type { TableMetadata } from '../iceberg/table-metadata.js';
import type { ObjectStore } from '../storage/object-store.js';
import { namespaceName, tableName, type TableIdentifier } from '../catalog/identifiers.js';
import { normalizeLocation } from '../catalog/locations.js';
import { tableVersion, type CommittedTable } from '../catalog/table-commit.js';
import type { TableDocuments } from '../catalog/table-documents.js';
import type { TableLocations } from '../catalog/table-locations.js';
import { GC_ENABLED, cloneTableMetadata } from './clone-metadata.js';
import { resolveClonePoint, type ClonePoint } from './clone-point.js';
import { commitLockedTable } from './locked-commit.js';
import { expiryFrom, type ExpiryRequest } from './expiry.js';

export interface CloneOptionsRequest extends ExpiryRequest {
  history?: 'point' | 'all';
  'copy-refs'?: boolean;
  properties?: Record<string, string>;
}

export interface CloneTableRequest extends CloneOptionsRequest {
  destination: TableIdentifier;
  point?: ClonePoint;
  /** Where the clone writes its files; by default a new directory in the destination namespace. */
  location?: string;
}

export interface CloneNamespaceRequest extends CloneOptionsRequest {
  destination: string[];
  'timestamp-ms'?: number;
}

export interface CloneWarehouseRequest extends CloneOptionsRequest {
  destination: { name: string; location: string };
  'timestamp-ms'?: number;
}

export interface ClonedTable extends CommittedTable {
  namespace: string[];
  source: { namespace: string[]; name: string; snapshotId: string | null };
  expiresAt: Date | null;
}

export interface CloneResult {
  operationId: string;
  tables: ClonedTable[];
  /** Tables left out of a point-in-time namespace clone because they did not exist yet. */
  skipped: { namespace: string[]; name: string; reason: string }[];
  namespaces: string[][];
}

interface PlannedClone {
  source: LockedTable;
  sourceMetadata: TableMetadata;
  destination: { namespace: Namespace; name: string };
  clone: ClonedTable;
  lineage: LineageRow;
}

const MAX_ATTEMPTS = 3;
/** Metadata files written at once while cloning many tables. */
const WRITE_CONCURRENCY = 16;

async function inBatches<T>(items: T[], size: number, work: (item: T) => Promise<unknown>): Promise<void> {
  for (let i = 0; i < items.length; i += size) await Promise.all(items.slice(i, i + size).map(work));
}

export class CloneService {
  constructor(
    private readonly db: Db,
    private readonly store: ObjectStore,
    private readonly locations: TableLocations,
    private readonly documents: TableDocuments,
    private readonly now: () => number,
    /** CATALOG_WAREHOUSE_ALLOWED_ROOTS: where new warehouse roots may be created. */
    private readonly allowedRoots: readonly string[] = [],
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
      plan(locked, namespace, destination.name, request.point ?? {}, false, location);
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
    const target: Warehouse = { id: crypto.randomUUID(), name, location: root, properties: {}, managedRoot: true };
    const result = await this.cloneTree(source, [], target, [], request, async (tx) => {
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
    request: CloneOptionsRequest & { 'timestamp-ms'?: number },
    prepare?: (tx: Tx) => Promise<void>,
  ): Promise<CloneResult> {
    const at = request['timestamp-ms'];
    if (at !== undefined && at > this.now()) throw badRequest(`Timestamp ${at} is in the future`);
    return this.run(target, request, async (tx, plan, created) => {
      await prepare?.(tx);
      const tables = await lockTables(tx, source.id, { namespacePrefix: sourceLevels });
      const namespaces = await listNamespaceTree(tx, source.id, sourceLevels);
      const parentLevels = destinationRoot.slice(0, -1);
      const parent = parentLevels.length > 0 ? await findNamespace(tx, target.id, parentLevels) : undefined;
      if (parentLevels.length > 0 && !parent) throw noSuchNamespace(namespaceName(parentLevels));
      // Destination namespaces mirror the source tree; a `location` property stays behind,
      // since it names where the source's tables live.
      const byLevels = new Map<string, Namespace>();
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
        };
        try {
          await insertNamespace(tx, copy);
        } catch (error) {
          if (isUniqueViolation(error)) throw alreadyExists(`Namespace already exists: ${namespaceName(levels)}`);
          throw error;
        }
        byLevels.set(levels.join('\x1f'), copy);
        created.push(levels);
      }
      for (const table of tables) {
        const levels = [...destinationRoot, ...table.levels.slice(sourceLevels.length)];
        if (at !== undefined && table.createdAt.getTime() > at) {
          plan.skip(table, `created after ${new Date(at).toISOString()}`);
          continue;
        }
        plan(table, byLevels.get(levels.join('\x1f'))!, table.name, at === undefined ? {} : { 'timestamp-ms': at }, at !== undefined);
      }
    }, source);
  }

  /**
   * Runs one clone operation: `select` locks sources and names destinations through `plan`;
   * this does the rest in the same transaction, retrying when it lost a lock race.
   */
  private async run(
    warehouse: Warehouse,
    options: CloneOptionsRequest,
    select: (
      tx: Tx,
      plan: ((source: LockedTable, namespace: Namespace, name: string, point: ClonePoint, emptyIfBefore: boolean, location?: string) => void) & {
        skip(source: LockedTable, reason: string): void;
      },
      createdNamespaces: string[][],
    ) => Promise<void>,
    /** Where the sources live: the same warehouse, except for a warehouse clone. */
    sourceWarehouse: Warehouse = warehouse,
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
          const operationId = crypto.randomUUID();
          const planned: PlannedClone[] = [];
          const skipped: CloneResult['skipped'] = [];
          const namespaces: string[][] = [];
          const plan = Object.assign(
            (source: LockedTable, namespace: Namespace, name: string, point: ClonePoint, emptyIfBefore: boolean, location?: string) => {
              planned.push(
                this.planClone(warehouse, source, namespace, name, point, emptyIfBefore, options, expiresAt, operationId, now, location),
              );
            },
            { skip: (source: LockedTable, reason: string) => skipped.push({ namespace: source.levels, name: source.name, reason }) },
          );
          await select(tx, plan, namespaces);

          await inBatches(planned, WRITE_CONCURRENCY, async (p) => {
            written.push(p.clone.record.metadataLocation);
            await this.store.put(p.clone.record.metadataLocation, p.clone.metadataJson, { root: warehouse.location });
          });
          for (const p of planned) {
            try {
              await insertTable(tx, p.clone, { expiresAt });
            } catch (error) {
              if (isUniqueViolation(error)) {
                throw alreadyExists(`Table already exists: ${tableName(p.destination.namespace.levels, p.destination.name)}`);
              }
              throw error;
            }
          }
          const sourceUpdates = await this.disableEngineGc(tx, planned, now, written, sourceWarehouse.location);
          await insertLineage(
            tx,
            planned.map((p) => ({ ...p.lineage, sourceVersion: sourceUpdates.get(p.source.id)?.record.version ?? p.source.version })),
          );
          return { operationId, planned, skipped, namespaces, sourceUpdates };
        });
        for (const p of result.planned) this.documents.remember(p.clone.record.metadataLocation, p.clone.metadataJson, p.clone.metadata);
        for (const [, update] of result.sourceUpdates) {
          this.documents.remember(update.record.metadataLocation, update.metadataJson, update.metadata);
        }
        return {
          operationId: result.operationId,
          tables: result.planned.map((p) => p.clone),
          skipped: result.skipped,
          namespaces: result.namespaces,
        };
      } catch (error) {
        // Unless the transaction may have committed (its files are then the tables' own).
        if (!mayHaveCommitted(error)) await this.store.delete(written).catch(() => undefined);
        if (!isTransactionConflict(error) || attempt >= MAX_ATTEMPTS) throw error;
      }
    }
  }

  private planClone(
    warehouse: Warehouse,
    source: LockedTable,
    namespace: Namespace,
    name: string,
    point: ClonePoint,
    emptyIfBefore: boolean,
    options: CloneOptionsRequest,
    expiresAt: Date | null,
    operationId: string,
    now: number,
    requestedLocation?: string,
  ): PlannedClone {
    if (typeof name !== 'string' || name === '') throw badRequest('Invalid destination table name');
    const sourceMetadata = this.documents.parsed(source.metadataLocation, source.metadataJson);
    const sourceName = tableName(source.levels, source.name);
    let snapshot;
    try {
      snapshot = resolveClonePoint(sourceMetadata, point, now, sourceName);
    } catch (error) {
      // In a namespace clone at a time, a table with no snapshot yet then is cloned empty.
      if (!emptyIfBefore) throw error;
      snapshot = null;
    }
    const location = requestedLocation ?? this.locations.defaultTableLocation(warehouse, namespace, name);
    const metadata = cloneTableMetadata(sourceMetadata, snapshot, {
      uuid: crypto.randomUUID(),
      location,
      now,
      history: options.history ?? 'point',
      copyRefs: options['copy-refs'] ?? false,
      properties: options.properties ?? {},
    });
    const version = tableVersion({ id: crypto.randomUUID(), warehouseId: warehouse.id, namespaceId: namespace.id, name, location, version: 0 }, metadata);
    const record = version.record;
    const metadataJson = version.metadataJson;
    return {
      source,
      sourceMetadata,
      destination: { namespace, name },
      clone: {
        record,
        metadata,
        metadataJson,
        namespace: namespace.levels,
        source: { namespace: source.levels, name: source.name, snapshotId: snapshot ? snapshot['snapshot-id'].toString() : null },
        expiresAt,
      },
      lineage: {
        tableId: record.id,
        sourceTableId: source.id,
        sourceTableUuid: sourceMetadata['table-uuid'],
        sourceName: [...source.levels, source.name],
        sourceSnapshotId: snapshot ? snapshot['snapshot-id'] : null,
        sourceVersion: source.version,
        point,
        operationId,
      },
    };
  }

  /** Commits gc.enabled=false onto sources that do not carry it yet (their rows are locked). */
  private async disableEngineGc(tx: Tx, planned: PlannedClone[], now: number, written: string[], sourceRoot: string) {
    const updates = new Map<string, CommittedTable>();
    for (const p of planned) {
      if (updates.has(p.source.id) || p.sourceMetadata.properties[GC_ENABLED] === 'false') continue;
      const update = { action: 'set-properties', updates: { [GC_ENABLED]: 'false' } };
      updates.set(p.source.id, await commitLockedTable(tx, this.store, p.source, p.sourceMetadata, [update], now, written, sourceRoot));
    }
    return updates;
  }
}
