import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { decideRetention } from '../../../src/gc/snapshot-retention.js';
import type { Snapshot, SnapshotReference, TableMetadata } from '../../../src/iceberg/table-metadata.js';
import { baseMetadata } from '../iceberg/fixtures.js';

const DAY = 24 * 60 * 60 * 1000;
const NOW = 100 * DAY;

/** A chain of snapshots 1..n on main, snapshot i taken `ages[i-1]` days ago. */
function table(ages: number[], options: { refs?: Record<string, SnapshotReference>; properties?: Record<string, string>; extra?: Snapshot[] } = {}): TableMetadata {
  const snapshots: Snapshot[] = ages.map((days, i) => ({
    'snapshot-id': i + 1,
    ...(i > 0 ? { 'parent-snapshot-id': i } : {}),
    'sequence-number': i + 1,
    'timestamp-ms': NOW - days * DAY,
    'manifest-list': `s3://b/t/metadata/snap-${i + 1}.avro`,
    summary: { operation: 'append' },
  }));
  return {
    ...baseMetadata(),
    properties: options.properties ?? {},
    snapshots: [...snapshots, ...(options.extra ?? [])],
    refs: { main: { type: 'branch', 'snapshot-id': ages.length }, ...(options.refs ?? {}) },
    'current-snapshot-id': ages.length,
  };
}

const ids = (decision: { expiredSnapshotIds: (number | bigint)[] }) => decision.expiredSnapshotIds.map(Number).sort((a, b) => a - b);

describe('decideRetention', () => {
  it('keeps main\'s head and ancestors younger than 5 days by default, expires older ones', () => {
    const decision = decideRetention(table([9, 7, 4, 1]), NOW);
    assert.deepEqual(ids(decision), [1, 2]);
    assert.deepEqual(decision.expiredRefs, []);
  });

  it('never expires the head of main, however old', () => {
    assert.deepEqual(ids(decideRetention(table([30]), NOW)), []);
    assert.deepEqual(ids(decideRetention(table([40, 30]), NOW)), [1]);
  });

  it('honours min-snapshots-to-keep and max-snapshot-age from table properties', () => {
    const properties = { 'history.expire.min-snapshots-to-keep': '3', 'history.expire.max-snapshot-age-ms': String(2 * DAY) };
    assert.deepEqual(ids(decideRetention(table([9, 8, 7, 6, 1], { properties }), NOW)), [1, 2]);
  });

  it('lets branch retention fields override the table', () => {
    const t = table([9, 8, 7, 1], { refs: { main: { type: 'branch', 'snapshot-id': 4, 'min-snapshots-to-keep': 4 } } });
    assert.deepEqual(ids(decideRetention(t, NOW)), []);
  });

  it('a tag keeps its snapshot; an aged-out tag goes, and its snapshot with it', () => {
    const tagged = table([9, 7, 1], { refs: { keep: { type: 'tag', 'snapshot-id': 1 } } });
    assert.deepEqual(ids(decideRetention(tagged, NOW)), [2]);
    const aged = table([9, 7, 1], { refs: { old: { type: 'tag', 'snapshot-id': 1, 'max-ref-age-ms': 3 * DAY } } });
    const decision = decideRetention(aged, NOW);
    assert.deepEqual(decision.expiredRefs, ['old']);
    assert.deepEqual(ids(decision), [1, 2]);
  });

  it('never expires main through max-ref-age', () => {
    const t = table([30], { properties: { 'history.expire.max-ref-age-ms': String(DAY) } });
    assert.deepEqual(decideRetention(t, NOW), { expiredSnapshotIds: [], expiredRefs: [] });
  });

  it('a snapshot no ref reaches goes only once older than the max age', () => {
    const orphanOld: Snapshot = { 'snapshot-id': 50, 'timestamp-ms': NOW - 9 * DAY, 'manifest-list': 'x', summary: { operation: 'append' } };
    const orphanNew: Snapshot = { 'snapshot-id': 51, 'timestamp-ms': NOW - DAY, 'manifest-list': 'y', summary: { operation: 'append' } };
    assert.deepEqual(ids(decideRetention(table([1], { extra: [orphanOld, orphanNew] }), NOW)), [50]);
  });

  it('a second branch keeps its own history', () => {
    const branchHead: Snapshot = { 'snapshot-id': 60, 'parent-snapshot-id': 1, 'timestamp-ms': NOW - 8 * DAY, 'manifest-list': 'z', summary: { operation: 'append' } };
    const t = table([9, 1], { refs: { dev: { type: 'branch', 'snapshot-id': 60, 'min-snapshots-to-keep': 2 } }, extra: [branchHead] });
    assert.deepEqual(ids(decideRetention(t, NOW)), [], 'snapshot 1 is the dev branch\'s second snapshot');
  });
});
