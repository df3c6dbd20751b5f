// Manifest lists and manifests with just the fields the collector reads, for tests that need
// a snapshot whose files are real Avro object container files on disk.
import avro from 'avsc';

async function container(type: avro.Type, records: unknown[]): Promise<Buffer> {
  const encoder = new avro.streams.BlockEncoder(type, { codec: 'deflate' });
  const chunks: Buffer[] = [];
  encoder.on('data', (chunk: Buffer) => chunks.push(chunk));
  const done = new Promise((resolve) => encoder.on('end', resolve));
  for (const record of records) encoder.write(record);
  encoder.end();
  await done;
  return Buffer.concat(chunks);
}

const manifestFile = avro.Type.forSchema({
  type: 'record',
  name: 'manifest_file',
  fields: [
    { name: 'manifest_path', type: 'string' },
    { name: 'manifest_length', type: 'long' },
    { name: 'content', type: 'int' },
  ],
});

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

/** A manifest list naming data manifests (path, length). */
export function manifestList(manifests: { path: string; length: number }[]): Promise<Buffer> {
  return container(manifestFile, manifests.map((m) => ({ manifest_path: m.path, manifest_length: m.length, content: 0 })));
}

/** A data manifest whose entries are all ADDED data files. */
export function dataManifest(files: { path: string; size: number }[]): Promise<Buffer> {
  return container(
    manifestEntry,
    files.map((f) => ({ status: 1, data_file: { content: 0, file_path: f.path, file_size_in_bytes: f.size } })),
  );
}
