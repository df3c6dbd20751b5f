// TableMetadataBuilder: add-snapshot, set-snapshot-ref, remove-snapshots, remove-snapshot-ref.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { CREATED, NOW, assertCatalogError, baseMetadata, builderFor, metadataWithHistory, snapshot, v3Metadata } from './fixtures.js';

const BIG = 5727062988848725086n;

describe('add-snapshot (v2)', () => {
  it('adds the snapshot, raises last-sequence-number and takes last-updated-ms from it', () => {
    const s = snapshot(10, { seq: 1, ts: CREATED + 500 });
    const m = builderFor().apply({ action: 'add-snapshot', snapshot: s }).build();
    assert.deepEqual(m.snapshots, [s]);
    assert.equal(m['last-sequence-number'], 1);
    assert.equal(m['last-updated-ms'], CREATED + 500);
    assert.equal(m['current-snapshot-id'], null, 'adding a snapshot alone does not make it current');
  });
  it('accepts a bigint snapshot id and refuses the same id again (number or bigint)', () => {
    const b = builderFor().apply({ action: 'add-snapshot', snapshot: snapshot(BIG, { seq: 1 }) });
    assertCatalogError(() => b.apply({ action: 'add-snapshot', snapshot: snapshot(BIG, { seq: 2 }) }), 400, {
      message: `Snapshot already exists for id: ${BIG}`,
    });
    const withFive = builderFor(metadataWithHistory());
    assertCatalogError(() => withFive.apply({ action: 'add-snapshot', snapshot: snapshot(3n, { seq: 4, parent: 3 }) }), 400, {
      message: /already exists/,
    });
  });
  it('refuses a sequence number not above the last one when the snapshot has a parent', () => {
    for (const seq of [3, 2]) {
      assertCatalogError(
        () => builderFor(metadataWithHistory()).apply({ action: 'add-snapshot', snapshot: snapshot(4, { seq, parent: 3 }) }),
        400,
        { message: new RegExp(`sequence number ${seq} older than last sequence number 3`) },
      );
    }
    const m = builderFor(metadataWithHistory()).apply({ action: 'add-snapshot', snapshot: snapshot(4, { seq: 4, parent: 3 }) }).build();
    assert.equal(m['last-sequence-number'], 4);
  });
  it('allows an old sequence number for a snapshot without a parent', () => {
    const m = builderFor(metadataWithHistory()).apply({ action: 'add-snapshot', snapshot: snapshot(4, { seq: 3, parent: null }) }).build();
    assert.equal(m.snapshots.length, 4);
  });
  it('requires manifest-list in v2, an integer id and timestamp, and a summary operation', () => {
    const { 'manifest-list': _, ...noList } = snapshot(5, { seq: 1 });
    assertCatalogError(() => builderFor().apply({ action: 'add-snapshot', snapshot: noList }), 400, { message: /manifest-list is required/ });
    assertCatalogError(() => builderFor().apply({ action: 'add-snapshot', snapshot: { ...snapshot(5), 'snapshot-id': '5' } }), 400);
    assertCatalogError(() => builderFor().apply({ action: 'add-snapshot', snapshot: { ...snapshot(5), 'timestamp-ms': 1.5 } }), 400);
    assertCatalogError(() => builderFor().apply({ action: 'add-snapshot', snapshot: { ...snapshot(5), summary: {} } }), 400, { message: /operation/ });
    assertCatalogError(() => builderFor().apply({ action: 'add-snapshot', snapshot: { ...snapshot(5), 'sequence-number': 'x' } }), 400);
    assertCatalogError(() => builderFor().apply({ action: 'add-snapshot', snapshot: null }), 400);
  });
  it('v1 tables do not need a manifest list and keep last-sequence-number', () => {
    const { 'manifest-list': _, ...noList } = snapshot(5);
    const m = builderFor(baseMetadata({ 'format-version': 1 })).apply({ action: 'add-snapshot', snapshot: { ...noList, manifests: ['m1.avro'] } }).build();
    assert.equal(m.snapshots.length, 1);
    assert.equal(m['last-sequence-number'], 0);
  });
});

