// Manifest lists and manifests with just the fields the collector's reader uses (spec:
// "Manifest Lists", "Manifests"), for tests that need a file to name exactly the paths they
// choose (spelled twice, outside the warehouse). Engines write the full schemas; the
// PyIceberg-written fixtures of test/fixtures/avro cover those.
import avro from 'avsc';

async function encode(type: avro.Type, records: unknown[], codec: 'deflate' | 'null'): Promise<Buffer> {
  const encoder = new avro.streams.BlockEncoder(type, { codec });
  const chunks: Buffer[] = [];
  encoder.on('data', (chunk: Buffer) => chunks.push(chunk));
  const done = new Promise((resolve) => encoder.on('end', resolve));
  for (const record of records) encoder.write(record);
  encoder.end();
  await done;
  return Buffer.concat(chunks);
}

const manifestEntry = avro.Type.forSchema({
  type: 'record',
  name: 'manifest_entry',
  fields: [
    { name: 'status', type: 'int' },
    {
      name: 'data_file',
      type: {
        type: 'record',
        name: 'r2',
        fields: [
          { name: 'content', type: 'int' },
          { name: 'file_path', type: 'string' },
          { name: 'file_size_in_bytes', type: 'long' },
        ],
      },
    },
  ],
});

const manifestFile = avro.Type.forSchema({
  type: 'record',
  name: 'manifest_file',
  fields: [
    { name: 'manifest_path', type: 'string' },
    { name: 'manifest_length', type: 'long' },
    { name: 'content', type: 'int' },
  ],
});

/** status: 0 EXISTING, 1 ADDED, 2 DELETED; content: 0 data, 1 position deletes, 2 equality deletes. */
export function writeManifest(
  entries: { status: number; content: number; path: string; size: number }[],
  codec: 'deflate' | 'null' = 'deflate',
): Promise<Buffer> {
  return encode(
    manifestEntry,
    entries.map((e) => ({ status: e.status, data_file: { content: e.content, file_path: e.path, file_size_in_bytes: e.size } })),
    codec,
  );
}

export function writeManifestList(manifests: { path: string; length: number }[]): Promise<Buffer> {
  return encode(manifestFile, manifests.map((m) => ({ manifest_path: m.path, manifest_length: m.length, content: 0 })), 'deflate');
}
