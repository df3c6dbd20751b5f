// Our manifest reader against manifests PyIceberg wrote (test/fixtures/avro, made by
// generate.py there), compared with what PyIceberg itself reports about those tables.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { readAvroContainer } from '../../../src/gc/avro-container.js';
import { liveEntries, readManifest, readManifestList } from '../../../src/gc/manifest-reader.js';

const fixture = (codec: string, file: string) => readFileSync(new URL(`../../fixtures/avro/${codec}/${file}`, import.meta.url));

for (const codec of ['gzip', 'zstd', 'snappy']) {
  describe(`manifests compressed with ${codec}`, () => {
    const expected = JSON.parse(fixture(codec, 'expected.json').toString()) as {
      manifests: string[];
      'manifest-lengths': number[];
      'live-data-files': string[];
      entries: { status: string; path: string }[];
    };

    it('reads the manifest list: every manifest with its length', async () => {
      const manifests = await readManifestList(fixture(codec, 'manifest-list.avro'));
      assert.deepEqual(manifests.map((m) => m.path), expected.manifests);
      assert.deepEqual(manifests.map((m) => m.length), expected['manifest-lengths']);
      assert.ok(manifests.every((m) => m.content === 'data'));
    });

    it('reads every entry with its status, and the live ones are the files PyIceberg reads', async () => {
      const entries = (
        await Promise.all(expected.manifests.map((_, i) => readManifest(fixture(codec, `manifest-${i}.avro`))))
      ).flat();
      const comparable = entries
        .map((e) => ({ status: e.status, path: e.path }))
        .sort((a, b) => (a.path === b.path ? a.status.localeCompare(b.status) : a.path < b.path ? -1 : 1));
      assert.deepEqual(comparable, expected.entries);
      assert.ok(entries.some((e) => e.status === 'deleted'), 'the fixture has a DELETED entry');
      assert.deepEqual(liveEntries(entries).map((e) => e.path).sort(), expected['live-data-files']);
      assert.ok(entries.every((e) => e.size > 0 && e.content === 'data'));
    });
  });
}

describe('damaged files', () => {
  it('refuses a file that is not an Avro container', async () => {
    await assert.rejects(readManifestList(Buffer.from('not avro at all')));
  });
  it('refuses a truncated manifest or manifest list, at any length, rather than reading fewer entries', async () => {
    for (const [codec, file] of [['zstd', 'manifest-0.avro'], ['gzip', 'manifest-list.avro'], ['snappy', 'manifest-1.avro']]) {
      const bytes = fixture(codec, file);
      for (const cut of [1, 8, 17, 40, Math.floor(bytes.length / 2)]) {
        await assert.rejects(readAvroContainer(bytes.subarray(0, bytes.length - cut)), `${codec}/${file} cut by ${cut}`);
      }
    }
  });
  it('refuses a block whose sync marker was altered', async () => {
    const bytes = Buffer.from(fixture('gzip', 'manifest-0.avro'));
    bytes[bytes.length - 1] ^= 0xff;
    await assert.rejects(readManifest(bytes), /sync marker/);
  });
});
