// Applies TableUpdate actions (spec: TableUpdate) to table metadata. Pure: metadata and
// updates in, new metadata out; the caller decides what to do with the result.
//
// The rules follow the spec's "Table Metadata" and "Snapshots" sections, and where the spec
// is silent, the reference implementation's behaviour (reusing ids of identical schemas,
// specs and sort orders; -1 meaning "the one added last in this commit"; refs that point
// at removed snapshots disappear with them).
//
// This file dispatches updates and handles the table-wide ones (uuid, format version,
// location, properties, encryption keys); structure-updates.ts handles schemas, specs and
// sort orders, snapshot-updates.ts snapshots, refs and statistics, all on one BuilderState.
import { isInt64, type Int64 } from '../json/int64-json.js';
import { isArray, isInt, isObject, isString, touch, type BuilderState } from './builder-state.js';
import { badRequest } from './errors.js';
import { removeProperties, setProperties } from './property-updates.js';
import {
  removePartitionStatistics,
  removeRef,
  removeSnapshots,
  removeStatistics,
  setPartitionStatistics,
  setRef,
  setStatistics,
  addSnapshot,
  pruneSnapshotLog,
} from './snapshot-updates.js';
import {
  addSchema,
  addSortOrder,
  addSpec,
  removeSchemas,
  removeSpecs,
  setCurrentSchema,
  setDefaultSortOrder,
  setDefaultSpec,
} from './structure-updates.js';
import {
  MAX_FORMAT_VERSION,
  PARTITION_FIELD_ID_START,
  currentSchema,
  type EncryptedKey,
  type FormatVersion,
  type PartitionSpec,
  type PartitionStatisticsFile,
  type Schema,
  type Snapshot,
  type SortOrder,
  type StatisticsFile,
  type TableMetadata,
} from './table-metadata.js';

export { sameRef } from './snapshot-updates.js';

export type TableUpdate = { action: string; [field: string]: unknown };


/** Called for every location a commit sets; throws to refuse it. */
export type LocationCheck = (location: string) => unknown;


/** An empty table, the starting point of a create transaction (`assert-create`). */
export function emptyTableMetadata(uuid: string, now: number): TableMetadata {
  return {
    'format-version': 2,
    'table-uuid': uuid,
    location: '',
    'last-sequence-number': 0,
    'last-updated-ms': now,
    'last-column-id': 0,
    schemas: [],
    'current-schema-id': -1,
    'partition-specs': [],
    'default-spec-id': -1,
    'last-partition-id': PARTITION_FIELD_ID_START - 1,
    'sort-orders': [],
    'default-sort-order-id': -1,
    properties: {},
    'current-snapshot-id': null,
    refs: {},
    snapshots: [],
    statistics: [],
    'partition-statistics': [],
    'snapshot-log': [],
    'metadata-log': [],
  };
}

function requireField<T>(update: TableUpdate, field: string, check: (v: unknown) => boolean, kind: string): T {
  const value = update[field];
  if (!check(value)) throw badRequest(`Invalid ${update.action} update: ${field} must be ${kind}`);
  return value as T;
}

export class TableMetadataBuilder {
  private readonly state: BuilderState;

  constructor(
    base: TableMetadata,
    now: number,
    checkLocation: LocationCheck,
    options: { isNew?: boolean } = {},
  ) {
    // A shallow copy per collection is enough: updates replace elements, never mutate them.
    const m: TableMetadata = {
      ...base,
      schemas: [...base.schemas],
      'partition-specs': [...base['partition-specs']],
      'sort-orders': [...base['sort-orders']],
      properties: { ...base.properties },
      refs: { ...base.refs },
      snapshots: [...base.snapshots],
      statistics: [...base.statistics],
      'partition-statistics': [...base['partition-statistics']],
      'snapshot-log': [...base['snapshot-log']],
      'metadata-log': [...base['metadata-log']],
    };
    if (base['encryption-keys']) m['encryption-keys'] = [...base['encryption-keys']];
    this.state = {
      m,
      now,
      checkLocation,
      isNew: options.isNew ?? false,
      addedSnapshotIds: new Set(),
      removedSnapshotIds: new Set(),
      changed: false,
      lastUpdatedFromSnapshot: false,
    };
  }

