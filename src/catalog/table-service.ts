// Table use cases (spec: the table routes). Commits go through TableCommitter.
import type { Db } from '../db/database.js';
import { findNamespace } from '../db/namespace-repository.js';
import { isUniqueViolation } from '../db/postgres-errors.js';
import { findTable, markTableDropped, renameTable, type TableRecord } from '../db/table-repository.js';
import type { CurrentTable, TableDocuments } from './table-documents.js';
import type { Warehouse } from '../db/warehouse-repository.js';
import { badRequest, noSuchNamespace, noSuchTable, serviceUnavailable } from '../iceberg/errors.js';
import { normalizeTableMetadata, withReferencedSnapshotsOnly } from '../iceberg/metadata-document.js';
import { newTableMetadata, type NewTableRequest } from '../iceberg/new-table.js';
import type { TableMetadata } from '../iceberg/table-metadata.js';
import { requireValidName } from './name-limits.js';
import { RefusedObjectError, type ObjectStore } from '../storage/object-store.js';
import { findNameHolder } from '../db/view-repository.js';
import { nameTaken, nameTakenAfterRace, renameTargetTaken, requireFreeName } from './name-conflicts.js';
import { readRegisteredMetadata } from './registered-file.js';
import { pendingMetadataDocument } from '../db/pending-metadata-repository.js';
import { namespaceName, tableName, type TableIdentifier } from './identifiers.js';
import { listNamesIn } from './name-listing.js';
import type { PageRequest } from './pagination.js';
import { serializeMetadata, tableVersion, type CommittedTable, type TableChange, type TableCommitter } from './table-commit.js';
import type { TableLocations } from './table-locations.js';

export interface CreateTableInput extends Omit<NewTableRequest, 'location'> {
  name: string;
  location?: string;
  'stage-create'?: boolean;
}

export type SnapshotMode = 'all' | 'refs';

export class TableService {
  constructor(
    private readonly db: Db,
    private readonly store: ObjectStore,
    private readonly locations: TableLocations,
    private readonly committer: TableCommitter,
    private readonly documents: TableDocuments,
    private readonly now: () => number,
  ) {}

  private async requireNamespace(warehouse: Warehouse, levels: string[]) {
    const namespace = await findNamespace(this.db, warehouse.id, levels);
    if (!namespace) throw noSuchNamespace(namespaceName(levels));
    return namespace;
  }

  list(warehouse: Warehouse, levels: string[], page: PageRequest, visible: 'all' | ReadonlySet<string> = 'all') {
    return listNamesIn(this.db, warehouse, levels, 'table', page, visible);
  }

  /** The stored table; a missing namespace is reported as a missing table (spec: loadTable, Spark relies on it). */
  async load(warehouse: Warehouse, levels: string[], name: string): Promise<CurrentTable> {
    const table = await this.documents.find(warehouse.id, levels, name);
    if (!table) throw noSuchTable(tableName(levels, name));
    return table;
  }

  /** Whether the table exists, without reading its document. */
  async exists(warehouse: Warehouse, levels: string[], name: string): Promise<boolean> {
    return (await findTable(this.db, warehouse.id, levels, name)) !== undefined;
  }

  /** The metadata to serve for `snapshots=refs`; `all` serves the stored text as it is. */
  refsOnlyMetadata(table: CurrentTable): TableMetadata {
    return withReferencedSnapshotsOnly(table.metadata());
  }

  async create(warehouse: Warehouse, levels: string[], input: CreateTableInput, owner: string | null = null): Promise<CommittedTable & { staged: boolean }> {
    requireValidName(input.name, 'table name');
    const namespace = await this.requireNamespace(warehouse, levels);
    const identifier = { namespace: levels, name: input.name };
    await requireFreeName(this.db, warehouse, 'table', identifier);
    const requested = input.location?.trim().replace(/\/+$/, '');
    const location = requested
      ? this.locations.confine(warehouse, requested)
      : this.locations.defaultTableLocation(warehouse, namespace, input.name);
    await this.locations.checkNoOverlap(warehouse, location);
    const now = this.now();
    const metadata = newTableMetadata(
      { ...input, location: requested || location },
      { uuid: crypto.randomUUID(), now, checkLocation: (l) => this.locations.confine(warehouse, l) },
    );
    const table = tableVersion(
      { id: crypto.randomUUID(), warehouseId: warehouse.id, namespaceId: namespace.id, name: input.name, location, version: 0 },
      metadata,
    );
    table.record.owner = owner;
    // A staged create (spec: stage-create) only proposes metadata; the table comes into
    // being with the client's later commit carrying assert-create.
    if (input['stage-create']) {
      await this.prepareStagedDirectories(warehouse, location);
      return { ...table, staged: true };
    }
    const [created] = await this.committer.commitCreated(warehouse, table).catch(async (error) => {
      if (isUniqueViolation(error)) throw await nameTakenAfterRace(this.db, warehouse, 'table', identifier);
      throw error;
    });
    return { ...created, staged: false };
  }