describe('add-snapshot (v3 row lineage)', () => {
  it('advances next-row-id by added-rows', () => {
    const b = builderFor(v3Metadata({ 'next-row-id': 100 }));
    b.apply({ action: 'add-snapshot', snapshot: snapshot(1, { seq: 1, firstRowId: 100, addedRows: 25 }) });
    b.apply({ action: 'add-snapshot', snapshot: snapshot(2, { seq: 2, parent: 1, firstRowId: 125, addedRows: 5 }) });
    assert.equal(b.build()['next-row-id'], 130);
  });
  it('accepts a first-row-id ahead of next-row-id', () => {
    const m = builderFor(v3Metadata({ 'next-row-id': 10 })).apply({ action: 'add-snapshot', snapshot: snapshot(1, { seq: 1, firstRowId: 50, addedRows: 5 }) }).build();
    assert.equal(m['next-row-id'], 15);
  });
  it('refuses a first-row-id behind next-row-id', () => {
    assertCatalogError(
      () => builderFor(v3Metadata({ 'next-row-id': 100 })).apply({ action: 'add-snapshot', snapshot: snapshot(1, { seq: 1, firstRowId: 99, addedRows: 1 }) }),
      400,
      { message: 'Cannot add a snapshot, first-row-id is behind table next-row-id: 99 < 100' },
    );
  });
  it('requires first-row-id and added-rows', () => {
    assertCatalogError(() => builderFor(v3Metadata()).apply({ action: 'add-snapshot', snapshot: snapshot(1, { seq: 1, addedRows: 1 }) }), 400, {
      message: /first-row-id is null/,
    });
    assertCatalogError(() => builderFor(v3Metadata()).apply({ action: 'add-snapshot', snapshot: snapshot(1, { seq: 1, firstRowId: 0 }) }), 400, {
      message: /added-rows is null/,
    });
  });
});