  /** Every update function works on the shared state; the builder only chains. */
  private after(_done: void): this {
    return this;
  }

  get hasChanges(): boolean {
    return this.state.changed;
  }

  applyAll(updates: readonly TableUpdate[]): this {
    for (const update of updates) this.apply(update);
    return this;
  }

  apply(update: TableUpdate): this {
    if (!isObject(update) || typeof update.action !== 'string') throw badRequest('Invalid update: missing action');
    switch (update.action) {
      case 'assign-uuid':
        return this.assignUuid(requireField<string>(update, 'uuid', isString, 'a string'));
      case 'upgrade-format-version':
        return this.upgradeFormatVersion(requireField<number>(update, 'format-version', isInt, 'an integer'));
      case 'add-schema':
        return this.after(addSchema(this.state, requireField<Schema>(update, 'schema', isObject, 'an object'), update['last-column-id']));
      case 'set-current-schema':
        return this.after(setCurrentSchema(this.state, requireField<number>(update, 'schema-id', isInt, 'an integer')));
      case 'add-spec':
        return this.after(addSpec(this.state, requireField<PartitionSpec>(update, 'spec', isObject, 'an object')));
      case 'set-default-spec':
        return this.after(setDefaultSpec(this.state, requireField<number>(update, 'spec-id', isInt, 'an integer')));
      case 'add-sort-order':
        return this.after(addSortOrder(this.state, requireField<SortOrder>(update, 'sort-order', isObject, 'an object')));
      case 'set-default-sort-order':
        return this.after(setDefaultSortOrder(this.state, requireField<number>(update, 'sort-order-id', isInt, 'an integer')));
      case 'add-snapshot':
        return this.after(addSnapshot(this.state, requireField<Snapshot>(update, 'snapshot', isObject, 'an object')));
      case 'set-snapshot-ref':
        return this.after(setRef(this.state, requireField<string>(update, 'ref-name', isString, 'a string'), update));
      case 'remove-snapshots':
        return this.after(removeSnapshots(this.state, requireField<Int64[]>(update, 'snapshot-ids', isArray, 'an array')));
      case 'remove-snapshot-ref':
        return this.after(removeRef(this.state, requireField<string>(update, 'ref-name', isString, 'a string')));
      case 'set-location':
        return this.setLocation(requireField<string>(update, 'location', isString, 'a string'));
      case 'set-properties':
        return this.setProperties(update.updates ?? update.updated);
      case 'remove-properties':
        return this.removeProperties(update.removals ?? update.removed);
      case 'set-statistics':
        return this.after(setStatistics(this.state, requireField<StatisticsFile>(update, 'statistics', isObject, 'an object')));
      case 'remove-statistics':
        return this.after(removeStatistics(this.state, requireField<Int64>(update, 'snapshot-id', isInt64, 'an integer')));
      case 'set-partition-statistics':
        return this.after(setPartitionStatistics(this.state, 
          requireField<PartitionStatisticsFile>(update, 'partition-statistics', isObject, 'an object'),
        ));
      case 'remove-partition-statistics':
        return this.after(removePartitionStatistics(this.state, requireField<Int64>(update, 'snapshot-id', isInt64, 'an integer')));
      case 'remove-partition-specs':
        return this.after(removeSpecs(this.state, requireField<number[]>(update, 'spec-ids', isArray, 'an array')));
      case 'remove-schemas':
        return this.after(removeSchemas(this.state, requireField<number[]>(update, 'schema-ids', isArray, 'an array')));
      case 'add-encryption-key':
        return this.addEncryptionKey(requireField<EncryptedKey>(update, 'encryption-key', isObject, 'an object'));
      case 'remove-encryption-key':
        return this.removeEncryptionKey(requireField<string>(update, 'key-id', isString, 'a string'));
      default:
        throw badRequest(`Unknown update action: ${update.action}`);
    }
  }

