// Snapshot, ref and statistics updates (spec: add-snapshot, set-snapshot-ref,
// remove-snapshots, remove-snapshot-ref, set/remove-statistics,
// set/remove-partition-statistics), and the snapshot-log pruning that follows removals.
import { compareInt64, int64Equals, int64Key, isInt64, toInt64, type Int64 } from '../json/int64-json.js';
import { isObject, touch, type BuilderState } from './builder-state.js';
import { badRequest } from './errors.js';
import {
  MAIN_BRANCH,
  type PartitionStatisticsFile,
  type Snapshot,
  type SnapshotReference,
  type StatisticsFile,
} from './table-metadata.js';
import type { TableUpdate } from './metadata-builder.js';

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

export function snapshotById(state: BuilderState, id: Int64): Snapshot | undefined {
  return state.m.snapshots.find((s) => int64Equals(s['snapshot-id'], id));
}

export function addSnapshot(state: BuilderState, snapshot: Snapshot): void {
  const id = snapshot['snapshot-id'];
  if (!isInt64(id)) throw badRequest('Invalid snapshot: snapshot-id must be an integer');
  if (!isInt64(snapshot['timestamp-ms'])) throw badRequest('Invalid snapshot: timestamp-ms must be an integer');
  if (!isObject(snapshot.summary) || typeof snapshot.summary.operation !== 'string') {
    throw badRequest('Invalid snapshot: summary with an operation is required');
  }
  if (snapshotById(state, id)) throw badRequest(`Snapshot already exists for id: ${id}`);
  const version = state.m['format-version'];
  if (version >= 2 && typeof snapshot['manifest-list'] !== 'string') {
    throw badRequest(`Invalid snapshot ${id}: manifest-list is required in format v${version}`);
  }
  const sequenceNumber = snapshot['sequence-number'] ?? 0;
  if (version >= 2) {
    if (!isInt64(sequenceNumber)) throw badRequest('Invalid snapshot: sequence-number must be an integer');
    const parent = snapshot['parent-snapshot-id'];
    if (compareInt64(sequenceNumber, state.m['last-sequence-number']) <= 0 && parent !== null && parent !== undefined) {
      throw badRequest(
        `Cannot add snapshot with sequence number ${sequenceNumber} older than last sequence number ${state.m['last-sequence-number']}`,
      );
    }
  }
  if (version >= 3) {
    // Row lineage (spec v3: "Row Lineage"): each snapshot's rows get ids from the table's counter.
    const firstRowId = snapshot['first-row-id'];
    const addedRows = snapshot['added-rows'];
    if (!isInt64(firstRowId)) throw badRequest('Cannot add a snapshot: first-row-id is null');
    if (!isInt64(addedRows)) throw badRequest('Cannot add a snapshot: added-rows is null');
    const nextRowId = state.m['next-row-id'] ?? 0;
    if (compareInt64(firstRowId, nextRowId) < 0) {
      throw badRequest(`Cannot add a snapshot, first-row-id is behind table next-row-id: ${firstRowId} < ${nextRowId}`);
    }
    state.m['next-row-id'] = toInt64(BigInt(nextRowId) + BigInt(addedRows));
  }
  state.m.snapshots.push(snapshot);
  state.addedSnapshotIds.add(int64Key(id));
  if (version >= 2) state.m['last-sequence-number'] = sequenceNumber;
  state.m['last-updated-ms'] = snapshot['timestamp-ms'];
  state.lastUpdatedFromSnapshot = true;
  return touch(state);
}

