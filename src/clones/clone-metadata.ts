// The metadata of a clone (pure): a new table (own uuid, own location for the files it will
// write) naming the same snapshots as the source at the chosen point. Nothing below the
// manifest lists is read or copied, which is why a clone costs the same for ten data files
// or a million (design: clones-and-gc.md, "Clones are reference inserts").
import { MAIN_BRANCH, type Snapshot, type SnapshotReference, type TableMetadata } from '../iceberg/table-metadata.js';
import { int64Equals, int64Key } from '../json/int64-json.js';

/** Engines refuse to delete files themselves (expire_snapshots, remove_orphan_files, DROP ... PURGE) when this is false. */
export const GC_ENABLED = 'gc.enabled';
const WRITE_DATA_PATH = 'write.data.path';
const WRITE_METADATA_PATH = 'write.metadata.path';

export interface CloneOptions {
  uuid: string;
  location: string;
  now: number;
  /** 'point': only the chosen snapshot (default); 'all': every snapshot the source retains. */
  history: 'point' | 'all';
  /** Copy the source's other branches and tags whose snapshots the clone keeps. */
  copyRefs: boolean;
  properties: Record<string, string>;
}

export function cloneTableMetadata(source: TableMetadata, snapshot: Snapshot | null, options: CloneOptions): TableMetadata {
  const kept: Snapshot[] =
    snapshot === null ? [] : options.history === 'all' ? source.snapshots : [snapshot];
  const keptIds = new Set(kept.map((s) => int64Key(s['snapshot-id'])));
  const refs: Record<string, SnapshotReference> = {};
  if (options.copyRefs) {
    for (const [name, ref] of Object.entries(source.refs)) {
      if (name !== MAIN_BRANCH && keptIds.has(int64Key(ref['snapshot-id']))) refs[name] = { ...ref };
    }
  }
  if (snapshot) refs[MAIN_BRANCH] = { ...(source.refs[MAIN_BRANCH] ?? {}), type: 'branch', 'snapshot-id': snapshot['snapshot-id'] };

  // History up to the point, as the source saw it; a clone of a past point starts there.
  const log = snapshot
    ? source['snapshot-log'].filter(
        (e) => keptIds.has(int64Key(e['snapshot-id'])) && Number(e['timestamp-ms']) <= Number(snapshot['timestamp-ms']),
      )
    : [];
  if (snapshot && !int64Equals(log.at(-1)?.['snapshot-id'], snapshot['snapshot-id'])) {
    log.push({ 'snapshot-id': snapshot['snapshot-id'], 'timestamp-ms': snapshot['timestamp-ms'] });
  }

  // The clone reads like the source did at that point: the schema the snapshot was written with.
  const snapshotSchema = snapshot?.['schema-id'];
  const currentSchemaId =
    snapshotSchema !== undefined && source.schemas.some((s) => s['schema-id'] === snapshotSchema)
      ? snapshotSchema
      : source['current-schema-id'];

  // The source's data and metadata paths would put the clone's files among the source's (and
  // widen the clone's storage access to them): the clone writes under its own location.
  const { [WRITE_DATA_PATH]: _data, [WRITE_METADATA_PATH]: _metadata, ...sourceProperties } = source.properties;
  const clone: TableMetadata = {
    ...source,
    'table-uuid': options.uuid,
    location: options.location,
    'last-updated-ms': options.now,
    'current-schema-id': currentSchemaId,
    properties: { ...sourceProperties, ...options.properties, [GC_ENABLED]: 'false' },
    'current-snapshot-id': snapshot?.['snapshot-id'] ?? null,
    refs,
    snapshots: kept,
    statistics: source.statistics.filter((s) => keptIds.has(int64Key(s['snapshot-id']))),
    'partition-statistics': source['partition-statistics'].filter((s) => keptIds.has(int64Key(s['snapshot-id']))),
    'snapshot-log': log,
    'metadata-log': [],
  };
  return clone;
}