  /** The new metadata; `last-updated-ms` moves to now unless a snapshot added here says otherwise. */
  build(): TableMetadata {
    if (this.state.isNew) this.completeNewTable();
    if (this.state.m.schemas.length === 0) throw badRequest('Invalid table metadata: a table needs a schema');
    if (!currentSchema(this.state.m)) throw badRequest(`Invalid table metadata: current schema ${this.state.m['current-schema-id']} does not exist`);
    if (this.state.m.location === '') throw badRequest('Invalid table metadata: location is not set');
    pruneSnapshotLog(this.state);
    if (this.state.changed && !this.state.lastUpdatedFromSnapshot) this.state.m['last-updated-ms'] = Math.max(this.state.now, Number(this.state.m['last-updated-ms']));
    return this.state.m;
  }

  private touch(): this {
    touch(this.state);
    return this;
  }

  // A create transaction may leave out the spec and sort order: the table is then unpartitioned and unsorted.
  private completeNewTable(): void {
    if (this.state.m['partition-specs'].length === 0) {
      this.state.m['partition-specs'].push({ 'spec-id': 0, fields: [] });
      this.state.m['default-spec-id'] = 0;
    }
    if (this.state.m['sort-orders'].length === 0) {
      this.state.m['sort-orders'].push({ 'order-id': 0, fields: [] });
      this.state.m['default-sort-order-id'] = 0;
    }
    if (this.state.m['format-version'] >= 3 && this.state.m['next-row-id'] === undefined) this.state.m['next-row-id'] = 0;
  }

  private assignUuid(uuid: string): this {
    if (uuid === this.state.m['table-uuid']) return this;
    if (!this.state.isNew) throw badRequest(`Cannot reassign uuid: ${this.state.m['table-uuid']} to ${uuid}`);
    this.state.m['table-uuid'] = uuid;
    return this.touch();
  }

  private upgradeFormatVersion(version: number): this {
    if (version > MAX_FORMAT_VERSION || version < 1) {
      throw badRequest(`Cannot upgrade table to unsupported format version: v${version} (supported: v${MAX_FORMAT_VERSION})`);
    }
    const current = this.state.m['format-version'];
    if (version === current) return this;
    // A new table starts from a placeholder version; the create transaction names the real one.
    if (version < current && !this.state.isNew) throw badRequest(`Cannot downgrade v${current} table to v${version}`);
    this.state.m['format-version'] = version as FormatVersion;
    if (version >= 3 && this.state.m['next-row-id'] === undefined) this.state.m['next-row-id'] = 0;
    if (version < 3) delete this.state.m['next-row-id'];
    return this.touch();
  }

  private setLocation(location: string): this {
    // The metadata keeps the location as the client wrote it (engines compare it with what
    // they asked for); the catalog's own checks work on the normalised form.
    const given = location.trim().replace(/\/+$/, '');
    if (given === this.state.m.location) return this;
    this.state.checkLocation(given);
    this.state.m.location = given;
    return this.touch();
  }

  private setProperties(updates: unknown): this {
    if (setProperties(this.state.m.properties, updates)) this.touch();
    return this;
  }

  private removeProperties(removals: unknown): this {
    if (removeProperties(this.state.m.properties, removals)) this.touch();
    return this;
  }

  private addEncryptionKey(key: EncryptedKey): this {
    if (typeof key['key-id'] !== 'string' || typeof key['encrypted-key-metadata'] !== 'string') {
      throw badRequest('Invalid encryption key: key-id and encrypted-key-metadata are required');
    }
    const keys = (this.state.m['encryption-keys'] ?? []).filter((k) => k['key-id'] !== key['key-id']);
    this.state.m['encryption-keys'] = [...keys, key];
    return this.touch();
  }

  private removeEncryptionKey(keyId: string): this {
    const keys = this.state.m['encryption-keys'] ?? [];
    if (!keys.some((k) => k['key-id'] === keyId)) return this;
    this.state.m['encryption-keys'] = keys.filter((k) => k['key-id'] !== keyId);
    return this.touch();
  }
}

/** Records the metadata file being replaced in the new metadata's log, trimmed to the table's limit. */
export function appendMetadataLog(metadata: TableMetadata, previousFile: string, previousUpdatedMs: Int64): void {
  const max = Number(metadata.properties['write.metadata.previous-versions-max'] ?? '100');
  const log = [...metadata['metadata-log'], { 'metadata-file': previousFile, 'timestamp-ms': previousUpdatedMs }];
  metadata['metadata-log'] = Number.isFinite(max) && max >= 0 ? log.slice(Math.max(0, log.length - max)) : log;
}
