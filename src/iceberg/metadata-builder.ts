// Applies TableUpdate actions (spec: TableUpdate) to table metadata. Pure: metadata and
// updates in, new metadata out; the caller decides what to do with the result.
//
// The rules follow the spec's "Table Metadata" and "Snapshots" sections, and where the spec
// is silent, the reference implementation's behaviour (reusing ids of identical schemas,
// specs and sort orders; -1 meaning "the one added last in this commit"; refs that point
// at removed snapshots disappear with them).
import { compareInt64, int64Equals, int64Key, isInt64, toInt64, type Int64 } from '../json/int64-json.js';
import { badRequest } from './errors.js';
import { highestFieldId, indexFields, sameSchemaStructure, validateSchema } from './schema.js';
import {
  MAIN_BRANCH,
  MAX_FORMAT_VERSION,
  PARTITION_FIELD_ID_START,
  currentSchema,
  type EncryptedKey,
  type FormatVersion,
  type PartitionField,
  type PartitionSpec,
  type PartitionStatisticsFile,
  type Schema,
  type Snapshot,
  type SnapshotReference,
  type SortOrder,
  type StatisticsFile,
  type TableMetadata,
} from './table-metadata.js';
import { checkTransform } from './transforms.js';

export type TableUpdate = { action: string; [field: string]: unknown };

/** Two refs are the same when every field is, whatever order their keys were read in. */
export function sameRef(a: SnapshotReference | undefined, b: SnapshotReference): boolean {
  return (
    a !== undefined &&
    a.type === b.type &&
    int64Equals(a['snapshot-id'], b['snapshot-id']) &&
    int64Equals(a['max-ref-age-ms'], b['max-ref-age-ms']) &&
    int64Equals(a['max-snapshot-age-ms'], b['max-snapshot-age-ms']) &&
    (a['min-snapshots-to-keep'] ?? undefined) === (b['min-snapshots-to-keep'] ?? undefined)
  );
}

/** Called for every location a commit sets; throws to refuse it. */
export type LocationCheck = (location: string) => unknown;

const LAST_ADDED = -1;

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
const isInt = (v: unknown) => typeof v === 'number' && Number.isInteger(v);
const isString = (v: unknown) => typeof v === 'string';
const isObject = (v: unknown) => v !== null && typeof v === 'object' && !Array.isArray(v);
const isArray = (v: unknown) => Array.isArray(v);

export class TableMetadataBuilder {
  private readonly m: TableMetadata;
  private readonly isNew: boolean;
  private lastAddedSchemaId: number | undefined;
  private lastAddedSpecId: number | undefined;
  private lastAddedOrderId: number | undefined;
  private readonly addedSnapshotIds = new Set<string>();
  private readonly removedSnapshotIds = new Set<string>();
  private changed = false;

