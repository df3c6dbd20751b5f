// Which snapshot a clone starts from: the head of a branch (main by default), a tag, a
// snapshot id, or a moment in time (the snapshot that was current on main then, read from
// the snapshot log, as Iceberg's own time travel does).
import { badRequest, notFound } from '../iceberg/errors.js';
import { MAIN_BRANCH, type Snapshot, type TableMetadata } from '../iceberg/table-metadata.js';
import { int64Equals, type Int64 } from '../json/int64-json.js';

export interface ClonePoint {
  branch?: string;
  tag?: string;
  'snapshot-id'?: Int64;
  'timestamp-ms'?: number;
}

/** The snapshot the point names, or null for the head of a branch-less (empty) table. */
export function resolveClonePoint(metadata: TableMetadata, point: ClonePoint, now: number, tableName: string): Snapshot | null {
  const given = (['branch', 'tag', 'snapshot-id', 'timestamp-ms'] as const).filter((k) => point[k] !== undefined);
  if (given.length > 1) throw badRequest(`Choose one of branch, tag, snapshot-id or timestamp-ms, not ${given.join(' and ')}`);
  const byId = (id: Int64) => metadata.snapshots.find((s) => int64Equals(s['snapshot-id'], id));

  if (point['snapshot-id'] !== undefined) {
    const snapshot = byId(point['snapshot-id']);
    if (!snapshot) throw notFound(`Snapshot ${point['snapshot-id']} does not exist in table ${tableName}`);
    return snapshot;
  }
  if (point.tag !== undefined || point.branch !== undefined) {
    const name = (point.tag ?? point.branch)!;
    const ref = metadata.refs[name];
    const kind = point.tag !== undefined ? 'tag' : 'branch';
    if (!ref || ref.type !== kind) throw notFound(`Table ${tableName} has no ${kind} ${name}`);
    return byId(ref['snapshot-id']) ?? null;
  }
  if (point['timestamp-ms'] !== undefined) {
    const at = point['timestamp-ms'];
    if (at > now) throw badRequest(`Timestamp ${at} is in the future`);
    const log = metadata['snapshot-log'];
    let current: Int64 | undefined;
    for (const entry of log) {
      if (Number(entry['timestamp-ms']) <= at) current = entry['snapshot-id'];
    }
    if (current === undefined) {
      const first = log[0]?.['timestamp-ms'];
      throw badRequest(
        first === undefined
          ? `Table ${tableName} has no snapshot history`
          : `Timestamp ${at} is before the first snapshot of table ${tableName} (${first})`,
      );
    }
    const snapshot = byId(current);
    if (!snapshot) throw badRequest(`The snapshot current at ${at} (${current}) has expired from table ${tableName}`);
    return snapshot;
  }
  const main = metadata.refs[MAIN_BRANCH];
  return main ? (byId(main['snapshot-id']) ?? null) : null;
}
