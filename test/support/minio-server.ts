// MinIO on loopback, for the tests that need an S3 server to enforce what a vended credential
// may do (scripts/test-env/ensure_minio.py builds it; the test stage passes its path in
// CATALOG_TEST_MINIO_BIN). Started per test file in a fresh directory, stopped by its pid.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from './catalog-process.js';

export const minioBinary = process.env.CATALOG_TEST_MINIO_BIN || undefined;
export const noMinio = minioBinary ? false : 'CATALOG_TEST_MINIO_BIN is not set (run through npm test, which builds MinIO)';

export interface MinioServer {
  endpoint: string;
  rootUser: string;
  rootPassword: string;
  stop(): Promise<void>;
}

export async function startMinio(binary: string | undefined = minioBinary): Promise<MinioServer> {
  if (!binary) throw new Error(noMinio || 'no MinIO binary');
  const dir = await mkdtemp(join(tmpdir(), 'minio-'));
  const port = await freePort();
  const rootUser = 'catalog-root';
  const rootPassword = `root-${crypto.randomUUID()}`;
  const child: ChildProcess = spawn(binary, ['server', join(dir, 'data'), '--address', `127.0.0.1:${port}`, '--quiet'], {
    env: { ...process.env, MINIO_ROOT_USER: rootUser, MINIO_ROOT_PASSWORD: rootPassword, MINIO_BROWSER: 'off', MINIO_UPDATE: 'off' },
    stdio: 'ignore',
  });
  const endpoint = `http://127.0.0.1:${port}`;
  const stop = async () => {
    if (child.exitCode === null) {
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      await Promise.race([exited, new Promise((resolve) => setTimeout(resolve, 5_000))]);
      if (child.exitCode === null) child.kill('SIGKILL');
    }
    await rm(dir, { recursive: true, force: true });
  };
  for (const deadline = Date.now() + 30_000; ; ) {
    if (child.exitCode !== null) throw new Error(`MinIO exited with ${child.exitCode} while starting`);
    const ready = await fetch(`${endpoint}/minio/health/ready`).then((r) => r.ok, () => false);
    if (ready) return { endpoint, rootUser, rootPassword, stop };
    if (Date.now() > deadline) {
      await stop();
      throw new Error('MinIO did not become ready within 30 s');
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

/**
 * MinIO with a bucket `lake`, whose root keys are this process's AWS keys (the catalog's own,
 * as a deployment gives it its role) until stop() puts the previous ones back.
 */
export async function startLakeMinio(binary: string | undefined = minioBinary): Promise<MinioServer> {
  const minio = await startMinio(binary);
  const saved = { id: process.env.AWS_ACCESS_KEY_ID, secret: process.env.AWS_SECRET_ACCESS_KEY };
  process.env.AWS_ACCESS_KEY_ID = minio.rootUser;
  process.env.AWS_SECRET_ACCESS_KEY = minio.rootPassword;
  const { CreateBucketCommand, S3Client } = await import('@aws-sdk/client-s3');
  const root = new S3Client({ endpoint: minio.endpoint, region: 'us-east-1', forcePathStyle: true });
  try {
    await root.send(new CreateBucketCommand({ Bucket: 'lake' }));
  } finally {
    root.destroy();
  }
  const restore = (name: 'AWS_ACCESS_KEY_ID' | 'AWS_SECRET_ACCESS_KEY', value: string | undefined) => {
    if (value === undefined) delete process.env[name];
    else process.env[name] = value;
  };
  return {
    ...minio,
    stop: async () => {
      await minio.stop();
      restore('AWS_ACCESS_KEY_ID', saved.id);
      restore('AWS_SECRET_ACCESS_KEY', saved.secret);
    },
  };
}
