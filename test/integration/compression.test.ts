// Read and clone answers are gzip- or brotli-compressed when the client asks, tiny ones and
// writes' answers are not, and the ETag rules hold across codings: a compressed answer
// carries its tag weak, If-None-Match with either form answers 304, and a new version answers
// 200. Read with node:http, which (unlike fetch) hands over the bytes as sent.
import assert from 'node:assert/strict';
import { request as httpRequest } from 'node:http';
import { after, before, describe, test } from 'node:test';
import { brotliDecompressSync, gunzipSync, gzipSync } from 'node:zlib';
import { RestClient, appendSnapshot, bigSnapshotId, simpleSchema } from '../support/rest-client.js';
import { createDatabase, noPostgres, startTestCatalog, type TestCatalog } from '../support/test-catalog.js';

interface RawAnswer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  bytes: Buffer;
}

function raw(baseUrl: string, path: string, headers: Record<string, string>, method = 'GET', body?: unknown): Promise<RawAnswer> {
  return new Promise((resolve, reject) => {
    const payload = body === undefined ? undefined : Buffer.isBuffer(body) ? body : JSON.stringify(body);
    const req = httpRequest(
      `${baseUrl}${path}`,
      { method, headers: payload ? { 'content-type': 'application/json', ...headers } : headers, timeout: 10_000 },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, bytes: Buffer.concat(chunks) }));
        res.on('error', reject);
      },
    );
    req.on('timeout', () => req.destroy(new Error(`${path} timed out`)));
    req.on('error', reject);
    req.end(payload);
  });
}

const decoded = (answer: RawAnswer) => {
  const encoding = answer.headers['content-encoding'];
  if (encoding === 'gzip') return gunzipSync(answer.bytes).toString('utf8');
  if (encoding === 'br') return brotliDecompressSync(answer.bytes).toString('utf8');
  assert.equal(encoding, undefined);
  return answer.bytes.toString('utf8');
};

