// A view clone's metadata: its own uuid and location, the chosen version current, the query
// untouched, and the default namespace pointed into the cloned tree only when asked.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { cloneViewMetadata, namespaceRewrite } from '../../../src/clones/view-clone-metadata.js';
import { newViewMetadata, ViewMetadataBuilder } from '../../../src/iceberg/view-builder.js';
import type { ViewMetadata } from '../../../src/iceberg/view-metadata.js';

const schema = (name: string) => ({ type: 'struct', fields: [{ id: 1, name, required: false, type: 'int' }] });
const noCheck = () => undefined;

/** Two versions: 1 on schema 0 (`select a`), 2 on schema 1 (`select b`), with default namespace prod.sales. */
function source(): ViewMetadata {
  const v1 = {
    'version-id': 1,
    'timestamp-ms': 1000,
    'schema-id': 0,
    summary: {},
    representations: [{ type: 'sql', sql: 'select a from orders', dialect: 'spark' }],
    'default-namespace': ['prod', 'sales'],
  };
  const first = newViewMetadata(
    { name: 'v', schema: schema('a'), 'view-version': v1, properties: { 'write.metadata.path': 'file:///w/prod/meta', owner: 'x' } },
    { uuid: 'src', now: 1000, location: 'file:///w/prod/v', checkLocation: noCheck },
  );
  return new ViewMetadataBuilder(first, 2000, noCheck)
    .applyAll([
      { action: 'add-schema', schema: schema('b') },
      { action: 'add-view-version', 'view-version': { ...v1, 'version-id': 2, 'timestamp-ms': 2000, 'schema-id': -1, representations: [{ type: 'sql', sql: 'select b from orders', dialect: 'spark' }] } },
      { action: 'set-current-view-version', 'view-version-id': -1 },
    ])
    .build();
}

describe('cloneViewMetadata', () => {
  it('keeps only the current version and its schema by default, under a new uuid and location', () => {
    const clone = cloneViewMetadata(source(), { uuid: 'c', location: 'file:///w/dev/v', now: 5000, history: 'point' });
    assert.equal(clone['view-uuid'], 'c');
    assert.equal(clone.location, 'file:///w/dev/v');
    assert.deepEqual(clone.versions.map((v) => v['version-id']), [2]);
    assert.deepEqual(clone.schemas.map((s) => s['schema-id']), [1]);
    assert.equal(clone['current-version-id'], 2);
    assert.deepEqual(clone['version-log'], [{ 'version-id': 2, 'timestamp-ms': 5000 }]);
    assert.equal(clone.versions[0].representations[0].sql, 'select b from orders');
  });

  it("never takes the source's metadata path, which would mix the two views' files", () => {
    const clone = cloneViewMetadata(source(), { uuid: 'c', location: 'file:///w/dev/v', now: 5000, history: 'point' });
    assert.deepEqual(clone.properties, { owner: 'x' });
  });

  it('clones an earlier version with the whole history when asked', () => {
    const src = source();
    const clone = cloneViewMetadata(src, { uuid: 'c', location: 'l', now: 5000, history: 'all', version: src.versions[0] });
    assert.deepEqual(clone.versions.map((v) => v['version-id']), [1, 2]);
    assert.equal(clone['current-version-id'], 1);
    assert.deepEqual(clone['version-log'].map((e) => e['version-id']), [1, 2, 1]);
  });

  it('rewrites a default namespace inside the cloned tree as a new version, and leaves others alone', () => {
    const rewrite = namespaceRewrite(['prod'], ['dev', 'ci']);
    const clone = cloneViewMetadata(source(), { uuid: 'c', location: 'l', now: 5000, history: 'point', rewriteNamespace: rewrite });
    assert.deepEqual(clone.versions.map((v) => [v['version-id'], v['default-namespace']]), [[2, ['prod', 'sales']], [3, ['dev', 'ci', 'sales']]]);
    assert.equal(clone['current-version-id'], 3);
    assert.equal(clone.versions[1].representations[0].sql, 'select b from orders', 'the query text is never rewritten');
    assert.equal(clone.versions[1]['schema-id'], 1);
    const outside = cloneViewMetadata(source(), { uuid: 'c', location: 'l', now: 5000, history: 'point', rewriteNamespace: namespaceRewrite(['other'], ['dev']) });
    assert.deepEqual(outside.versions.map((v) => v['version-id']), [2]);
  });

  it('a whole-warehouse rewrite (same names in the new warehouse) adds nothing', () => {
    const clone = cloneViewMetadata(source(), { uuid: 'c', location: 'l', now: 5000, history: 'point', rewriteNamespace: namespaceRewrite([], []) });
    assert.deepEqual(clone.versions.map((v) => v['version-id']), [2]);
  });
});