describe('set-snapshot-ref', () => {
  it('main: sets current-snapshot-id and logs the snapshot at its own timestamp when added in the same commit', () => {
    const s = snapshot(4, { seq: 4, parent: 3, ts: CREATED + 4000 });
    const m = builderFor(metadataWithHistory())
      .apply({ action: 'add-snapshot', snapshot: s })
      .apply({ action: 'set-snapshot-ref', 'ref-name': 'main', type: 'branch', 'snapshot-id': 4 })
      .build();
    assert.equal(m['current-snapshot-id'], 4);
    assert.deepEqual(m.refs.main, { type: 'branch', 'snapshot-id': 4 });
    assert.deepEqual(m['snapshot-log'].at(-1), { 'snapshot-id': 4, 'timestamp-ms': CREATED + 4000 });
    assert.equal(m['snapshot-log'].length, 4);
    assert.equal(m['last-updated-ms'], CREATED + 4000);
  });
  it('main: a rollback to an older snapshot is logged now', () => {
    const m = builderFor(metadataWithHistory()).apply({ action: 'set-snapshot-ref', 'ref-name': 'main', type: 'branch', 'snapshot-id': 1 }).build();
    assert.equal(m['current-snapshot-id'], 1);
    assert.deepEqual(m['snapshot-log'].at(-1), { 'snapshot-id': 1, 'timestamp-ms': NOW });
    assert.equal(m['last-updated-ms'], NOW);
  });
  it('an identical ref is a no-op (also for a bigint id matching a number)', () => {
    const b = builderFor(metadataWithHistory())
      .apply({ action: 'set-snapshot-ref', 'ref-name': 'main', type: 'branch', 'snapshot-id': 3n })
      .apply({ action: 'set-snapshot-ref', 'ref-name': 't1', type: 'tag', 'snapshot-id': 1 });
    assert.equal(b.hasChanges, false);
    assert.equal(b.build()['snapshot-log'].length, 3);
  });
  it('branches and tags do not touch current-snapshot-id or the snapshot log', () => {
    const m = builderFor(metadataWithHistory())
      .apply({ action: 'set-snapshot-ref', 'ref-name': 'dev', type: 'branch', 'snapshot-id': 2, 'max-ref-age-ms': 1000, 'max-snapshot-age-ms': 2000, 'min-snapshots-to-keep': 3 })
      .apply({ action: 'set-snapshot-ref', 'ref-name': 'v1', type: 'tag', 'snapshot-id': 1, 'max-ref-age-ms': 5000 })
      .build();
    assert.equal(m['current-snapshot-id'], 3);
    assert.equal(m['snapshot-log'].length, 3);
    assert.deepEqual(m.refs.dev, { type: 'branch', 'snapshot-id': 2, 'max-ref-age-ms': 1000, 'max-snapshot-age-ms': 2000, 'min-snapshots-to-keep': 3 });
    assert.deepEqual(m.refs.v1, { type: 'tag', 'snapshot-id': 1, 'max-ref-age-ms': 5000 });
  });
  it('null retention fields are left out', () => {
    const m = builderFor(metadataWithHistory())
      .apply({ action: 'set-snapshot-ref', 'ref-name': 'dev', type: 'branch', 'snapshot-id': 2, 'max-ref-age-ms': null, 'min-snapshots-to-keep': null })
      .build();
    assert.deepEqual(m.refs.dev, { type: 'branch', 'snapshot-id': 2 });
  });
  it('tags refuse branch-only retention fields', () => {
    for (const field of ['max-snapshot-age-ms', 'min-snapshots-to-keep']) {
      assertCatalogError(
        () => builderFor(metadataWithHistory()).apply({ action: 'set-snapshot-ref', 'ref-name': 'v1', type: 'tag', 'snapshot-id': 1, [field]: 5 }),
        400,
        { message: `Tags do not support setting ${field}` },
      );
    }
  });
  it('refuses non-positive retention values, bad types, main as a tag and unknown snapshots', () => {
    const b = () => builderFor(metadataWithHistory());
    assertCatalogError(() => b().apply({ action: 'set-snapshot-ref', 'ref-name': 'x', type: 'branch', 'snapshot-id': 1, 'max-ref-age-ms': 0 }), 400);
    assertCatalogError(() => b().apply({ action: 'set-snapshot-ref', 'ref-name': 'x', type: 'branch', 'snapshot-id': 1, 'min-snapshots-to-keep': -1 }), 400);
    assertCatalogError(() => b().apply({ action: 'set-snapshot-ref', 'ref-name': 'x', type: 'branch', 'snapshot-id': 1, 'max-ref-age-ms': '10' }), 400);
    assertCatalogError(() => b().apply({ action: 'set-snapshot-ref', 'ref-name': 'x', type: 'twig', 'snapshot-id': 1 }), 400);
    assertCatalogError(() => b().apply({ action: 'set-snapshot-ref', 'ref-name': 'main', type: 'tag', 'snapshot-id': 1 }), 400, { message: /main must be a branch/ });
    assertCatalogError(() => b().apply({ action: 'set-snapshot-ref', 'ref-name': 'x', type: 'branch', 'snapshot-id': 77 }), 400, { message: /unknown snapshot: 77/ });
    assertCatalogError(() => b().apply({ action: 'set-snapshot-ref', 'ref-name': 'x', type: 'branch', 'snapshot-id': null }), 400);
    assertCatalogError(() => b().apply({ action: 'set-snapshot-ref', type: 'branch', 'snapshot-id': 1 }), 400);
  });
});

