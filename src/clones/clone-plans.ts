// What one clone operation will insert, table by table and view by view: each clone's
// metadata (pure), its first metadata file's location, its row and its lineage row. Planned
// inside the operation's transaction from the locked sources; CloneService writes and inserts.
import type { LineageRow, LockedTable } from '../db/clone-repository.js';
import type { Namespace } from '../db/namespace-repository.js';
import type { Warehouse } from '../db/warehouse-repository.js';
import { badRequest } from '../iceberg/errors.js';
import type { TableMetadata } from '../iceberg/table-metadata.js';
import type { ViewVersion } from '../iceberg/view-metadata.js';
import { tableName } from '../catalog/identifiers.js';
import { tableVersion, type CommittedTable } from '../catalog/table-commit.js';
import type { TableDocuments } from '../catalog/table-documents.js';
import type { TableLocations } from '../catalog/table-locations.js';
import { parseViewDocument, viewVersion, type CurrentView } from '../catalog/view-service.js';
import { cloneTableMetadata } from './clone-metadata.js';
import { resolveClonePoint, type ClonePoint } from './clone-point.js';
import { cloneViewMetadata } from './view-clone-metadata.js';

export interface CloneOptionsRequest {
  /** The caller: it owns the clones (set by the route, never by a request body). */
  owner?: string | null;
  /** Copy the source's grants onto the clone (Snowflake's COPY GRANTS); otherwise only its owner may use it. */
  'copy-grants'?: boolean;
  history?: 'point' | 'all';
  'copy-refs'?: boolean;
  properties?: Record<string, string>;
}

export interface ClonedTable extends CommittedTable {
  namespace: string[];
  source: { namespace: string[]; name: string; snapshotId: string | null };
  expiresAt: Date | null;
}

export interface ClonedView extends CurrentView {
  namespace: string[];
  source: { namespace: string[]; name: string; versionId: number };
  expiresAt: Date | null;
}

export interface PlannedTableClone {
  source: LockedTable;
  sourceMetadata: TableMetadata;
  clone: ClonedTable;
  lineage: LineageRow;
}

export interface PlannedViewClone {
  source: LockedTable;
  clone: ClonedView;
  lineage: LineageRow;
}

/** What every plan of one operation shares. */
export interface PlanContext {
  warehouse: Warehouse;
  locations: TableLocations;
  documents: TableDocuments;
  options: CloneOptionsRequest;
  expiresAt: Date | null;
  operationId: string;
  now: number;
}

function requireName(name: unknown): string {
  if (typeof name !== 'string' || name === '') throw badRequest('Invalid destination name');
  return name;
}

export function planTableClone(
  ctx: PlanContext,
  source: LockedTable,
  namespace: Namespace,
  name: string,
  point: ClonePoint,
  /** In a namespace clone at a time, a table with no snapshot yet then is cloned empty. */
  emptyIfBefore: boolean,
  requestedLocation?: string,
): PlannedTableClone {
  requireName(name);
  const sourceMetadata = ctx.documents.parsed(source.metadataLocation, source.metadataJson);
  let snapshot;
  try {
    snapshot = resolveClonePoint(sourceMetadata, point, ctx.now, tableName(source.levels, source.name));
  } catch (error) {
    if (!emptyIfBefore) throw error;
    snapshot = null;
  }
  const location = requestedLocation ?? ctx.locations.defaultTableLocation(ctx.warehouse, namespace, name);
  const metadata = cloneTableMetadata(sourceMetadata, snapshot, {
    uuid: crypto.randomUUID(),
    location,
    now: ctx.now,
    history: ctx.options.history ?? 'point',
    copyRefs: ctx.options['copy-refs'] ?? false,
    properties: ctx.options.properties ?? {},
  });
  const version = tableVersion(
    { id: crypto.randomUUID(), warehouseId: ctx.warehouse.id, namespaceId: namespace.id, name, location, version: 0 },
    metadata,
  );
  // The clone reads files under its source's location, and wherever the source's own came from.
  version.record.sourceLocations = [...new Set([source.location, ...source.sourceLocations])];
  version.record.owner = ctx.options.owner ?? null;
  return {
    source,
    sourceMetadata,
    clone: {
      ...version,
      namespace: namespace.levels,
      source: { namespace: source.levels, name: source.name, snapshotId: snapshot ? snapshot['snapshot-id'].toString() : null },
      expiresAt: ctx.expiresAt,
    },
    lineage: {
      tableId: version.record.id,
      sourceTableId: source.id,
      sourceTableUuid: sourceMetadata['table-uuid'],
      sourceName: [...source.levels, source.name],
      sourceSnapshotId: snapshot ? snapshot['snapshot-id'] : null,
      sourceVersion: source.version,
      point,
      operationId: ctx.operationId,
    },
  };
}

export function planViewClone(
  ctx: PlanContext,
  source: LockedTable,
  namespace: Namespace,
  name: string,
  choice: { version?: ViewVersion; point: ClonePoint; rewriteNamespace?: (levels: string[]) => string[] | undefined },
  requestedLocation?: string,
): PlannedViewClone {
  requireName(name);
  const sourceMetadata = parseViewDocument(source.metadataJson);
  const location = requestedLocation ?? ctx.locations.defaultTableLocation(ctx.warehouse, namespace, name);
  const metadata = cloneViewMetadata(sourceMetadata, {
    uuid: crypto.randomUUID(),
    location,
    now: ctx.now,
    history: ctx.options.history ?? 'point',
    version: choice.version,
    rewriteNamespace: choice.rewriteNamespace,
  });
  const view = viewVersion(ctx.locations, ctx.warehouse, { id: crypto.randomUUID(), namespaceId: namespace.id, name, version: 0 }, location, metadata);
  view.record.owner = ctx.options.owner ?? null;
  const versionId = (choice.version ?? sourceMetadata.versions.find((v) => v['version-id'] === sourceMetadata['current-version-id']))!['version-id'];
  return {
    source,
    clone: {
      ...view,
      namespace: namespace.levels,
      source: { namespace: source.levels, name: source.name, versionId },
      expiresAt: ctx.expiresAt,
    },
    lineage: {
      tableId: view.record.id,
      sourceTableId: source.id,
      sourceTableUuid: sourceMetadata['view-uuid'],
      sourceName: [...source.levels, source.name],
      sourceSnapshotId: null,
      sourceVersion: source.version,
      point: choice.point,
      operationId: ctx.operationId,
    },
  };
}