export function setRef(state: BuilderState, name: string, update: TableUpdate): void {
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
  const snapshot = snapshotById(state, snapshotId);
  if (!snapshot) throw badRequest(`Cannot set ${name} to unknown snapshot: ${snapshotId}`);
  if (sameRef(state.m.refs[name], ref)) return;
  state.m.refs[name] = ref;
  if (name === MAIN_BRANCH && !int64Equals(state.m['current-snapshot-id'], snapshotId)) {
    state.m['current-snapshot-id'] = snapshotId;
    // A snapshot committed in this change is current from its own timestamp; an older
    // one (a rollback) becomes current now.
    const at = state.addedSnapshotIds.has(int64Key(snapshotId)) ? snapshot['timestamp-ms'] : state.now;
    state.m['snapshot-log'].push({ 'snapshot-id': snapshotId, 'timestamp-ms': at });
    if (!state.addedSnapshotIds.has(int64Key(snapshotId))) {
      state.m['last-updated-ms'] = state.now;
      state.lastUpdatedFromSnapshot = true;
    }
  }
  return touch(state);
}

export function removeSnapshots(state: BuilderState, ids: Int64[]): void {
  const toRemove = new Set(ids.map((id) => {
    if (!isInt64(id)) throw badRequest('Invalid remove-snapshots update: snapshot ids must be integers');
    return int64Key(id);
  }));
  const before = state.m.snapshots.length;
  state.m.snapshots = state.m.snapshots.filter((s) => !toRemove.has(int64Key(s['snapshot-id'])));
  if (state.m.snapshots.length === before) return;
  for (const id of toRemove) state.removedSnapshotIds.add(id);
  state.m.statistics = state.m.statistics.filter((s) => !toRemove.has(int64Key(s['snapshot-id'])));
  state.m['partition-statistics'] = state.m['partition-statistics'].filter((s) => !toRemove.has(int64Key(s['snapshot-id'])));
  for (const [name, ref] of Object.entries(state.m.refs)) {
    if (toRemove.has(int64Key(ref['snapshot-id']))) removeRef(state, name);
  }
  return touch(state);
}

export function removeRef(state: BuilderState, name: string): void {
  if (!state.m.refs[name]) return;
  delete state.m.refs[name];
  if (name === MAIN_BRANCH) state.m['current-snapshot-id'] = null;
  return touch(state);
}

/** History is only kept back to the newest entry whose snapshot was removed (it can no longer be replayed past it). */
export function pruneSnapshotLog(state: BuilderState): void {
  if (state.removedSnapshotIds.size === 0) return;
  const log = state.m['snapshot-log'];
  let start = 0;
  log.forEach((entry, i) => {
    if (state.removedSnapshotIds.has(int64Key(entry['snapshot-id']))) start = i + 1;
  });
  state.m['snapshot-log'] = log.slice(start);
}

export function setStatistics(state: BuilderState, statistics: StatisticsFile): void {
  if (!isInt64(statistics['snapshot-id']) || typeof statistics['statistics-path'] !== 'string') {
    throw badRequest('Invalid statistics file: snapshot-id and statistics-path are required');
  }
  state.m.statistics = state.m.statistics.filter((s) => !int64Equals(s['snapshot-id'], statistics['snapshot-id']));
  state.m.statistics.push(statistics);
  return touch(state);
}

export function removeStatistics(state: BuilderState, snapshotId: Int64): void {
  const before = state.m.statistics.length;
  state.m.statistics = state.m.statistics.filter((s) => !int64Equals(s['snapshot-id'], snapshotId));
  return state.m.statistics.length === before ? undefined : touch(state);
}

export function setPartitionStatistics(state: BuilderState, file: PartitionStatisticsFile): void {
  if (!isInt64(file['snapshot-id']) || typeof file['statistics-path'] !== 'string') {
    throw badRequest('Invalid partition statistics file: snapshot-id and statistics-path are required');
  }
  const list = state.m['partition-statistics'].filter((s) => !int64Equals(s['snapshot-id'], file['snapshot-id']));
  state.m['partition-statistics'] = [...list, file];
  return touch(state);
}

export function removePartitionStatistics(state: BuilderState, snapshotId: Int64): void {
  const before = state.m['partition-statistics'].length;
  state.m['partition-statistics'] = state.m['partition-statistics'].filter((s) => !int64Equals(s['snapshot-id'], snapshotId));
  return state.m['partition-statistics'].length === before ? undefined : touch(state);
}