describe('remove-snapshots', () => {
  it('removes snapshots, the refs pointing at them, their statistics and the log before them', () => {
    const m = builderFor(metadataWithHistory()).apply({ action: 'remove-snapshots', 'snapshot-ids': [1] }).build();
    assert.deepEqual(m.snapshots.map((s) => s['snapshot-id']), [2, 3]);
    assert.deepEqual(Object.keys(m.refs).sort(), ['b2', 'main']);
    assert.deepEqual(m.statistics.map((s) => s['snapshot-id']), [2]);
    assert.deepEqual(m['partition-statistics'], []);
    assert.deepEqual(m['snapshot-log'].map((e) => e['snapshot-id']), [2, 3]);
  });
  it('prunes the log up to the newest removed entry (no gaps in history)', () => {
    const m = builderFor(metadataWithHistory()).apply({ action: 'remove-snapshots', 'snapshot-ids': [2] }).build();
    assert.deepEqual(m.snapshots.map((s) => s['snapshot-id']), [1, 3]);
    assert.deepEqual(m['snapshot-log'].map((e) => e['snapshot-id']), [3]);
    assert.equal(m.refs.b2, undefined);
    assert.deepEqual(m.refs.t1, { type: 'tag', 'snapshot-id': 1 });
  });
  it('removing the current snapshot drops main and current-snapshot-id', () => {
    const m = builderFor(metadataWithHistory()).apply({ action: 'remove-snapshots', 'snapshot-ids': [3] }).build();
    assert.equal(m['current-snapshot-id'], null);
    assert.equal(m.refs.main, undefined);
    assert.deepEqual(m['snapshot-log'], []);
  });
  it('matches bigint and number ids alike', () => {
    const base = baseMetadata({ snapshots: [snapshot(BIG, { seq: 1 })], refs: { main: { type: 'branch', 'snapshot-id': BIG } }, 'current-snapshot-id': BIG, 'last-sequence-number': 1 });
    const m = builderFor(base).apply({ action: 'remove-snapshots', 'snapshot-ids': [BIG] }).build();
    assert.deepEqual(m.snapshots, []);
    assert.equal(m['current-snapshot-id'], null);
  });
  it('unknown ids are a no-op; malformed ids are refused', () => {
    assert.equal(builderFor(metadataWithHistory()).apply({ action: 'remove-snapshots', 'snapshot-ids': [42] }).hasChanges, false);
    assertCatalogError(() => builderFor(metadataWithHistory()).apply({ action: 'remove-snapshots', 'snapshot-ids': ['1'] }), 400);
    assertCatalogError(() => builderFor(metadataWithHistory()).apply({ action: 'remove-snapshots', 'snapshot-ids': 1 }), 400);
  });
});

describe('remove-snapshot-ref', () => {
  it('removing main clears current-snapshot-id but keeps the snapshots', () => {
    const m = builderFor(metadataWithHistory()).apply({ action: 'remove-snapshot-ref', 'ref-name': 'main' }).build();
    assert.equal(m['current-snapshot-id'], null);
    assert.equal(m.refs.main, undefined);
    assert.equal(m.snapshots.length, 3);
  });
  it('removes a tag without touching main', () => {
    const m = builderFor(metadataWithHistory()).apply({ action: 'remove-snapshot-ref', 'ref-name': 't1' }).build();
    assert.deepEqual(Object.keys(m.refs).sort(), ['b2', 'main']);
    assert.equal(m['current-snapshot-id'], 3);
  });
  it('a missing ref is a no-op', () => {
    assert.equal(builderFor(metadataWithHistory()).apply({ action: 'remove-snapshot-ref', 'ref-name': 'nope' }).hasChanges, false);
  });
});

describe('int64 edge cases', () => {
  it('next-row-id beyond 2^53 keeps every digit', () => {
    const start = 9007199254740993n; // 2^53 + 1: not representable as a number
    const m = builderFor(v3Metadata({ 'next-row-id': start }))
      .apply({ action: 'add-snapshot', snapshot: snapshot(1, { seq: 1, firstRowId: start, addedRows: 2 }) })
      .build();
    assert.equal(BigInt(m['next-row-id']!), 9007199254740995n);
  });
  it('re-setting a ref whose stored keys are in another order is a no-op', () => {
    const base = metadataWithHistory();
    base.refs = { ...base.refs, main: { 'snapshot-id': 3, type: 'branch' } as never };
    const b = builderFor(base).apply({ action: 'set-snapshot-ref', 'ref-name': 'main', type: 'branch', 'snapshot-id': 3 });
    assert.equal(b.hasChanges, false);
  });
});
