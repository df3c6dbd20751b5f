// The local store against hostile files: named pipes, devices, symbolic links to files and
// directories outside the warehouse, files over the cap. Each case must be refused quickly
// (a pipe opened for reading would block forever: every test has a short timeout) and leave
// the sentinel outside the warehouse unread and in place.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { lstat, mkdir, mkdtemp, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { FilesystemObjectStore, fileUri, fileUriToPath } from '../../../src/storage/filesystem-store.js';
import { RefusedObjectError } from '../../../src/storage/object-store.js';

const QUICK = { timeout: 5000 };
const store = new FilesystemObjectStore();
let scratch: string;
let warehouse: string;
let outside: string;
let root: string;

const refusedFor = (pattern: RegExp) => (error: unknown) => {
  assert.ok(error instanceof RefusedObjectError, `expected a refusal, got ${String(error)}`);
  assert.match(error.reason, pattern);
  return true;
};

before(async () => {
  scratch = await mkdtemp(join(tmpdir(), 'fs-store-'));
  warehouse = join(scratch, 'warehouse');
  outside = join(scratch, 'outside');
  root = fileUri(warehouse);
  await mkdir(join(warehouse, 't', 'metadata'), { recursive: true });
  await mkdir(outside);
  await writeFile(join(outside, 'sentinel'), 'outside the warehouse');
  execFileSync('mkfifo', [join(warehouse, 't', 'metadata', 'snap-fifo.avro')]);
  await symlink(join(outside, 'sentinel'), join(warehouse, 't', 'metadata', 'linked-file.avro'));
  await symlink('/dev/zero', join(warehouse, 't', 'metadata', 'zero.avro'));
  // A table data directory that is a link to a directory outside the warehouse.
  await symlink(outside, join(warehouse, 't', 'data'));
});

after(() => rm(scratch, { recursive: true, force: true }));

describe('FilesystemObjectStore.get refuses what is not a regular file', () => {
  it('a named pipe, unopened, with or without a root', QUICK, async () => {
    const uri = `${root}/t/metadata/snap-fifo.avro`;
    await assert.rejects(store.get(uri), refusedFor(/named pipe/));
    await assert.rejects(store.get(uri, { root }), refusedFor(/named pipe/));
  });

  it('a device named directly (file:///dev/zero)', QUICK, async () => {
    await assert.rejects(store.get('file:///dev/zero'), refusedFor(/character device/));
  });

  it('a symbolic link to a file, whatever it points at', QUICK, async () => {
    await assert.rejects(store.get(`${root}/t/metadata/linked-file.avro`, { root }), refusedFor(/symbolic link/));
    await assert.rejects(store.get(`${root}/t/metadata/zero.avro`), refusedFor(/symbolic link/));
  });

  it('a file reached through a linked directory below the root', QUICK, async () => {
    await assert.rejects(store.get(`${root}/t/data/sentinel`, { root }), refusedFor(/t\/data is a symbolic link/));
  });

  it('a file over the cap, and reads one at the cap', QUICK, async () => {
    await writeFile(join(warehouse, 't', 'metadata', 'ten.json'), '0123456789');
    const uri = `${root}/t/metadata/ten.json`;
    await assert.rejects(store.get(uri, { root, maxBytes: 9 }), refusedFor(/10 bytes, over the 9-byte cap/));
    assert.equal(Buffer.from((await store.get(uri, { root, maxBytes: 10 }))!).toString(), '0123456789');
  });

  it('answers undefined for a missing file or directory, and for a file used as a directory', QUICK, async () => {
    assert.equal(await store.get(`${root}/t/metadata/missing.avro`, { root }), undefined);
    assert.equal(await store.get(`${root}/nope/metadata/x.avro`, { root }), undefined);
    assert.equal(await store.get(`${root}/t/metadata/ten.json/x`, { root }), undefined);
  });

  it('follows a linked root: the root and its ancestors are the operator\'s', QUICK, async () => {
    const linkedRoot = join(scratch, 'linked-root');
    await symlink(warehouse, linkedRoot);
    const bytes = await store.get(`${fileUri(linkedRoot)}/t/metadata/ten.json`, { root: fileUri(linkedRoot) });
    assert.equal(Buffer.from(bytes!).toString(), '0123456789');
  });
});

