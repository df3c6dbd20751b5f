import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { filesAddedBy, filesNamedBy } from '../../../src/iceberg/named-files.js';
import type { TableMetadata } from '../../../src/iceberg/table-metadata.js';

const metadata = (extra: Partial<TableMetadata>) =>
  ({ snapshots: [], statistics: [], 'partition-statistics': [], 'metadata-log': [], ...extra }) as unknown as TableMetadata;

describe('filesNamedBy', () => {
  const doc = metadata({
    snapshots: [
      { 'snapshot-id': 1, 'manifest-list': 'file:///w/t/metadata/snap-1.avro' },
      { 'snapshot-id': 2, manifests: ['file:///w/t/metadata/m1.avro', 'file:///w/t/metadata/m2.avro'] },
    ] as never,
    statistics: [{ 'snapshot-id': 1, 'statistics-path': 'file:///w/t/metadata/1.stats' }] as never,
    'partition-statistics': [{ 'snapshot-id': 1, 'statistics-path': 'file:///w/t/metadata/1.parquet' }] as never,
    'metadata-log': [{ 'metadata-file': 'file:///w/t/metadata/00000.metadata.json', 'timestamp-ms': 1 }],
  });

  it('names manifest lists, v1 manifests, statistics and partition statistics, with what names them', () => {
    assert.deepEqual(filesNamedBy(doc, { metadataLog: false }), [
      { uri: 'file:///w/t/metadata/snap-1.avro', role: 'manifest list of snapshot 1' },
      { uri: 'file:///w/t/metadata/m1.avro', role: 'manifest of snapshot 2' },
      { uri: 'file:///w/t/metadata/m2.avro', role: 'manifest of snapshot 2' },
      { uri: 'file:///w/t/metadata/1.stats', role: 'statistics file' },
      { uri: 'file:///w/t/metadata/1.parquet', role: 'partition statistics file' },
    ]);
  });

  it('names the metadata log only when asked (a registered document)', () => {
    assert.deepEqual(filesNamedBy(doc, { metadataLog: true }).at(-1), {
      uri: 'file:///w/t/metadata/00000.metadata.json',
      role: 'metadata log entry',
    });
  });

  it('filesAddedBy gives only what the new document names and the old one did not', () => {
    const next = metadata({
      ...doc,
      snapshots: [...doc.snapshots, { 'snapshot-id': 3, 'manifest-list': 'file:///elsewhere/snap-3.avro' }] as never,
    });
    assert.deepEqual(filesAddedBy(doc, next), [{ uri: 'file:///elsewhere/snap-3.avro', role: 'manifest list of snapshot 3' }]);
    assert.equal(filesAddedBy(undefined, next).length, 6);
  });
});
