// A table clone's metadata keeps none of its source's write paths: with them its files would go
// among the source's, and its storage access would reach them.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { cloneTableMetadata } from '../../../src/clones/clone-metadata.js';
import { baseMetadata } from '../iceberg/fixtures.js';

test('a clone drops the source\'s write.data.path and write.metadata.path and is marked gc.enabled=false; other properties stay', () => {
  const source = baseMetadata({
    properties: { 'write.data.path': 's3://bucket/wh/db/t/data-elsewhere', 'write.metadata.path': 's3://bucket/wh/db/t/meta', owner: 'team', 'commit.retry.num-retries': '5' },
  });
  const clone = cloneTableMetadata(source, null, { uuid: 'u', location: 's3://bucket/wh/dev/t2', now: 1, history: 'point', copyRefs: false, properties: { extra: 'yes' } });
  assert.deepEqual(clone.properties, { owner: 'team', 'commit.retry.num-retries': '5', extra: 'yes', 'gc.enabled': 'false' });
  assert.equal(clone.location, 's3://bucket/wh/dev/t2');
});
