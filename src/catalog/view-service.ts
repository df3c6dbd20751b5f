// View use cases (spec: listViews ... registerView). A view is a row beside the tables
// (kind 'view') with its metadata document in Postgres and in a metadata file it writes like
// a table does: file first, then the row, so a crash leaves at most an orphan file.
//
// A replace is an optimistic compare-and-swap on the row's version, as a table commit is: a
// lost race deletes the file it wrote and starts again from the read, re-checking the
// requirements, so the catalog retries only while they hold.
import type { Db } from '../db/database.js';
import { findNamespace, type Namespace } from '../db/namespace-repository.js';
import { isUniqueViolation, mayHaveCommitted } from '../db/postgres-errors.js';
import { markTableDropped, renameTable } from '../db/table-repository.js';
import { compareAndSwapView, findNameHolder, findView, insertView, type ViewRecord } from '../db/view-repository.js';
import type { Warehouse } from '../db/warehouse-repository.js';
import { badRequest, commitFailed, noSuchNamespace, noSuchView, serviceUnavailable } from '../iceberg/errors.js';
import { checkViewRequirements, newViewMetadata, ViewMetadataBuilder, type CreateViewInput, type ViewUpdate } from '../iceberg/view-builder.js';
import { normalizeViewMetadata, toViewDocument, type ViewMetadata } from '../iceberg/view-metadata.js';
import { parseJson, stringifyJson } from '../json/int64-json.js';
import { RefusedObjectError, type ObjectStore } from '../storage/object-store.js';
import { namespaceName, tableName, type TableIdentifier } from './identifiers.js';
import { requireValidName } from './name-limits.js';
import { nameTakenAfterRace, renameTargetTaken, requireFreeName } from './name-conflicts.js';
import { listNamesIn } from './name-listing.js';
import type { PageRequest } from './pagination.js';
import { readRegisteredMetadata } from './registered-file.js';
import { pendingMetadataDocument } from '../db/pending-metadata-repository.js';
import type { TableLocations } from './table-locations.js';

/** View property naming where its metadata files go (spec: view properties). */
export const WRITE_METADATA_PATH = 'write.metadata.path';

export interface CurrentView {
  record: ViewRecord;
  metadata: ViewMetadata;
  /** The document text, as stored and as served. */
  metadataJson: string;
}

class LostRace extends Error {}

/** The metadata file's URI as the stores take it: a `file:/x` spelling kept for the client is `file:///x`. */
const storedAt = (view: CurrentView) => view.record.metadataLocation.replace(/^file:\/(?!\/)/i, 'file:///');

export function serializeViewMetadata(metadata: ViewMetadata): string {
  return stringifyJson(toViewDocument(metadata));
}

export function parseViewDocument(json: string): ViewMetadata {
  return normalizeViewMetadata(parseJson(json));
}

/**
 * A version of a view ready to be written, naming a new metadata file: under the view's
 * `write.metadata.path` when it sets one (inside the warehouse), else `<location>/metadata`.
 */
export function viewVersion(
  locations: TableLocations,
  warehouse: Warehouse,
  row: { id: string; namespaceId: string; name: string; version: number },
  location: string,
  metadata: ViewMetadata,
): CurrentView {
  const writePath = metadata.properties[WRITE_METADATA_PATH];
  let directory = `${location}/metadata`;
  if (writePath !== undefined) {
    // Spelled as the client spelled it when that differs only in file:/ against file:///
    // (engines compare the metadata location with the path they asked for).
    const normalized = locations.confine(warehouse, writePath);
    const given = writePath.trim().replace(/\/+$/, '');
    directory = given.replace(/^file:\/(?!\/)/i, 'file:///') === normalized ? given : normalized;
  }
  const metadataJson = serializeViewMetadata(metadata);
  return {
    metadata,
    metadataJson,
    record: {
      ...row,
      warehouseId: warehouse.id,
      viewUuid: metadata['view-uuid'],
      location,
      metadataLocation: `${directory}/${String(row.version).padStart(5, '0')}-${crypto.randomUUID()}.metadata.json`,
      metadataJson,
    },
  };
}

export class ViewService {
  constructor(
    private readonly db: Db,
    private readonly store: ObjectStore,
    private readonly locations: TableLocations,
    private readonly options: { maxAttempts: number; now: () => number },
  ) {}

