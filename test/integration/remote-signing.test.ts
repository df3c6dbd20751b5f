// Remote signing through the catalog's /sign route, on a warehouse in MinIO: a load that asks
// for it carries no key, only where to sign; what the catalog signs MinIO accepts (the clone's
// and its source's files, uploads under the clone), what it refuses it never signs (another
// table, a write into the source, any delete), and a signature covers only its own request.
// Twice: signed with the catalog's own keys, and with vended ones (a second lock at the store).
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { HeadObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { clientToken, ok } from '../support/catalog-tokens.js';
import { noMinio, startLakeMinio, type MinioServer } from '../support/minio-server.js';
import { RestClient, simpleSchema } from '../support/rest-client.js';
import { createDatabase, noPostgres, startTestCatalog, type TestCatalog } from '../support/test-catalog.js';

const ADMIN = { id: 'admin', secret: 'admin-secret-0123456789' };
const SIGNING = { 'x-iceberg-access-delegation': 'remote-signing' };
type Who = 'admin' | 'reader';

for (const mode of ['own keys', 'vended keys'] as const) {
  describe(`remote signing with the catalog's ${mode}, enforced by the store`, { skip: noMinio || noPostgres }, () => {
    let minio: MinioServer;
    let catalog: TestCatalog;
    let database: { url: string; drop: () => Promise<void> };
    const tokens = new Map<Who, string>();
    const as = (who: Who) => (method: string, path: string, body?: unknown, headers: Record<string, string> = {}) =>
      new RestClient(catalog.baseUrl).request(method, path, body, { authorization: `Bearer ${tokens.get(who)}`, ...headers });
    const table = (ns: string, name: string) => `/v1/default/namespaces/${ns}/tables/${name}`;
    const url = (uri: string) => `${minio.endpoint}/${uri.replace(/^s3:\/\//, '')}`;

    /** Asks the catalog to sign, then sends the request to MinIO as the engine would. */
    const signAndSend = async (who: Who, signPath: string, method: string, target: string, body?: string) => {
      const headers: Record<string, string[]> = { 'amz-sdk-request': ['attempt=1; max=3'] };
      if (body !== undefined) headers['content-length'] = [String(Buffer.byteLength(body))];
      const signed = await as(who)('POST', `/${signPath}`, { region: 'us-east-1', uri: target, method, headers });
      if (signed.status !== 200) return { signed: signed.status, store: 0, message: (signed.body as { error: { message: string } }).error.message };
      assert.equal(signed.headers.get('cache-control'), method === 'GET' || method === 'HEAD' ? 'private' : 'no-cache');
      const answer = signed.body as { uri: string; headers: Record<string, string[]> };
      const sent = new Headers();
      for (const [name, values] of Object.entries(answer.headers)) if (name.toLowerCase() !== 'content-length') sent.set(name, values.join(','));
      const response = await fetch(answer.uri, { method, headers: sent, body });
      return { signed: 200, store: response.status, text: await response.text() };
    };

    before(async () => {
      minio = await startLakeMinio();
      database = await createDatabase('signing');
      catalog = await startTestCatalog({
        databaseUrl: database.url,
        warehouseLocation: 's3://lake/wh',
        env: {
          CATALOG_S3_ENDPOINT: minio.endpoint,
          CATALOG_S3_PATH_STYLE: 'true',
          CATALOG_S3_REMOTE_SIGNING: 'true',
          ...(mode === 'vended keys'
            ? { CATALOG_S3_VENDING: 'sts', CATALOG_S3_VENDING_ROLE_ARN: 'arn:aws:iam::000000000000:role/catalog-vended' }
            : {}),
          CATALOG_AUTHENTICATION: 'catalog',
          CATALOG_BOOTSTRAP_CLIENT_ID: ADMIN.id,
          CATALOG_BOOTSTRAP_CLIENT_SECRET: ADMIN.secret,
        },
      });
      await catalog.deps.clients!.ensure(ADMIN.id, ADMIN.secret);
      tokens.set('admin', await clientToken(catalog.baseUrl, ADMIN.id, ADMIN.secret));
      const registered = await ok(as('admin')('POST', '/ext/v1/auth/clients', { 'client-id': 'reader' }));
      tokens.set('reader', await clientToken(catalog.baseUrl, 'reader', registered['client-secret']));
      for (const ns of ['prod', 'dev']) await ok(as('admin')('POST', '/v1/default/namespaces', { namespace: [ns] }));
      for (const name of ['orders', 'customers']) await ok(as('admin')('POST', '/v1/default/namespaces/prod/tables', { name, schema: simpleSchema }));
      await ok(as('admin')('POST', '/ext/v1/default/namespaces/prod/tables/orders/clone', { destination: { namespace: ['dev'], name: 'orders_clone' } }));
      await ok(as('admin')('POST', '/ext/v1/default/grants?namespace=dev', { action: 'grant', grantee: { kind: 'principal', name: 'reader' }, privileges: ['read'] }));
    });

    after(async () => {
      await catalog?.close();
      await database?.drop();
      await minio?.stop();
    });

    test('a load asking for remote signing carries where to sign and no key; /v1/config lists the route', async () => {
      const loaded = await ok(as('admin')('GET', table('dev', 'orders_clone'), undefined, SIGNING));
      const config = loaded.config as Record<string, string>;
      assert.equal(config['s3.remote-signing-enabled'], 'true');
      assert.equal(config['signer.endpoint'], 'v1/default/namespaces/dev/tables/orders_clone/sign');
      assert.ok(!JSON.stringify(loaded).includes('s3.access-key-id') && !JSON.stringify(loaded).includes('s3.session-token'));
      assert.ok(loaded['storage-credentials'].every((c: { config: Record<string, string> }) => c.config['signer.endpoint'] === config['signer.endpoint']));
      const plain = await ok(as('admin')('GET', table('dev', 'orders_clone')));
      assert.equal(plain.config['s3.remote-signing-enabled'], undefined, 'only when asked for');
      const catalogConfig = await ok(as('reader')('GET', '/v1/config'));
      assert.ok(catalogConfig.endpoints.includes('POST /v1/{prefix}/namespaces/{namespace}/tables/{table}/sign'));
    });

    test('signed reads of the clone\'s and the source\'s files, and (with vended keys only) an upload under the clone, are accepted by the store', async () => {
      const source = await ok(as('admin')('GET', table('prod', 'orders')));
      const clone = await ok(as('admin')('GET', table('dev', 'orders_clone'), undefined, SIGNING));
      const signPath = clone.config['signer.endpoint'];
      const readSource = await signAndSend('admin', signPath, 'GET', url(source['metadata-location']));
      assert.deepEqual([readSource.signed, readSource.store], [200, 200]);
      assert.match(readSource.text!, /"format-version"/);
      const head = await signAndSend('admin', signPath, 'HEAD', url(clone['metadata-location']));
      assert.deepEqual([head.signed, head.store], [200, 200]);
      const upload = await signAndSend('admin', signPath, 'PUT', url(`${clone.metadata.location}/data/signed.parquet`), 'parquet bytes');
      const listing = () => signAndSend('admin', signPath, 'GET', `${minio.endpoint}/lake?list-type=2&prefix=${encodeURIComponent(`${clone.metadata.location.replace('s3://lake/', '')}/data/`)}`);
      if (mode === 'own keys') {
        // MinIO does not refuse unsigned x-amz-* headers an engine could add to an upload.
        assert.equal(upload.signed, 403);
        assert.match(upload.message!, /only with vended keys/);
        assert.equal((await listing()).store, 200);
        return;
      }
      assert.deepEqual([upload.signed, upload.store], [200, 200]);
      const readBack = await signAndSend('admin', signPath, 'GET', url(`${clone.metadata.location}/data/signed.parquet`));
      assert.deepEqual([readBack.store, readBack.text], [200, 'parquet bytes']);
      const listed = await listing();
      assert.deepEqual([listed.signed, listed.store], [200, 200]);
      assert.match(listed.text!, /signed\.parquet/);
    });

    test('headers added to a signed upload after signing copy nothing the vended key cannot read', { skip: mode === 'own keys' && 'uploads are not signed with own keys' }, async () => {
      const clone = await ok(as('admin')('GET', table('dev', 'orders_clone'), undefined, SIGNING));
      const other = await ok(as('admin')('GET', table('prod', 'customers')));
      const target = url(`${clone.metadata.location}/data/copied.parquet`);
      const signed = await ok(as('admin')('POST', `/${clone.config['signer.endpoint']}`, { region: 'us-east-1', uri: target, method: 'PUT', headers: {} }));
      const headers = new Headers(Object.entries(signed.headers as Record<string, string[]>).map(([k, v]): [string, string] => [k, v.join(',')]));
      headers.set('x-amz-copy-source', `/${other['metadata-location'].replace('s3://', '')}`);
      assert.equal((await fetch(signed.uri, { method: 'PUT', headers })).status, 403, 'the store refuses the copy');
      const root = new S3Client({ endpoint: minio.endpoint, region: 'us-east-1', forcePathStyle: true });
      try {
        await assert.rejects(root.send(new HeadObjectCommand({ Bucket: 'lake', Key: target.slice(`${minio.endpoint}/lake/`.length) })), { name: 'NotFound' });
      } finally {
        root.destroy();
      }
    });

    test('never signed: another table\'s files, a write into the source, a delete, a bulk delete, a copy; a reader\'s upload', async () => {
      const clone = await ok(as('admin')('GET', table('dev', 'orders_clone'), undefined, SIGNING));
      const source = await ok(as('admin')('GET', table('prod', 'orders')));
      const other = await ok(as('admin')('GET', table('prod', 'customers')));
      const signPath = clone.config['signer.endpoint'];
      const refused = async (who: Who, method: string, target: string, body?: string) => (await signAndSend(who, signPath, method, target, body)).signed;
      assert.equal(await refused('admin', 'GET', url(other['metadata-location'])), 403);
      assert.equal(await refused('admin', 'PUT', url(`${source.metadata.location}/data/evil.parquet`), 'x'), 403);
      assert.equal(await refused('admin', 'DELETE', url(clone['metadata-location'])), 403);
      assert.equal(await refused('admin', 'DELETE', url(source['metadata-location'])), 403);
      assert.equal(await refused('admin', 'POST', `${minio.endpoint}/lake?delete`, '<Delete/>'), 403);
      assert.equal(await refused('admin', 'GET', `${minio.endpoint}/lake?list-type=2&prefix=wh%2F`), 403);
      assert.equal(await refused('admin', 'GET', url(source['metadata-location']).replace(minio.endpoint, 'http://evil.example:9000')), 403);
      const copy = await as('admin')('POST', `/${signPath}`, {
        region: 'us-east-1',
        uri: url(`${clone.metadata.location}/data/copy.parquet`),
        method: 'PUT',
        headers: { 'x-amz-copy-source': [`/${other['metadata-location'].replace('s3://', '')}`] },
      });
      assert.equal(copy.status, 403);
      assert.equal(await refused('reader', 'PUT', url(`${clone.metadata.location}/data/reader.parquet`), 'x'), 403);
      const readerRead = await signAndSend('reader', signPath, 'GET', url(source['metadata-location']));
      assert.deepEqual([readerRead.signed, readerRead.store], [200, 200], 'a reader reads the clone\'s source');
      const hidden = await as('reader')('POST', `/v1/default/namespaces/prod/tables/customers/sign`, { region: 'us-east-1', uri: url(other['metadata-location']), method: 'GET', headers: {} });
      assert.equal(hidden.status, 404, 'a table the reader cannot see');
    });

    test('write paths set outside the table\'s location widen nothing (any writer may set them)', async () => {
      const other = await ok(as('admin')('GET', table('prod', 'customers')));
      const set = await as('admin')('POST', table('dev', 'orders_clone'), {
        requirements: [],
        updates: [{ action: 'set-properties', updates: { 'write.data.path': 's3://lake/wh', 'write.metadata.path': 's3://elsewhere/x' } }],
      });
      assert.equal(set.status, 200);
      try {
        const clone = await ok(as('admin')('GET', table('dev', 'orders_clone'), undefined, SIGNING));
        const signPath = clone.config['signer.endpoint'];
        assert.equal((await signAndSend('admin', signPath, 'GET', url(other['metadata-location']))).signed, 403);
        assert.equal((await signAndSend('admin', signPath, 'PUT', url(`${other.metadata.location}/data/planted.parquet`), 'x')).signed, 403);
        assert.equal((await signAndSend('admin', signPath, 'GET', `${minio.endpoint}/elsewhere/x/secret`)).signed, 403);
      } finally {
        const unset = await as('admin')('POST', table('dev', 'orders_clone'), { requirements: [], updates: [{ action: 'remove-properties', removals: ['write.data.path', 'write.metadata.path'] }] });
        assert.equal(unset.status, 200);
      }
    });

    test('a signature covers only its own request: another key, method or body is refused by the store', async () => {
      const clone = await ok(as('admin')('GET', table('dev', 'orders_clone'), undefined, SIGNING));
      const other = await ok(as('admin')('GET', table('prod', 'customers')));
      const signed = await ok(as('admin')('POST', `/${clone.config['signer.endpoint']}`, { region: 'us-east-1', uri: url(clone['metadata-location']), method: 'GET', headers: {} }));
      const headers = new Headers(Object.entries(signed.headers as Record<string, string[]>).map(([k, v]): [string, string] => [k, v.join(',')]));
      assert.equal((await fetch(signed.uri, { headers })).status, 200);
      assert.equal((await fetch(url(other['metadata-location']), { headers })).status, 403, 'the same signature on another key');
      assert.equal((await fetch(signed.uri, { method: 'DELETE', headers })).status, 403, 'the same signature as a delete');
      // The object is still there: nothing was deleted.
      assert.equal((await fetch(signed.uri, { headers })).status, 200);
    });

    test('bad bodies are 400s in the Iceberg error model', async () => {
      const path = `/v1/default/namespaces/dev/tables/orders_clone/sign`;
      for (const body of [{}, { region: 'us-east-1', uri: 'x', method: 'GET' }, { region: 'us-east-1', uri: 'not a url', method: 'GET', headers: {} }, { region: 'r', uri: 'http://127.0.0.1/x', method: 'TRACE', headers: {} }, { region: 'r', uri: 'http://127.0.0.1/x', method: 'GET', headers: {}, provider: 'gcs' }]) {
        const answer = await as('admin')('POST', path, body);
        assert.equal(answer.status, 400, JSON.stringify(body));
        assert.equal((answer.body as { error: { code: number } }).error.code, 400);
      }
    });
  });
}
