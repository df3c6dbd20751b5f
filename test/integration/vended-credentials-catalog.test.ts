// Vended credentials through the catalog's own routes, on a warehouse in MinIO (which enforces
// session policies): a load asking for them (X-Iceberg-Access-Delegation) carries keys that
// read a clone's files and its source's, write only the clone, delete nothing; a reader's keys
// write nothing; loadCredentials renews them; without the header no key is ever answered.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { DeleteObjectCommand, GetObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { clientToken, ok } from '../support/catalog-tokens.js';
import { noMinio, startLakeMinio, type MinioServer } from '../support/minio-server.js';
import { RestClient, simpleSchema } from '../support/rest-client.js';
import { createDatabase, noPostgres, startTestCatalog, type TestCatalog } from '../support/test-catalog.js';

const ADMIN = { id: 'admin', secret: 'admin-secret-0123456789' };
const VENDED = { 'x-iceberg-access-delegation': 'vended-credentials' };
type Who = 'admin' | 'reader';

describe('vended credentials from the catalog, enforced by the store', { skip: noMinio || noPostgres }, () => {
  let minio: MinioServer;
  let catalog: TestCatalog;
  let database: { url: string; drop: () => Promise<void> };
  const tokens = new Map<Who, string>();
  const as = (who: Who) => (method: string, path: string, body?: unknown, headers: Record<string, string> = {}) =>
    new RestClient(catalog.baseUrl).request(method, path, body, { authorization: `Bearer ${tokens.get(who)}`, ...headers });
  const table = (ns: string, name: string) => `/v1/default/namespaces/${ns}/tables/${name}`;

  /** An S3 client with the keys of a table answer's `config`. */
  const s3With = (config: Record<string, string>) =>
    new S3Client({
      endpoint: minio.endpoint,
      region: 'us-east-1',
      forcePathStyle: true,
      credentials: { accessKeyId: config['s3.access-key-id'], secretAccessKey: config['s3.secret-access-key'], sessionToken: config['s3.session-token'] },
    });
  const split = (uri: string) => {
    const match = /^s3:\/\/([^/]+)\/(.+)$/.exec(uri)!;
    return { Bucket: match[1], Key: match[2] };
  };
  const verdict = (call: Promise<unknown>) => call.then(() => 'ok', (error: { name?: string; Code?: string }) => error.Code ?? error.name ?? 'error');

  before(async () => {
    minio = await startLakeMinio();
    database = await createDatabase('vending');
    catalog = await startTestCatalog({
      databaseUrl: database.url,
      warehouseLocation: 's3://lake/wh',
      env: {
        CATALOG_S3_ENDPOINT: minio.endpoint,
        CATALOG_S3_PATH_STYLE: 'true',
        CATALOG_S3_VENDING: 'sts',
        CATALOG_S3_VENDING_ROLE_ARN: 'arn:aws:iam::000000000000:role/catalog-vended',
        CATALOG_S3_VENDING_DURATION_SECONDS: '900',
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
    await ok(as('admin')('POST', '/v1/default/namespaces/prod/tables', { name: 'orders', schema: simpleSchema }));
    await ok(as('admin')('POST', '/ext/v1/default/namespaces/prod/tables/orders/clone', { destination: { namespace: ['dev'], name: 'orders_clone' } }));
    await ok(as('admin')('POST', '/ext/v1/default/grants?namespace=dev', { action: 'grant', grantee: { kind: 'principal', name: 'reader' }, privileges: ['read'] }));
  });

  after(async () => {
    await catalog?.close();
    await database?.drop();
    await minio?.stop();
  });

  test("the clone's owner gets keys that read the clone's and the source's files, write only the clone's, delete nothing", async () => {
    const source = await ok(as('admin')('GET', table('prod', 'orders')));
    const clone = await ok(as('admin')('GET', table('dev', 'orders_clone'), undefined, VENDED));
    const config = clone.config as Record<string, string>;
    assert.ok(config['s3.access-key-id'] && config['s3.session-token'], 'keys in the config');
    assert.ok(Number(config['s3.session-token-expires-at-ms']) > Date.now());
    assert.match(config['client.refresh-credentials-endpoint'], /\/tables\/orders_clone\/credentials$/);
    const prefixes = clone['storage-credentials'].map((c: { prefix: string }) => c.prefix);
    assert.ok(prefixes.includes(`${source.metadata.location}/`), `the source's prefix: ${prefixes}`);
    assert.ok(clone['storage-credentials'].every((c: { config: Record<string, string> }) => c.config['s3.access-key-id'] === config['s3.access-key-id']));
    const s3 = s3With(config);
    try {
      const cloneLocation = clone.metadata.location as string;
      const sourceMetadata = source['metadata-location'] as string;
      assert.deepEqual(
        {
          readSourceMetadata: await verdict(s3.send(new GetObjectCommand(split(sourceMetadata)))),
          readCloneMetadata: await verdict(s3.send(new GetObjectCommand(split(clone['metadata-location'])))),
          writeClone: await verdict(s3.send(new PutObjectCommand({ ...split(`${cloneLocation}/data/new.parquet`), Body: 'x' }))),
          writeSource: await verdict(s3.send(new PutObjectCommand({ ...split(`${source.metadata.location}/data/new.parquet`), Body: 'x' }))),
          deleteSourceMetadata: await verdict(s3.send(new DeleteObjectCommand(split(sourceMetadata)))),
          deleteCloneMetadata: await verdict(s3.send(new DeleteObjectCommand(split(clone['metadata-location'])))),
        },
        { readSourceMetadata: 'ok', readCloneMetadata: 'ok', writeClone: 'ok', writeSource: 'AccessDenied', deleteSourceMetadata: 'AccessDenied', deleteCloneMetadata: 'AccessDenied' },
      );
    } finally {
      s3.destroy();
    }
  });

  test("a reader's keys read the clone and its source and write nothing; loadCredentials renews them", async () => {
    const loaded = await ok(as('reader')('GET', table('dev', 'orders_clone'), undefined, VENDED));
    const renewed = await ok(as('reader')('GET', `${table('dev', 'orders_clone')}/credentials`));
    assert.equal(renewed['storage-credentials'].length, loaded['storage-credentials'].length);
    const config = renewed['storage-credentials'][0].config as Record<string, string>;
    const s3 = s3With(config);
    try {
      const location = loaded.metadata.location as string;
      assert.equal(await verdict(s3.send(new GetObjectCommand(split(loaded['metadata-location'])))), 'ok');
      assert.equal(await verdict(s3.send(new PutObjectCommand({ ...split(`${location}/data/r.parquet`), Body: 'x' }))), 'AccessDenied');
    } finally {
      s3.destroy();
    }
    assert.equal((await as('reader')('GET', `${table('prod', 'orders')}/credentials`)).status, 404, 'no keys for a table it cannot see');
  });

  test('without the header no answer carries a key; the ETag tells the two apart; /v1/config lists the renewal route', async () => {
    const plain = await as('admin')('GET', table('dev', 'orders_clone'));
    assert.ok(!JSON.stringify(plain.body).includes('s3.access-key-id'));
    const vended = await as('admin')('GET', table('dev', 'orders_clone'), undefined, VENDED);
    assert.notEqual(vended.headers.get('etag'), plain.headers.get('etag'));
    const again = await as('admin')('GET', table('dev', 'orders_clone'), undefined, { ...VENDED, 'if-none-match': vended.headers.get('etag')! });
    assert.equal(again.status, 304, 'the same credentials while fresh: still current');
    const config = await ok(as('reader')('GET', '/v1/config'));
    assert.ok(config.endpoints.includes('GET /v1/{prefix}/namespaces/{namespace}/tables/{table}/credentials'));
  });
});