  private async requireNamespace(warehouse: Warehouse, levels: string[]): Promise<Namespace> {
    const namespace = await findNamespace(this.db, warehouse.id, levels);
    if (!namespace) throw noSuchNamespace(namespaceName(levels));
    return namespace;
  }

  list(warehouse: Warehouse, levels: string[], page: PageRequest, visible: 'all' | ReadonlySet<string> = 'all') {
    return listNamesIn(this.db, warehouse, levels, 'view', page, visible);
  }

  /**
   * The stored view, its document as text (served as stored, never parsed on a load). A
   * missing namespace is reported as a missing view, as for tables.
   */
  async load(warehouse: Warehouse, levels: string[], name: string): Promise<ViewRecord> {
    const record = await findView(this.db, warehouse.id, levels, name);
    if (!record) throw noSuchView(tableName(levels, name));
    return record;
  }

  async exists(warehouse: Warehouse, levels: string[], name: string): Promise<boolean> {
    return (await findNameHolder(this.db, warehouse.id, levels, name)) === 'view';
  }

  async create(warehouse: Warehouse, levels: string[], input: CreateViewInput, owner: string | null = null): Promise<CurrentView> {
    requireValidName(input.name, 'view name');
    const namespace = await this.requireNamespace(warehouse, levels);
    const identifier = { namespace: levels, name: input.name };
    await requireFreeName(this.db, warehouse, 'view', identifier);
    const requested = typeof input.location === 'string' ? input.location.trim().replace(/\/+$/, '') : '';
    const location = requested
      ? this.locations.confine(warehouse, requested)
      : this.locations.defaultTableLocation(warehouse, namespace, input.name);
    await this.locations.checkNoOverlap(warehouse, location);
    const metadata = newViewMetadata(input, {
      uuid: crypto.randomUUID(),
      now: this.options.now(),
      location: requested || location,
      checkLocation: (l) => this.locations.confine(warehouse, l),
    });
    const view = viewVersion(this.locations, warehouse, { id: crypto.randomUUID(), namespaceId: namespace.id, name: input.name, version: 0 }, location, metadata);
    view.record.owner = owner;
    await this.checkMetadataPath(warehouse, metadata, view.record.id);
    await this.writeFile(warehouse, view);
    try {
      await this.db.transaction().execute((tx) => insertView(tx, view.record));
    } catch (error) {
      if (!mayHaveCommitted(error)) await this.store.delete([storedAt(view)]).catch(() => undefined);
      if (isUniqueViolation(error)) throw await nameTakenAfterRace(this.db, warehouse, 'view', identifier);
      throw error;
    }
    return view;
  }

  /** replaceView: requirements, updates, a new metadata file, the swap; retried on a lost race. */
  async commit(warehouse: Warehouse, levels: string[], name: string, requirements: unknown, updates: ViewUpdate[]): Promise<CurrentView> {
    for (let attempt = 1; ; attempt++) {
      const record = await this.load(warehouse, levels, name);
      const current: CurrentView = { record, metadata: parseViewDocument(record.metadataJson), metadataJson: record.metadataJson };
      checkViewRequirements(requirements, current.metadata);
      const builder = new ViewMetadataBuilder(current.metadata, this.options.now(), (l) => this.locations.confine(warehouse, l));
      builder.applyAll(updates);
      if (!builder.hasChanges) return current;
      const metadata = builder.build();
      const location = this.locations.confine(warehouse, metadata.location);
      if (location !== current.record.location) await this.locations.checkNoOverlap(warehouse, location, current.record.id);
      if (metadata.properties[WRITE_METADATA_PATH] !== current.metadata.properties[WRITE_METADATA_PATH]) {
        await this.checkMetadataPath(warehouse, metadata, current.record.id);
      }
      const next = viewVersion(this.locations, warehouse, { ...current.record, version: current.record.version + 1 }, location, metadata);
      await this.writeFile(warehouse, next);
      try {
        if (!(await compareAndSwapView(this.db, current.record.version, next.record))) throw new LostRace();
        return next;
      } catch (error) {
        if (!mayHaveCommitted(error)) await this.store.delete([storedAt(next)]).catch(() => undefined);
        if (!(error instanceof LostRace)) throw error;
        if (attempt >= this.options.maxAttempts) {
          throw commitFailed(`Commit failed: the view changed concurrently ${attempt} times in a row; retry the commit`);
        }
        await new Promise((resolve) => setTimeout(resolve, Math.random() * 10 * attempt));
      }
    }
  }