  /**
   * A staging engine may write into the table directory before anything exists there:
   * DuckDB's CTAS writes `<location>/metadata/…-m0.avro` without creating `metadata/`, which
   * works on S3 and fails on a local directory. So the two directories are made (a no-op on
   * S3). Nothing is registered yet: an abandoned staged create leaves two empty directories.
   */
  private async prepareStagedDirectories(warehouse: Warehouse, location: string): Promise<void> {
    for (const directory of ['metadata', 'data']) {
      const uri = `${location}/${directory}`;
      try {
        await this.store.ensureDirectory(uri, { root: warehouse.location });
      } catch (error) {
        if (error instanceof RefusedObjectError) throw badRequest(`Cannot prepare ${uri}: ${error.reason}`);
        throw serviceUnavailable(`Could not create ${uri}: ${(error as Error).message}`);
      }
    }
  }

  /** `owner` owns a table a change creates (create-via-commit). */
  commit(warehouse: Warehouse, changes: TableChange[], owner: string | null = null): Promise<CommittedTable[]> {
    return this.committer.commit(warehouse, changes, owner);
  }

  async drop(warehouse: Warehouse, levels: string[], name: string, purgeRequested: boolean): Promise<void> {
    const record = await findTable(this.db, warehouse.id, levels, name);
    if (!record) throw noSuchTable(tableName(levels, name));
    const dropped = await this.db.transaction().execute((tx) => markTableDropped(tx, record.id, purgeRequested));
    if (!dropped) throw noSuchTable(tableName(levels, name));
  }

  async rename(warehouse: Warehouse, source: TableIdentifier, destination: TableIdentifier): Promise<void> {
    const record = await findTable(this.db, warehouse.id, source.namespace, source.name);
    if (!record) throw noSuchTable(tableName(source.namespace, source.name));
    const target = await this.requireNamespace(warehouse, destination.namespace);
    requireValidName(destination.name, 'destination table name');
    const holder = await findNameHolder(this.db, warehouse.id, destination.namespace, destination.name);
    if (holder) throw renameTargetTaken('table', holder, source, destination);
    try {
      await this.db.transaction().execute((tx) => renameTable(tx, record.id, target.id, destination.name));
    } catch (error) {
      if (!isUniqueViolation(error)) throw error;
      const winner = (await findNameHolder(this.db, warehouse.id, destination.namespace, destination.name)) ?? 'table';
      throw renameTargetTaken('table', winner, source, destination);
    }
  }

  async register(
    warehouse: Warehouse,
    levels: string[],
    request: { name: string; 'metadata-location': string; overwrite?: boolean },
    owner: string | null = null,
  ): Promise<CommittedTable> {
    requireValidName(request.name, 'table name');
    const namespace = await this.requireNamespace(warehouse, levels);
    const metadataLocation = this.locations.confine(warehouse, request['metadata-location']);
    const identifier = { namespace: levels, name: request.name };
    const document = await readRegisteredMetadata(this.store, warehouse, metadataLocation, (location) => pendingMetadataDocument(this.db, location));
    let metadata: TableMetadata;
    try {
      metadata = normalizeTableMetadata(document);
    } catch (error) {
      throw badRequest(`Cannot register ${metadataLocation}: ${(error as Error).message}`);
    }
    const location = this.locations.confine(warehouse, metadata.location);
    // A table whose files live elsewhere is refused: the catalog would root them, and its
    // collector could then be asked to read or delete outside the warehouse. Copy such a
    // table into the warehouse first.
    this.locations.confineRegistered(warehouse, metadata);
    const existing = await this.documents.find(warehouse.id, levels, request.name);
    if (existing && !request.overwrite) throw nameTaken('table', 'table', identifier);
    if (!existing) await requireFreeName(this.db, warehouse, 'table', identifier);
    await this.locations.checkNoOverlap(warehouse, location, existing?.head.id);
    const record: TableRecord = {
      id: existing?.head.id ?? crypto.randomUUID(),
      warehouseId: warehouse.id,
      namespaceId: namespace.id,
      name: request.name,
      tableUuid: metadata['table-uuid'],
      location,
      formatVersion: metadata['format-version'],
      // The registered file is served as is: it is the table's current metadata file.
      metadataLocation,
      metadataJson: serializeMetadata(metadata),
      version: existing ? existing.head.version + 1 : 0,
      // Re-pointing an existing table keeps its owner.
      owner: existing ? (existing.head.owner ?? null) : owner,
    };
    try {
      const [registered] = await this.committer.commitRegistered({ record, metadata, metadataJson: record.metadataJson }, existing);
      return registered;
    } catch (error) {
      if (isUniqueViolation(error)) throw await nameTakenAfterRace(this.db, warehouse, 'table', identifier);
      throw error;
    }
  }
}
