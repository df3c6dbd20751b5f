// Credentials the catalog vends, checked against an S3 server that enforces session policies
// (MinIO): a clone's credential reads its own files and its source's, writes (also by
// multipart) only its own, lists only those prefixes and deletes nothing; a read-only one
// writes nothing; another table's files stay out of reach. Asserted on the server's answers,
// not on the policy text.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import {
  CompleteMultipartUploadCommand,
  CreateBucketCommand,
  CreateMultipartUploadCommand,
  DeleteObjectCommand,
  GetObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  S3Client,
  UploadPartCommand,
} from '@aws-sdk/client-s3';
import { CredentialVendor, type VendedCredentials } from '../../src/storage/credential-vendor.js';
import { noMinio, startMinio, type MinioServer } from '../support/minio-server.js';

const BUCKET = 'lake';
const SOURCE = `s3://${BUCKET}/wh/prod/orders/`;
const CLONE = `s3://${BUCKET}/wh/dev/orders_clone/`;
const OTHER = `s3://${BUCKET}/wh/prod/payroll/`;
const keyOf = (prefix: string, name: string) => `${prefix.slice(`s3://${BUCKET}/`.length)}${name}`;

describe('vended credentials on a server that enforces them', { skip: noMinio }, () => {
  let minio: MinioServer;
  let root: S3Client;
  let vendor: CredentialVendor;
  const saved = { id: process.env.AWS_ACCESS_KEY_ID, secret: process.env.AWS_SECRET_ACCESS_KEY };

  const clientWith = (c: VendedCredentials) =>
    new S3Client({
      endpoint: minio.endpoint,
      region: 'us-east-1',
      forcePathStyle: true,
      credentials: { accessKeyId: c.accessKeyId, secretAccessKey: c.secretAccessKey, sessionToken: c.sessionToken },
    });
  /** The server's verdict on one call: 'ok' or the error's name (AccessDenied...). */
  const verdict = async (call: Promise<unknown>) =>
    call.then(
      () => 'ok',
      (error: { name?: string; Code?: string }) => error.Code ?? error.name ?? 'error',
    );
  const get = (s3: S3Client, prefix: string, name: string) => verdict(s3.send(new GetObjectCommand({ Bucket: BUCKET, Key: keyOf(prefix, name) })).then((r) => r.Body?.transformToString()));
  const put = (s3: S3Client, prefix: string, name: string) => verdict(s3.send(new PutObjectCommand({ Bucket: BUCKET, Key: keyOf(prefix, name), Body: 'x' })));
  const del = (s3: S3Client, prefix: string, name: string) => verdict(s3.send(new DeleteObjectCommand({ Bucket: BUCKET, Key: keyOf(prefix, name) })));
  const list = (s3: S3Client, prefix: string) => verdict(s3.send(new ListObjectsV2Command({ Bucket: BUCKET, Prefix: keyOf(prefix, '') })));
  const multipart = async (s3: S3Client, prefix: string, name: string) =>
    verdict(
      (async () => {
        const key = keyOf(prefix, name);
        const started = await s3.send(new CreateMultipartUploadCommand({ Bucket: BUCKET, Key: key }));
        const part = await s3.send(new UploadPartCommand({ Bucket: BUCKET, Key: key, UploadId: started.UploadId, PartNumber: 1, Body: 'part' }));
        await s3.send(new CompleteMultipartUploadCommand({ Bucket: BUCKET, Key: key, UploadId: started.UploadId, MultipartUpload: { Parts: [{ ETag: part.ETag, PartNumber: 1 }] } }));
      })(),
    );

  before(async () => {
    minio = await startMinio();
    // The catalog assumes the role with its own credentials (the SDK's default chain).
    process.env.AWS_ACCESS_KEY_ID = minio.rootUser;
    process.env.AWS_SECRET_ACCESS_KEY = minio.rootPassword;
    root = new S3Client({ endpoint: minio.endpoint, region: 'us-east-1', forcePathStyle: true });
    await root.send(new CreateBucketCommand({ Bucket: BUCKET }));
    for (const prefix of [SOURCE, CLONE, OTHER]) await root.send(new PutObjectCommand({ Bucket: BUCKET, Key: keyOf(prefix, 'data/f.parquet'), Body: prefix }));
    vendor = new CredentialVendor({ roleArn: 'arn:aws:iam::000000000000:role/catalog-vended', durationSeconds: 900, endpoint: minio.endpoint, region: 'us-east-1' });
  });

  after(async () => {
    vendor?.destroy();
    root?.destroy();
    await minio?.stop();
    process.env.AWS_ACCESS_KEY_ID = saved.id;
    process.env.AWS_SECRET_ACCESS_KEY = saved.secret;
  });

  test("a clone's credential reads its files and its source's, writes only its own, deletes nothing", async () => {
    const credentials = await vendor.vend({ read: [CLONE, SOURCE], write: [CLONE] }, 'writer');
    assert.ok(credentials.expiresAt!.getTime() > Date.now() + 800_000, 'about the lifetime asked for');
    const s3 = clientWith(credentials);
    try {
      assert.deepEqual(
        {
          readClone: await get(s3, CLONE, 'data/f.parquet'),
          readSource: await get(s3, SOURCE, 'data/f.parquet'),
          readOther: await get(s3, OTHER, 'data/f.parquet'),
          writeClone: await put(s3, CLONE, 'data/new.parquet'),
          writeSource: await put(s3, SOURCE, 'data/new.parquet'),
          writeOther: await put(s3, OTHER, 'data/new.parquet'),
          multipartClone: await multipart(s3, CLONE, 'data/big.parquet'),
          multipartSource: await multipart(s3, SOURCE, 'data/big.parquet'),
          deleteClone: await del(s3, CLONE, 'data/f.parquet'),
          deleteSource: await del(s3, SOURCE, 'data/f.parquet'),
          listClone: await list(s3, CLONE),
          listSource: await list(s3, SOURCE),
          listOther: await list(s3, OTHER),
        },
        {
          readClone: 'ok',
          readSource: 'ok',
          readOther: 'AccessDenied',
          writeClone: 'ok',
          writeSource: 'AccessDenied',
          writeOther: 'AccessDenied',
          multipartClone: 'ok',
          multipartSource: 'AccessDenied',
          deleteClone: 'AccessDenied',
          deleteSource: 'AccessDenied',
          listClone: 'ok',
          listSource: 'ok',
          listOther: 'AccessDenied',
        },
      );
      // Everything refused left the files as they were.
      assert.equal(await get(clientWith(credentials), CLONE, 'data/f.parquet'), 'ok');
      assert.equal(await verdict(root.send(new GetObjectCommand({ Bucket: BUCKET, Key: keyOf(SOURCE, 'data/new.parquet') }))), 'NoSuchKey');
    } finally {
      s3.destroy();
    }
  });

  test('a read-only credential writes nothing', async () => {
    const s3 = clientWith(await vendor.vend({ read: [CLONE, SOURCE], write: [] }, 'reader'));
    try {
      assert.deepEqual([await get(s3, SOURCE, 'data/f.parquet'), await put(s3, CLONE, 'data/r.parquet'), await multipart(s3, CLONE, 'data/r2.parquet')], ['ok', 'AccessDenied', 'AccessDenied']);
    } finally {
      s3.destroy();
    }
  });

  test('credentials are reused per access and principal while fresh, not across them', async () => {
    const access = { read: [SOURCE], write: [] };
    const first = await vendor.vend(access, 'analyst');
    assert.equal((await vendor.vend({ read: [SOURCE], write: [] }, 'analyst')).accessKeyId, first.accessKeyId);
    assert.notEqual((await vendor.vend(access, 'someone-else')).accessKeyId, first.accessKeyId);
    assert.notEqual((await vendor.vend({ read: [SOURCE, CLONE], write: [] }, 'analyst')).accessKeyId, first.accessKeyId);
  });
});