  /** Soft drop, as for tables: the view can be restored, and its metadata file stays rooted until purged. */
  async drop(warehouse: Warehouse, levels: string[], name: string): Promise<void> {
    const record = await findView(this.db, warehouse.id, levels, name);
    if (!record) throw noSuchView(tableName(levels, name));
    const dropped = await this.db.transaction().execute((tx) => markTableDropped(tx, record.id, false));
    if (!dropped) throw noSuchView(tableName(levels, name));
  }

  async rename(warehouse: Warehouse, source: TableIdentifier, destination: TableIdentifier): Promise<void> {
    const record = await findView(this.db, warehouse.id, source.namespace, source.name);
    if (!record) throw noSuchView(tableName(source.namespace, source.name));
    const target = await this.requireNamespace(warehouse, destination.namespace);
    requireValidName(destination.name, 'destination view name');
    const holder = await findNameHolder(this.db, warehouse.id, destination.namespace, destination.name);
    if (holder) throw renameTargetTaken('view', holder, source, destination);
    try {
      await this.db.transaction().execute((tx) => renameTable(tx, record.id, target.id, destination.name));
    } catch (error) {
      if (!isUniqueViolation(error)) throw error;
      const winner = (await findNameHolder(this.db, warehouse.id, destination.namespace, destination.name)) ?? 'view';
      throw renameTargetTaken('view', winner, source, destination);
    }
  }

  /** Adopts an existing view metadata file inside the warehouse; nothing is written. */
  async register(
    warehouse: Warehouse,
    levels: string[],
    request: { name: string; 'metadata-location': string },
    owner: string | null = null,
  ): Promise<CurrentView> {
    requireValidName(request.name, 'view name');
    const namespace = await this.requireNamespace(warehouse, levels);
    const identifier = { namespace: levels, name: request.name };
    await requireFreeName(this.db, warehouse, 'view', identifier);
    const metadataLocation = this.locations.confine(warehouse, request['metadata-location']);
    const document = await readRegisteredMetadata(this.store, warehouse, metadataLocation, (location) => pendingMetadataDocument(this.db, location));
    let metadata: ViewMetadata;
    try {
      metadata = normalizeViewMetadata(document);
    } catch (error) {
      throw badRequest(`Cannot register ${metadataLocation}: ${(error as Error).message}`);
    }
    const location = this.locations.confine(warehouse, metadata.location);
    await this.locations.checkNoOverlap(warehouse, location);
    await this.checkMetadataPath(warehouse, metadata);
    const metadataJson = serializeViewMetadata(metadata);
    const record: ViewRecord = {
      id: crypto.randomUUID(),
      warehouseId: warehouse.id,
      namespaceId: namespace.id,
      name: request.name,
      viewUuid: metadata['view-uuid'],
      location,
      metadataLocation,
      metadataJson,
      version: 0,
      owner,
    };
    try {
      await this.db.transaction().execute((tx) => insertView(tx, record));
    } catch (error) {
      if (isUniqueViolation(error)) throw await nameTakenAfterRace(this.db, warehouse, 'view', identifier);
      throw error;
    }
    return { record, metadata, metadataJson };
  }

  /**
   * A view's own `write.metadata.path` stays inside the warehouse and out of other tables' and
   * views' locations: an engine cleaning a table's directory (remove_orphan_files) would
   * otherwise delete the view's metadata.
   */
  private async checkMetadataPath(warehouse: Warehouse, metadata: ViewMetadata, viewId?: string): Promise<void> {
    const path = metadata.properties[WRITE_METADATA_PATH];
    if (path !== undefined) await this.locations.checkNoOverlap(warehouse, this.locations.confine(warehouse, path), viewId);
  }

  /** Through real directories below the warehouse root only, as table metadata files are written. */
  private async writeFile(warehouse: Warehouse, view: CurrentView): Promise<void> {
    try {
      await this.store.put(storedAt(view), view.metadataJson, { root: warehouse.location });
    } catch (error) {
      await this.store.delete([storedAt(view)]).catch(() => undefined);
      if (error instanceof RefusedObjectError) throw badRequest(`Cannot write ${view.record.metadataLocation}: ${error.reason}`);
      throw serviceUnavailable(`Could not write view metadata to object storage: ${(error as Error).message}`);
    }
  }
}