  constructor(
    base: TableMetadata,
    private readonly now: number,
    private readonly checkLocation: LocationCheck,
    options: { isNew?: boolean } = {},
  ) {
    // A shallow copy per collection is enough: updates replace elements, never mutate them.
    this.m = {
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
    if (base['encryption-keys']) this.m['encryption-keys'] = [...base['encryption-keys']];
    this.isNew = options.isNew ?? false;
  }

  get hasChanges(): boolean {
    return this.changed;
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
        return this.addSchema(requireField<Schema>(update, 'schema', isObject, 'an object'), update['last-column-id']);
      case 'set-current-schema':
        return this.setCurrentSchema(requireField<number>(update, 'schema-id', isInt, 'an integer'));
      case 'add-spec':
        return this.addSpec(requireField<PartitionSpec>(update, 'spec', isObject, 'an object'));
      case 'set-default-spec':
        return this.setDefaultSpec(requireField<number>(update, 'spec-id', isInt, 'an integer'));
      case 'add-sort-order':
        return this.addSortOrder(requireField<SortOrder>(update, 'sort-order', isObject, 'an object'));
      case 'set-default-sort-order':
        return this.setDefaultSortOrder(requireField<number>(update, 'sort-order-id', isInt, 'an integer'));
      case 'add-snapshot':
        return this.addSnapshot(requireField<Snapshot>(update, 'snapshot', isObject, 'an object'));
      case 'set-snapshot-ref':
        return this.setRef(requireField<string>(update, 'ref-name', isString, 'a string'), update);
      case 'remove-snapshots':
        return this.removeSnapshots(requireField<Int64[]>(update, 'snapshot-ids', isArray, 'an array'));
      case 'remove-snapshot-ref':
        return this.removeRef(requireField<string>(update, 'ref-name', isString, 'a string'));
      case 'set-location':
        return this.setLocation(requireField<string>(update, 'location', isString, 'a string'));
      case 'set-properties':
        return this.setProperties((update.updates ?? update.updated) as Record<string, unknown>);
      case 'remove-properties':
        return this.removeProperties((update.removals ?? update.removed) as unknown[]);
      case 'set-statistics':
        return this.setStatistics(requireField<StatisticsFile>(update, 'statistics', isObject, 'an object'));
      case 'remove-statistics':
        return this.removeStatistics(requireField<Int64>(update, 'snapshot-id', isInt64, 'an integer'));
      case 'set-partition-statistics':
        return this.setPartitionStatistics(
          requireField<PartitionStatisticsFile>(update, 'partition-statistics', isObject, 'an object'),
        );
      case 'remove-partition-statistics':
        return this.removePartitionStatistics(requireField<Int64>(update, 'snapshot-id', isInt64, 'an integer'));
      case 'remove-partition-specs':
        return this.removeSpecs(requireField<number[]>(update, 'spec-ids', isArray, 'an array'));
      case 'remove-schemas':
        return this.removeSchemas(requireField<number[]>(update, 'schema-ids', isArray, 'an array'));
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
    if (this.isNew) this.completeNewTable();
    if (this.m.schemas.length === 0) throw badRequest('Invalid table metadata: a table needs a schema');
    if (!currentSchema(this.m)) throw badRequest(`Invalid table metadata: current schema ${this.m['current-schema-id']} does not exist`);
    if (this.m.location === '') throw badRequest('Invalid table metadata: location is not set');
    this.pruneSnapshotLog();
    if (this.changed && !this.lastUpdatedFromSnapshot) this.m['last-updated-ms'] = Math.max(this.now, Number(this.m['last-updated-ms']));
    return this.m;
  }

  private lastUpdatedFromSnapshot = false;

  private touch(): this {
    this.changed = true;
    return this;
  }

  // A create transaction may leave out the spec and sort order: the table is then unpartitioned and unsorted.
  private completeNewTable(): void {
    if (this.m['partition-specs'].length === 0) {
      this.m['partition-specs'].push({ 'spec-id': 0, fields: [] });
      this.m['default-spec-id'] = 0;
    }
    if (this.m['sort-orders'].length === 0) {
      this.m['sort-orders'].push({ 'order-id': 0, fields: [] });
      this.m['default-sort-order-id'] = 0;
    }
    if (this.m['format-version'] >= 3 && this.m['next-row-id'] === undefined) this.m['next-row-id'] = 0;
  }

  private assignUuid(uuid: string): this {
    if (uuid === this.m['table-uuid']) return this;
    if (!this.isNew) throw badRequest(`Cannot reassign uuid: ${this.m['table-uuid']} to ${uuid}`);
    this.m['table-uuid'] = uuid;
    return this.touch();
  }

  private upgradeFormatVersion(version: number): this {
    if (version > MAX_FORMAT_VERSION || version < 1) {
      throw badRequest(`Cannot upgrade table to unsupported format version: v${version} (supported: v${MAX_FORMAT_VERSION})`);
    }
    const current = this.m['format-version'];
    if (version === current) return this;
    // A new table starts from a placeholder version; the create transaction names the real one.
    if (version < current && !this.isNew) throw badRequest(`Cannot downgrade v${current} table to v${version}`);
    this.m['format-version'] = version as FormatVersion;
    if (version >= 3 && this.m['next-row-id'] === undefined) this.m['next-row-id'] = 0;
    if (version < 3) delete this.m['next-row-id'];
    return this.touch();
  }

  private addSchema(schema: Schema, lastColumnId: unknown): this {
    validateSchema(schema, this.m['format-version']);
    const newLastColumnId = Math.max(
      this.m['last-column-id'],
      highestFieldId(schema),
      typeof lastColumnId === 'number' ? lastColumnId : 0,
    );
    const existing = this.m.schemas.find((s) => sameSchemaStructure(s, schema));
    if (existing) {
      this.lastAddedSchemaId = existing['schema-id'];
      if (newLastColumnId !== this.m['last-column-id']) {
        this.m['last-column-id'] = newLastColumnId;
        this.touch();
      }
      return this;
    }
    const id = this.m.schemas.reduce((max, s) => Math.max(max, s['schema-id'] ?? 0), -1) + 1;
    const added: Schema = { ...schema, type: 'struct', 'schema-id': id };
    this.m.schemas.push(added);
    this.m['last-column-id'] = newLastColumnId;
    this.lastAddedSchemaId = id;
    return this.touch();
  }

  private setCurrentSchema(requested: number): this {
    const id = this.resolveLastAdded(requested, this.lastAddedSchemaId, 'schema');
    if (!this.m.schemas.some((s) => s['schema-id'] === id)) {
      throw badRequest(`Cannot set current schema to unknown schema: ${id}`);
    }
    if (id === this.m['current-schema-id']) return this;
    this.m['current-schema-id'] = id;
    return this.touch();
  }

  private resolveLastAdded(requested: number, lastAdded: number | undefined, what: string): number {
    if (requested !== LAST_ADDED) return requested;
    if (lastAdded === undefined) throw badRequest(`Cannot set last added ${what}: no ${what} has been added`);
    return lastAdded;
  }

  private addSpec(spec: PartitionSpec): this {
    if (!Array.isArray(spec.fields)) throw badRequest('Invalid partition spec: fields must be an array');
    const schema = currentSchema(this.m);
    const columns = schema ? indexFields(schema) : new Map();
    let lastPartitionId = this.m['last-partition-id'];
    const names = new Set<string>();
    const fields: PartitionField[] = spec.fields.map((field) => {
      if (typeof field.name !== 'string' || field.name === '') throw badRequest('Invalid partition field: name is required');
      if (names.has(field.name)) throw badRequest(`Invalid partition spec: duplicate field name ${field.name}`);
      names.add(field.name);
      const column = columns.get(field['source-id']);
      if (!column) throw badRequest(`Cannot find source column for partition field: ${field.name} (source id ${field['source-id']})`);
      checkTransform(field.transform, column.type, column.name);
      let fieldId = field['field-id'];
      if (fieldId === undefined) {
        // Reuse the id of the same field in an older spec, so data partitioned by it stays readable as one field.
        const previous = this.m['partition-specs']
          .flatMap((s) => s.fields)
          .find((f) => f['source-id'] === field['source-id'] && f.transform === field.transform && f.name === field.name);
        fieldId = previous?.['field-id'] ?? lastPartitionId + 1;
      }
      lastPartitionId = Math.max(lastPartitionId, fieldId);
      return { ...field, 'field-id': fieldId };
    });
    const sameFields = (a: PartitionField[], b: PartitionField[]) =>
      a.length === b.length &&
      a.every(
        (f, i) =>
          f['field-id'] === b[i]['field-id'] && f['source-id'] === b[i]['source-id'] && f.transform === b[i].transform && f.name === b[i].name,
      );
    const existing = this.m['partition-specs'].find((s) => sameFields(s.fields, fields));
    if (lastPartitionId !== this.m['last-partition-id']) {
      this.m['last-partition-id'] = lastPartitionId;
      this.touch();
    }
    if (existing) {
      this.lastAddedSpecId = existing['spec-id'];
      return this;
    }
    const id = this.m['partition-specs'].reduce((max, s) => Math.max(max, s['spec-id'] ?? 0), -1) + 1;
    this.m['partition-specs'].push({ 'spec-id': id, fields });
    this.lastAddedSpecId = id;
    return this.touch();
  }

  private setDefaultSpec(requested: number): this {
    const id = this.resolveLastAdded(requested, this.lastAddedSpecId, 'spec');
    if (!this.m['partition-specs'].some((s) => s['spec-id'] === id)) {
      throw badRequest(`Cannot set default partition spec to unknown spec: ${id}`);
    }
    if (id === this.m['default-spec-id']) return this;
    this.m['default-spec-id'] = id;
    return this.touch();
  }

  private addSortOrder(order: SortOrder): this {
    if (!Array.isArray(order.fields)) throw badRequest('Invalid sort order: fields must be an array');
    const schema = currentSchema(this.m);
    const columns = schema ? indexFields(schema) : new Map();
    for (const field of order.fields) {
      const column = columns.get(field['source-id']);
      if (!column) throw badRequest(`Cannot find source column for sort field: ${field['source-id']}`);
      checkTransform(field.transform, column.type, column.name);
      if (field.direction !== 'asc' && field.direction !== 'desc') throw badRequest(`Invalid sort direction: ${field.direction}`);
      if (field['null-order'] !== 'nulls-first' && field['null-order'] !== 'nulls-last') {
        throw badRequest(`Invalid null order: ${field['null-order']}`);
      }
    }
    const key = (fields: SortOrder['fields']) =>
      JSON.stringify(fields.map((f) => [f['source-id'], f.transform, f.direction, f['null-order']]));
    // The unsorted order always has id 0 (spec: "Sort Orders").
    const existing = order.fields.length === 0
      ? this.m['sort-orders'].find((o) => o.fields.length === 0)
      : this.m['sort-orders'].find((o) => key(o.fields) === key(order.fields));
    if (existing) {
      this.lastAddedOrderId = existing['order-id'];
      return this;
    }
    const id = order.fields.length === 0 ? 0 : this.m['sort-orders'].reduce((max, o) => Math.max(max, o['order-id']), 0) + 1;
    this.m['sort-orders'].push({ 'order-id': id, fields: order.fields });
    this.lastAddedOrderId = id;
    return this.touch();
  }

  private setDefaultSortOrder(requested: number): this {
    const id = this.resolveLastAdded(requested, this.lastAddedOrderId, 'sort order');
    if (!this.m['sort-orders'].some((o) => o['order-id'] === id)) {
      throw badRequest(`Cannot set default sort order to unknown sort order: ${id}`);
    }
    if (id === this.m['default-sort-order-id']) return this;
    this.m['default-sort-order-id'] = id;
    return this.touch();
  }

  private snapshotById(id: Int64): Snapshot | undefined {
    return this.m.snapshots.find((s) => int64Equals(s['snapshot-id'], id));
  }

  private addSnapshot(snapshot: Snapshot): this {
    const id = snapshot['snapshot-id'];
    if (!isInt64(id)) throw badRequest('Invalid snapshot: snapshot-id must be an integer');
    if (!isInt64(snapshot['timestamp-ms'])) throw badRequest('Invalid snapshot: timestamp-ms must be an integer');
    if (!isObject(snapshot.summary) || typeof snapshot.summary.operation !== 'string') {
      throw badRequest('Invalid snapshot: summary with an operation is required');
    }
    if (this.snapshotById(id)) throw badRequest(`Snapshot already exists for id: ${id}`);
    const version = this.m['format-version'];
    if (version >= 2 && typeof snapshot['manifest-list'] !== 'string') {
      throw badRequest(`Invalid snapshot ${id}: manifest-list is required in format v${version}`);
    }
    const sequenceNumber = snapshot['sequence-number'] ?? 0;
    if (version >= 2) {
      if (!isInt64(sequenceNumber)) throw badRequest('Invalid snapshot: sequence-number must be an integer');
      const parent = snapshot['parent-snapshot-id'];
      if (compareInt64(sequenceNumber, this.m['last-sequence-number']) <= 0 && parent !== null && parent !== undefined) {
        throw badRequest(
          `Cannot add snapshot with sequence number ${sequenceNumber} older than last sequence number ${this.m['last-sequence-number']}`,
        );
      }
    }
    if (version >= 3) {
      // Row lineage (spec v3: "Row Lineage"): each snapshot's rows get ids from the table's counter.
      const firstRowId = snapshot['first-row-id'];
      const addedRows = snapshot['added-rows'];
      if (!isInt64(firstRowId)) throw badRequest('Cannot add a snapshot: first-row-id is null');
      if (!isInt64(addedRows)) throw badRequest('Cannot add a snapshot: added-rows is null');
      const nextRowId = this.m['next-row-id'] ?? 0;
      if (compareInt64(firstRowId, nextRowId) < 0) {
        throw badRequest(`Cannot add a snapshot, first-row-id is behind table next-row-id: ${firstRowId} < ${nextRowId}`);
      }
      this.m['next-row-id'] = toInt64(BigInt(nextRowId) + BigInt(addedRows));
    }
    this.m.snapshots.push(snapshot);
    this.addedSnapshotIds.add(int64Key(id));
    if (version >= 2) this.m['last-sequence-number'] = sequenceNumber;
    this.m['last-updated-ms'] = snapshot['timestamp-ms'];
    this.lastUpdatedFromSnapshot = true;
    return this.touch();
  }

  private setRef(name: string, update: TableUpdate): this {
    const type = update.type;
    if (type !== 'branch' && type !== 'tag') throw badRequest(`Invalid ref ${name}: type must be branch or tag`);
    const snapshotId = update['snapshot-id'];
    if (!isInt64(snapshotId)) throw badRequest(`Invalid ref ${name}: snapshot-id must be an integer`);
    if (name === MAIN_BRANCH && type !== 'branch') throw badRequest('Cannot set main to a tag: main must be a branch');
    const ref: SnapshotReference = { type, 'snapshot-id': snapshotId };
    for (const field of ['max-ref-age-ms', 'max-snapshot-age-ms', 'min-snapshots-to-keep'] as const) {
      const value = update[field];
      if (value === undefined || value === null) continue;
      if (!isInt64(value) || BigInt(value) <= 0n) throw badRequest(`Invalid ref ${name}: ${field} must be a positive integer`);
      if (type === 'tag' && field !== 'max-ref-age-ms') throw badRequest(`Tags do not support setting ${field}`);
      (ref as unknown as Record<string, unknown>)[field] = value;
    }
    const snapshot = this.snapshotById(snapshotId);
    if (!snapshot) throw badRequest(`Cannot set ${name} to unknown snapshot: ${snapshotId}`);
    if (sameRef(this.m.refs[name], ref)) return this;
    this.m.refs[name] = ref;
    if (name === MAIN_BRANCH && !int64Equals(this.m['current-snapshot-id'], snapshotId)) {
      this.m['current-snapshot-id'] = snapshotId;
      // A snapshot committed in this change is current from its own timestamp; an older
      // one (a rollback) becomes current now.
      const at = this.addedSnapshotIds.has(int64Key(snapshotId)) ? snapshot['timestamp-ms'] : this.now;
      this.m['snapshot-log'].push({ 'snapshot-id': snapshotId, 'timestamp-ms': at });
      if (!this.addedSnapshotIds.has(int64Key(snapshotId))) {
        this.m['last-updated-ms'] = this.now;
        this.lastUpdatedFromSnapshot = true;
      }
    }
    return this.touch();
  }

  private removeSnapshots(ids: Int64[]): this {
    const toRemove = new Set(ids.map((id) => {
      if (!isInt64(id)) throw badRequest('Invalid remove-snapshots update: snapshot ids must be integers');
      return int64Key(id);
    }));
    const before = this.m.snapshots.length;
    this.m.snapshots = this.m.snapshots.filter((s) => !toRemove.has(int64Key(s['snapshot-id'])));
    if (this.m.snapshots.length === before) return this;
    for (const id of toRemove) this.removedSnapshotIds.add(id);
    this.m.statistics = this.m.statistics.filter((s) => !toRemove.has(int64Key(s['snapshot-id'])));
    this.m['partition-statistics'] = this.m['partition-statistics'].filter((s) => !toRemove.has(int64Key(s['snapshot-id'])));
    for (const [name, ref] of Object.entries(this.m.refs)) {
      if (toRemove.has(int64Key(ref['snapshot-id']))) this.removeRef(name);
    }
    return this.touch();
  }

  private removeRef(name: string): this {
    if (!this.m.refs[name]) return this;
    delete this.m.refs[name];
    if (name === MAIN_BRANCH) this.m['current-snapshot-id'] = null;
    return this.touch();
  }

  /** History is only kept back to the newest entry whose snapshot was removed (it can no longer be replayed past it). */
  private pruneSnapshotLog(): void {
    if (this.removedSnapshotIds.size === 0) return;
    const log = this.m['snapshot-log'];
    let start = 0;
    log.forEach((entry, i) => {
      if (this.removedSnapshotIds.has(int64Key(entry['snapshot-id']))) start = i + 1;
    });
    this.m['snapshot-log'] = log.slice(start);
  }

  private setLocation(location: string): this {
    // The metadata keeps the location as the client wrote it (engines compare it with what
    // they asked for); the catalog's own checks work on the normalised form.
    const given = location.trim().replace(/\/+$/, '');
    if (given === this.m.location) return this;
    this.checkLocation(given);
    this.m.location = given;
    return this.touch();
  }

  private setProperties(updates: Record<string, unknown>): this {
    if (!isObject(updates)) throw badRequest('Invalid set-properties update: updates must be an object');
    for (const [key, value] of Object.entries(updates)) {
      if (typeof value !== 'string') throw badRequest(`Invalid set-properties update: value of ${key} must be a string`);
      if (!Object.hasOwn(this.m.properties, key) || this.m.properties[key] !== value) {
        // defineProperty, not assignment: a key such as __proto__ must be stored like any other.
        Object.defineProperty(this.m.properties, key, { value, enumerable: true, writable: true, configurable: true });
        this.touch();
      }
    }
    return this;
  }

  private removeProperties(removals: unknown[]): this {
    if (!Array.isArray(removals)) throw badRequest('Invalid remove-properties update: removals must be an array');
    for (const key of removals) {
      if (typeof key !== 'string') throw badRequest('Invalid remove-properties update: keys must be strings');
      if (Object.hasOwn(this.m.properties, key)) {
        delete this.m.properties[key];
        this.touch();
      }
    }
    return this;
  }

  private setStatistics(statistics: StatisticsFile): this {
    if (!isInt64(statistics['snapshot-id']) || typeof statistics['statistics-path'] !== 'string') {
      throw badRequest('Invalid statistics file: snapshot-id and statistics-path are required');
    }
    this.m.statistics = this.m.statistics.filter((s) => !int64Equals(s['snapshot-id'], statistics['snapshot-id']));
    this.m.statistics.push(statistics);
    return this.touch();
  }

  private removeStatistics(snapshotId: Int64): this {
    const before = this.m.statistics.length;
    this.m.statistics = this.m.statistics.filter((s) => !int64Equals(s['snapshot-id'], snapshotId));
    return this.m.statistics.length === before ? this : this.touch();
  }

  private setPartitionStatistics(file: PartitionStatisticsFile): this {
    if (!isInt64(file['snapshot-id']) || typeof file['statistics-path'] !== 'string') {
      throw badRequest('Invalid partition statistics file: snapshot-id and statistics-path are required');
    }
    const list = this.m['partition-statistics'].filter((s) => !int64Equals(s['snapshot-id'], file['snapshot-id']));
    this.m['partition-statistics'] = [...list, file];
    return this.touch();
  }

  private removePartitionStatistics(snapshotId: Int64): this {
    const before = this.m['partition-statistics'].length;
    this.m['partition-statistics'] = this.m['partition-statistics'].filter((s) => !int64Equals(s['snapshot-id'], snapshotId));
    return this.m['partition-statistics'].length === before ? this : this.touch();
  }

  private removeSpecs(ids: number[]): this {
    if (ids.includes(this.m['default-spec-id'])) throw badRequest('Cannot remove the default partition spec');
    const before = this.m['partition-specs'].length;
    this.m['partition-specs'] = this.m['partition-specs'].filter((s) => !ids.includes(s['spec-id'] ?? -1));
    return this.m['partition-specs'].length === before ? this : this.touch();
  }

  private removeSchemas(ids: number[]): this {
    if (ids.includes(this.m['current-schema-id'])) throw badRequest('Cannot remove current schema');
    const before = this.m.schemas.length;
    this.m.schemas = this.m.schemas.filter((s) => !ids.includes(s['schema-id'] ?? -1));
    return this.m.schemas.length === before ? this : this.touch();
  }

  private addEncryptionKey(key: EncryptedKey): this {
    if (typeof key['key-id'] !== 'string' || typeof key['encrypted-key-metadata'] !== 'string') {
      throw badRequest('Invalid encryption key: key-id and encrypted-key-metadata are required');
    }
    const keys = (this.m['encryption-keys'] ?? []).filter((k) => k['key-id'] !== key['key-id']);
    this.m['encryption-keys'] = [...keys, key];
    return this.touch();
  }

  private removeEncryptionKey(keyId: string): this {
    const keys = this.m['encryption-keys'] ?? [];
    if (!keys.some((k) => k['key-id'] === keyId)) return this;
    this.m['encryption-keys'] = keys.filter((k) => k['key-id'] !== keyId);
    return this.touch();
  }
}

/** Records the metadata file being replaced in the new metadata's log, trimmed to the table's limit. */
export function appendMetadataLog(metadata: TableMetadata, previousFile: string, previousUpdatedMs: Int64): void {
  const max = Number(metadata.properties['write.metadata.previous-versions-max'] ?? '100');
  const log = [...metadata['metadata-log'], { 'metadata-file': previousFile, 'timestamp-ms': previousUpdatedMs }];
  metadata['metadata-log'] = Number.isFinite(max) && max >= 0 ? log.slice(Math.max(0, log.length - max)) : log;
}
