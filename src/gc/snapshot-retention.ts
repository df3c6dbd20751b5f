// Which snapshots and refs a table's retention settings let go (pure). The rules are
// Iceberg's (spec: "Snapshot Retention Policy"; table properties history.expire.*):
//
// - a ref other than main whose snapshot is older than its max-ref-age-ms is removed;
// - each branch keeps its head, its last min-snapshots-to-keep ancestors, and the ancestors
//   younger than max-snapshot-age-ms; a tag keeps the snapshot it names;
// - a snapshot no ref keeps is removed once it is older than the table's max-snapshot-age-ms.
//
// Branch-level retention fields override the table's properties.
import { MAIN_BRANCH, type Snapshot, type TableMetadata } from '../iceberg/table-metadata.js';
import { int64Key, type Int64 } from '../json/int64-json.js';

export const RETENTION_DEFAULTS = {
  maxSnapshotAgeMs: 5 * 24 * 60 * 60 * 1000,
  minSnapshotsToKeep: 1,
  maxRefAgeMs: Number.POSITIVE_INFINITY,
};

export interface RetentionDecision {
  expiredSnapshotIds: Int64[];
  expiredRefs: string[];
}

function numberProperty(properties: Record<string, string>, key: string, fallback: number): number {
  const value = properties[key];
  if (value === undefined) return fallback;
  const parsed = Number(value);
  return Number.isFinite(parsed) && parsed >= 0 ? parsed : fallback;
}

export function decideRetention(metadata: TableMetadata, now: number): RetentionDecision {
  const props = metadata.properties;
  const maxSnapshotAgeMs = numberProperty(props, 'history.expire.max-snapshot-age-ms', RETENTION_DEFAULTS.maxSnapshotAgeMs);
  const minSnapshotsToKeep = numberProperty(props, 'history.expire.min-snapshots-to-keep', RETENTION_DEFAULTS.minSnapshotsToKeep);
  const maxRefAgeMs = numberProperty(props, 'history.expire.max-ref-age-ms', RETENTION_DEFAULTS.maxRefAgeMs);

  const byId = new Map(metadata.snapshots.map((s) => [int64Key(s['snapshot-id']), s]));
  const age = (s: Snapshot) => now - Number(s['timestamp-ms']);

  const expiredRefs: string[] = [];
  const retained = new Set<string>();
  for (const [name, ref] of Object.entries(metadata.refs)) {
    const head = byId.get(int64Key(ref['snapshot-id']));
    const refMaxAge = ref['max-ref-age-ms'] !== undefined ? Number(ref['max-ref-age-ms']) : maxRefAgeMs;
    if (name !== MAIN_BRANCH && head && age(head) > refMaxAge) {
      expiredRefs.push(name);
      continue;
    }
    if (!head) continue;
    retained.add(int64Key(head['snapshot-id']));
    if (ref.type === 'tag') continue;
    const keepCount = ref['min-snapshots-to-keep'] ?? minSnapshotsToKeep;
    const keepAge = ref['max-snapshot-age-ms'] !== undefined ? Number(ref['max-snapshot-age-ms']) : maxSnapshotAgeMs;
    let kept = 1;
    let parentId = head['parent-snapshot-id'];
    while (parentId !== undefined && parentId !== null) {
      const parent = byId.get(int64Key(parentId));
      if (!parent) break;
      if (kept >= keepCount && age(parent) > keepAge) break;
      retained.add(int64Key(parent['snapshot-id']));
      kept += 1;
      parentId = parent['parent-snapshot-id'];
    }
  }

  const keptByRefs = new Set(
    Object.entries(metadata.refs)
      .filter(([name]) => !expiredRefs.includes(name))
      .map(([, ref]) => int64Key(ref['snapshot-id'])),
  );
  const expiredSnapshotIds = metadata.snapshots
    .filter((s) => {
      const key = int64Key(s['snapshot-id']);
      if (retained.has(key) || keptByRefs.has(key)) return false;
      // A snapshot on some branch's history but beyond its retention goes; one that no ref
      // reaches goes once it is older than the table's max age.
      return isOnBranchHistory(metadata, byId, key, expiredRefs) || age(s) > maxSnapshotAgeMs;
    })
    .map((s) => s['snapshot-id']);
  return { expiredSnapshotIds, expiredRefs };
}

/** Whether a live branch (not one being expired) has the snapshot in its ancestry. */
function isOnBranchHistory(metadata: TableMetadata, byId: Map<string, Snapshot>, key: string, expiredRefs: string[]): boolean {
  for (const [name, ref] of Object.entries(metadata.refs)) {
    if (ref.type !== 'branch' || expiredRefs.includes(name)) continue;
    let current = byId.get(int64Key(ref['snapshot-id']));
    while (current) {
      if (int64Key(current['snapshot-id']) === key) return true;
      const parent = current['parent-snapshot-id'];
      current = parent === undefined || parent === null ? undefined : byId.get(int64Key(parent));
    }
  }
  return false;
}