describe('compressed answers', { skip: noPostgres }, () => {
  let catalog: TestCatalog;
  let database: { url: string; drop: () => Promise<void> };
  let client: RestClient;
  const path = '/v1/default/namespaces/zip/tables/history';

  before(async () => {
    database = await createDatabase('compression');
    catalog = await startTestCatalog({ databaseUrl: database.url });
    client = new RestClient(catalog.baseUrl);
    assert.equal((await client.createNamespace(['zip'])).status, 200);
    const created = await client.createTable(['zip'], { name: 'history', schema: simpleSchema });
    const location = created.body.metadata.location as string;
    let parent: bigint | null = null;
    for (let i = 1; i <= 30; i++) {
      const id = bigSnapshotId();
      const committed = await client.commit(['zip'], 'history', [], [
        { action: 'add-snapshot', snapshot: appendSnapshot(id, parent, i, location) },
        { action: 'set-snapshot-ref', 'ref-name': 'main', type: 'branch', 'snapshot-id': id },
      ]);
      assert.equal(committed.status, 200);
      parent = id;
    }
  });

  after(async () => {
    await catalog?.close();
    await database?.drop();
  });

  test('loadTable is gzip- or brotli-compressed on request, with the same content and a weak ETag', async () => {
    const plain = await raw(catalog.baseUrl, path, {});
    assert.equal(plain.status, 200);
    assert.equal(plain.headers['content-encoding'], undefined);
    const strong = plain.headers.etag as string;
    assert.match(strong, /^"[0-9a-f]+"$/);
    for (const encoding of ['gzip', 'br']) {
      const packed = await raw(catalog.baseUrl, path, { 'accept-encoding': encoding });
      assert.equal(packed.status, 200);
      assert.equal(packed.headers['content-encoding'], encoding);
      assert.match(String(packed.headers.vary), /accept-encoding/i);
      assert.ok(packed.bytes.length < plain.bytes.length / 3, `${encoding}: ${packed.bytes.length} of ${plain.bytes.length} bytes`);
      assert.equal(decoded(packed), plain.bytes.toString('utf8'));
      assert.equal(packed.headers.etag, `W/${strong}`);
    }
  });

  test('If-None-Match answers 304 with either form of the tag, echoing the one the client holds', async () => {
    const strong = (await raw(catalog.baseUrl, path, {})).headers.etag as string;
    const weak = `W/${strong}`;
    const byWeak = await raw(catalog.baseUrl, path, { 'accept-encoding': 'gzip', 'if-none-match': weak });
    assert.equal(byWeak.status, 304);
    assert.equal(byWeak.headers.etag, weak);
    assert.equal(byWeak.bytes.length, 0);
    const byStrong = await raw(catalog.baseUrl, path, { 'if-none-match': strong });
    assert.equal(byStrong.status, 304);
    assert.equal(byStrong.headers.etag, strong);
    const other = await raw(catalog.baseUrl, path, { 'accept-encoding': 'gzip', 'if-none-match': 'W/"0000", "1111"' });
    assert.equal(other.status, 200);

    // A commit changes the tag; the old one, in either form, no longer matches.
    const committed = await client.commit(['zip'], 'history', [], [{ action: 'set-properties', updates: { k: 'v' } }]);
    assert.equal(committed.status, 200);
    const after = await raw(catalog.baseUrl, path, { 'accept-encoding': 'gzip', 'if-none-match': weak });
    assert.equal(after.status, 200);
    assert.notEqual(after.headers.etag, weak);
  });

  test('tiny answers go uncompressed; listings and clone answers are compressed', async () => {
    const small = await raw(catalog.baseUrl, '/v1/default/namespaces/zip', { 'accept-encoding': 'gzip, br' });
    assert.equal(small.status, 200);
    assert.equal(small.headers['content-encoding'], undefined);
    for (let i = 0; i < 40; i++) assert.equal((await client.createNamespace(['zip', `child_with_a_longish_name_${i}`])).status, 200);
    const listing = await raw(catalog.baseUrl, '/v1/default/namespaces?parent=zip', { 'accept-encoding': 'gzip' });
    assert.equal(listing.headers['content-encoding'], 'gzip');
    assert.equal(JSON.parse(decoded(listing)).namespaces.length, 40);
    const clone = await raw(catalog.baseUrl, '/ext/v1/default/namespaces/zip/tables/history/clone', { 'accept-encoding': 'gzip' }, 'POST', {
      destination: { namespace: ['zip'], name: 'history_dev' },
    });
    assert.equal(clone.status, 200, decoded(clone));
    assert.equal(clone.headers['content-encoding'], 'gzip');
    assert.equal(JSON.parse(decoded(clone)).metadata['current-snapshot-id'] !== undefined, true);
  });

  test('a commit\'s answer, read once by its writer, is not compressed', async () => {
    const commit = await raw(catalog.baseUrl, path, { 'accept-encoding': 'gzip, br' }, 'POST', {
      requirements: [],
      updates: [{ action: 'set-properties', updates: { again: 'yes' } }],
    });
    assert.equal(commit.status, 200);
    assert.ok(commit.bytes.length > 5000, `${commit.bytes.length} bytes`);
    assert.equal(commit.headers['content-encoding'], undefined);
  });

  test('a gzip request body is not inflated: it is refused as a client error, nothing created', async () => {
    const body = gzipSync(JSON.stringify({ namespace: ['gz'] }));
    const answer = await raw(catalog.baseUrl, '/v1/default/namespaces', { 'content-encoding': 'gzip', 'content-type': 'application/json' }, 'POST', body);
    assert.ok(answer.status >= 400 && answer.status < 500, `status ${answer.status}: ${decoded(answer)}`);
    assert.equal((await client.request('HEAD', '/v1/default/namespaces/gz')).status, 404);
  });
});
