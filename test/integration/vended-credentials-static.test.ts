// CATALOG_S3_VENDING=static, for stores without STS: a load asking for vended credentials gets
// the configured keys (no session, no expiry), which reach the table's files; without the
// header nothing; and a catalog that also signs signs with those keys. The keys here are
// MinIO's root keys (making a narrower MinIO user needs its encrypted admin API): what static
// keys may do is the store user's business, which is why docs/security.md calls the mode weaker.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { GetObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { ok } from '../support/catalog-tokens.js';
import { noMinio, startLakeMinio, type MinioServer } from '../support/minio-server.js';
import { RestClient, simpleSchema } from '../support/rest-client.js';
import { createDatabase, noPostgres, startTestCatalog, type TestCatalog } from '../support/test-catalog.js';

const VENDED = { 'x-iceberg-access-delegation': 'vended-credentials' };

describe('static vended credentials', { skip: noMinio || noPostgres }, () => {
  let minio: MinioServer;
  let catalog: TestCatalog;
  let database: { url: string; drop: () => Promise<void> };
  let engineKeys: { accessKeyId: string; secretAccessKey: string };
  const rest = () => new RestClient(catalog.baseUrl);

  before(async () => {
    minio = await startLakeMinio();
    engineKeys = { accessKeyId: minio.rootUser, secretAccessKey: minio.rootPassword };
    database = await createDatabase('static_vending');
    catalog = await startTestCatalog({
      databaseUrl: database.url,
      warehouseLocation: 's3://lake/wh',
      env: {
        CATALOG_S3_ENDPOINT: minio.endpoint,
        CATALOG_S3_PATH_STYLE: 'true',
        CATALOG_S3_VENDING: 'static',
        CATALOG_S3_VENDING_ACCESS_KEY_ID: engineKeys.accessKeyId,
        CATALOG_S3_VENDING_SECRET_ACCESS_KEY: engineKeys.secretAccessKey,
        CATALOG_S3_REMOTE_SIGNING: 'true',
      },
    });
    await ok(rest().request('POST', '/v1/default/namespaces', { namespace: ['prod'] }));
    await ok(rest().request('POST', '/v1/default/namespaces/prod/tables', { name: 'orders', schema: simpleSchema }));
  });

  after(async () => {
    await catalog?.close();
    await database?.drop();
    await minio?.stop();
  });

  test('a load asking for them carries the configured keys, no session and no expiry, and they read the table', async () => {
    const loaded = await ok(rest().request('GET', '/v1/default/namespaces/prod/tables/orders', undefined, VENDED));
    const config = loaded.config as Record<string, string>;
    assert.equal(config['s3.access-key-id'], engineKeys.accessKeyId);
    assert.equal(config['s3.secret-access-key'], engineKeys.secretAccessKey);
    assert.equal(config['s3.session-token'], undefined);
    assert.equal(config['s3.session-token-expires-at-ms'], undefined);
    const plain = await ok(rest().request('GET', '/v1/default/namespaces/prod/tables/orders'));
    assert.ok(!JSON.stringify(plain).includes(engineKeys.secretAccessKey), 'only when asked for');
    const s3 = new S3Client({ endpoint: minio.endpoint, region: 'us-east-1', forcePathStyle: true, credentials: engineKeys });
    try {
      const [, key] = /^s3:\/\/lake\/(.+)$/.exec(loaded['metadata-location'])!;
      const object = await s3.send(new GetObjectCommand({ Bucket: 'lake', Key: key }));
      assert.match(await object.Body!.transformToString(), /"format-version"/);
    } finally {
      s3.destroy();
    }
  });

  test('signing with static keys: the store accepts what the catalog signs', async () => {
    const loaded = await ok(rest().request('GET', '/v1/default/namespaces/prod/tables/orders'));
    const uri = `${minio.endpoint}/${loaded['metadata-location'].replace('s3://', '')}`;
    const signed = await ok(rest().request('POST', '/v1/default/namespaces/prod/tables/orders/sign', { region: 'us-east-1', uri, method: 'GET', headers: {} }));
    const headers = Object.fromEntries(Object.entries(signed.headers as Record<string, string[]>).map(([k, v]) => [k, v.join(',')]));
    assert.match(headers.authorization ?? headers.Authorization, new RegExp(`Credential=${engineKeys.accessKeyId}/`));
    assert.equal((await fetch(signed.uri, { headers })).status, 200);
  });
});
