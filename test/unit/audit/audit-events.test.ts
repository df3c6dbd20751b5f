// What an audit event keeps of a request: its operation, whether it is audited, and a detail
// of names and choices that never holds a secret, a schema or property values.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { detailOf, isAudited, operationIndex } from '../../../src/audit/audit-events.js';
import { boundedDetail, MAX_DETAIL_BYTES, storable } from '../../../src/audit/audit-log.js';
import { OPERATION_RULES } from '../../../src/authz/operation-rules.js';
import { loadOpenApiDocument } from '../../../src/http/openapi-document.js';

test("every operation of the document is found from its route as Fastify names it", () => {
  const index = operationIndex(loadOpenApiDocument());
  assert.equal(index.get('POST /ext/v1/:prefix/namespaces/:namespace/tables/:table/clone'), 'cloneTable');
  assert.equal(index.get('DELETE /v1/:prefix/namespaces/:namespace/tables/:table'), 'dropTable');
  assert.equal(index.get('POST /v1/oauth/tokens'), 'getToken');
  assert.deepEqual(new Set(index.values()), new Set(Object.keys(OPERATION_RULES)));
});

test('mutations and denials are audited; allowed reads and metrics reports are not', () => {
  assert.equal(isAudited('POST', 'createTable', false), true);
  assert.equal(isAudited('DELETE', 'dropTable', false), true);
  assert.equal(isAudited('GET', 'loadTable', false), false);
  assert.equal(isAudited('HEAD', 'tableExists', false), false);
  assert.equal(isAudited('GET', 'loadTable', true), true);
  assert.equal(isAudited('POST', 'reportMetrics', false), false);
  assert.equal(isAudited('POST', 'signRequest', false), false, 'one per S3 request of an engine: not an event');
  assert.equal(isAudited('POST', 'signRequest', true), true, 'a refused signature is');
  assert.equal(isAudited('POST', undefined, false), true, 'an unknown route that changes state');
});

test('details keep names and choices, never secrets, schemas or property values', () => {
  const clone = detailOf('cloneTable', { destination: { namespace: ['dev'], name: 't' }, 'copy-grants': true, properties: { secret: 'x' } }, {});
  assert.deepEqual(clone, { destination: { namespace: ['dev'], name: 't' }, 'copy-grants': true });
  assert.deepEqual(detailOf('dropTable', undefined, { purgeRequested: 'true' }), { purge: true });
  assert.deepEqual(detailOf('updateProperties', { updates: { password: 'hunter2' }, removals: ['a'] }, {}), { removals: ['a'], updated: ['password'] });
  assert.deepEqual(detailOf('updateTable', { updates: [{ action: 'set-properties', updates: { k: 'v' } }, { action: 'set-properties' }] }, {}), { updates: ['set-properties'] });
  assert.deepEqual(detailOf('createTable', { name: 't', schema: { fields: [] } }, {}), { name: 't', staged: false });
  assert.equal(detailOf('loadTable', {}, {}), null);
  assert.equal(detailOf('getToken', { client_secret: 's' }, {}), null, 'the token route records its own, secret-free detail');
  assert.deepEqual(detailOf('renameTable', 'not an object', {}), {});
});

test('a detail past the bound is replaced by its size and keys', () => {
  const big = { pairs: 'x'.repeat(MAX_DETAIL_BYTES) };
  assert.deepEqual(boundedDetail(big), { truncated: true, bytes: MAX_DETAIL_BYTES + 12, keys: ['pairs'] });
  assert.deepEqual(boundedDetail({ a: 1 }), { a: 1 });
});

test('what Postgres cannot store in text or jsonb is replaced, everywhere in an event, and nothing else', () => {
  const at = new Date(0);
  const cleaned = storable({ at, name: 'a\u0000b', list: ['\ud83d', '\ud83d\ude00', 'x\udc00y'], ['k\u0000']: { deep: '\udfff' }, n: 3, none: null, id: 9007199254740993n }) as Record<string, unknown>;
  assert.deepEqual(cleaned, { at, name: 'a\uFFFDb', list: ['\uFFFD', '\ud83d\ude00', 'x\uFFFDy'], ['k\uFFFD']: { deep: '\uFFFD' }, n: 3, none: null, id: '9007199254740993' });
  assert.ok(cleaned.at instanceof Date, 'a date stays a date');
});