describe('FilesystemObjectStore.put never writes through what was planted', () => {
  it('a pipe or a dangling link at the name: refused at once (EEXIST), nothing written outside', QUICK, async () => {
    await assert.rejects(store.put(`${root}/t/metadata/snap-fifo.avro`, 'x'), { code: 'EEXIST' });
    await symlink(join(outside, 'planted'), join(warehouse, 't', 'metadata', 'dangling.json'));
    await assert.rejects(store.put(`${root}/t/metadata/dangling.json`, 'x', { root }), { code: 'EEXIST' });
    assert.equal(existsSync(join(outside, 'planted')), false);
  });

  it('a linked directory below the root: refused, nothing created outside', QUICK, async () => {
    await assert.rejects(store.put(`${root}/t/data/new/part-0.parquet`, 'x', { root }), refusedFor(/symbolic link/));
    assert.equal(existsSync(join(outside, 'new')), false);
  });

  it('a pipe where a directory should be: refused, not blocked on', QUICK, async () => {
    execFileSync('mkfifo', [join(warehouse, 'piped')]);
    await assert.rejects(store.put(`${root}/piped/metadata/00000.metadata.json`, 'x', { root }), refusedFor(/named pipe/));
    await assert.rejects(store.put(`${root}/piped/metadata/00000.metadata.json`, 'x'));
  });

  it('creates missing directories below the root', QUICK, async () => {
    await store.put(`${root}/new-table/metadata/00000.metadata.json`, '{}', { root });
    assert.equal(await readFile(join(warehouse, 'new-table', 'metadata', '00000.metadata.json'), 'utf8'), '{}');
  });
});

describe('FilesystemObjectStore.ensureDirectory', () => {
  it('creates the directory and its parents below the root; an existing one is fine', QUICK, async () => {
    await store.ensureDirectory(`${root}/staged/metadata`, { root });
    await store.ensureDirectory(`${root}/staged/metadata`, { root });
    assert.ok((await lstat(join(warehouse, 'staged', 'metadata'))).isDirectory());
  });

  it('refuses a linked directory, a pipe on the way and a place outside the root, creating nothing', QUICK, async () => {
    await assert.rejects(store.ensureDirectory(`${root}/t/data/metadata`, { root }), refusedFor(/symbolic link/));
    assert.equal(existsSync(join(outside, 'metadata')), false);
    await assert.rejects(store.ensureDirectory(`${root}/t/metadata/snap-fifo.avro/x`, { root }), refusedFor(/named pipe/));
    await assert.rejects(store.ensureDirectory(fileUri(join(outside, 'made')), { root }), refusedFor(/outside/));
    assert.equal(existsSync(join(outside, 'made')), false);
  });
});

describe('FilesystemObjectStore.delete never follows a link', () => {
  it('refuses a file reached through a linked directory, with or without a root; the file outside stays', QUICK, async () => {
    const uri = `${root}/t/data/sentinel`;
    assert.deepEqual((await store.delete([uri], { root })).refused.map((r) => r.uri), [uri]);
    assert.match((await store.delete([uri])).refused[0].reason, /symbolic link/);
    assert.equal(await readFile(join(outside, 'sentinel'), 'utf8'), 'outside the warehouse');
  });

  it('removes a linked file itself, never its target', QUICK, async () => {
    const outcome = await store.delete([`${root}/t/metadata/linked-file.avro`], { root });
    assert.deepEqual(outcome.refused, []);
    await assert.rejects(lstat(join(warehouse, 't', 'metadata', 'linked-file.avro')), { code: 'ENOENT' });
    assert.equal(await readFile(join(outside, 'sentinel'), 'utf8'), 'outside the warehouse');
  });

  it('refuses a directory and a URI outside the root; deletes the rest of the batch', QUICK, async () => {
    await writeFile(join(warehouse, 't', 'metadata', 'garbage.avro'), 'x');
    const outcome = await store.delete(
      [`${root}/t/metadata`, `${fileUri(outside)}/sentinel`, `${root}/t/metadata/garbage.avro`, `${root}/t/metadata/gone.avro`],
      { root },
    );
    assert.deepEqual(outcome.refused.map((r) => r.uri).sort(), [`${fileUri(outside)}/sentinel`, `${root}/t/metadata`].sort());
    assert.equal(existsSync(join(warehouse, 't', 'metadata', 'garbage.avro')), false);
    assert.equal(existsSync(join(outside, 'sentinel')), true);
  });
});

describe('FilesystemObjectStore.list', () => {
  it('lists regular files only, and never enters a linked directory', QUICK, async () => {
    const listed: string[] = [];
    for await (const object of store.list(root)) listed.push(object.uri);
    assert.ok(listed.length > 0);
    assert.ok(listed.every((uri) => !uri.includes('/t/data/')), listed.join('\n'));
    assert.ok(!listed.some((uri) => /snap-fifo|zero\.avro|dangling|piped/.test(uri)), listed.join('\n'));
  });
});

describe('fileUriToPath', () => {
  it('takes file:/x, file:///x and file://localhost/x, and refuses another host', () => {
    assert.equal(fileUriToPath('file:/tmp/x'), '/tmp/x');
    assert.equal(fileUriToPath('file:///tmp/x'), '/tmp/x');
    assert.equal(fileUriToPath('file://LOCALHOST/tmp/x'), '/tmp/x');
    for (const uri of ['file://host/tmp/x', 'file://x', 'file:x', 's3://b/x']) assert.throws(() => fileUriToPath(uri), /Not a local file URI/, uri);
  });
});
