// Reads Avro object container files (spec: Avro 1.11, "Object Container Files") with the
// codecs Iceberg writers use: null, deflate (Java's "gzip"), snappy and zstandard. Longs are
// decoded exactly (as bigint) since manifests carry int64 snapshot ids.
import { promisify } from 'node:util';
import { inflateRaw } from 'node:zlib';
import avro from 'avsc';
import { decompress as zstdDecompress } from 'fzstd';
import snappy from 'snappyjs';

type Codec = (block: Buffer, done: (error: Error | null, inflated?: Buffer) => void) => void;

const inflate = promisify(inflateRaw);

const CRC_TABLE = Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});

function crc32(bytes: Uint8Array): number {
  let crc = 0xffffffff;
  for (const byte of bytes) crc = CRC_TABLE[(crc ^ byte) & 0xff] ^ (crc >>> 8);
  return (crc ^ 0xffffffff) >>> 0;
}

const CODECS: Record<string, Codec> = {
  // Passing codecs replaces avsc's built-in ones, so the uncompressed case is listed too.
  null: (block, done) => done(null, block),
  deflate: (block, done) => {
    inflate(block).then((out) => done(null, out), done);
  },
  // Avro's snappy blocks end with the big-endian CRC-32 of the uncompressed bytes.
  snappy: (block, done) => {
    try {
      const out = Buffer.from(snappy.uncompress(block.subarray(0, block.length - 4)));
      if (crc32(out) !== block.readUInt32BE(block.length - 4)) return done(new Error('snappy block checksum mismatch'));
      done(null, out);
    } catch (error) {
      done(error as Error);
    }
  },
  zstandard: (block, done) => {
    try {
      done(null, Buffer.from(zstdDecompress(block)));
    } catch (error) {
      done(error as Error);
    }
  },
};

const exactLong = avro.types.LongType.__with({
  fromBuffer: (buffer: Buffer) => buffer.readBigInt64LE(),
  toBuffer: (value: bigint) => {
    const buffer = Buffer.alloc(8);
    buffer.writeBigInt64LE(BigInt(value));
    return buffer;
  },
  fromJSON: (value: unknown) => BigInt(value as string),
  toJSON: (value: bigint) => value.toString(),
  isValid: (value: unknown) => typeof value === 'bigint',
  compare: (a: bigint, b: bigint) => (a === b ? 0 : a < b ? -1 : 1),
});

class DamagedContainerError extends Error {}

/** A zigzag varint (Avro long) at `pos`: its value and the position after it. */
function readVarLong(bytes: Uint8Array, pos: number): [number, number] {
  let result = 0n;
  let shift = 0n;
  for (;;) {
    if (pos >= bytes.length) throw new DamagedContainerError('Avro container is truncated');
    const byte = bytes[pos++];
    result |= BigInt(byte & 0x7f) << shift;
    if ((byte & 0x80) === 0) break;
    shift += 7n;
    if (shift > 63n) throw new DamagedContainerError('Avro container has a malformed length');
  }
  return [Number((result >> 1n) ^ -(result & 1n)), pos];
}

/**
 * Checks the container's framing before anything is decoded: the magic, the header, and
 * blocks that each end with the file's sync marker and together cover the file exactly. The
 * decoder alone stops quietly at a truncated block, and for a garbage collector a short read
 * would look like fewer references, so files still in use could be deleted.
 */
export function checkContainerFraming(bytes: Uint8Array): void {
  if (bytes.length < 4 || bytes[0] !== 0x4f || bytes[1] !== 0x62 || bytes[2] !== 0x6a || bytes[3] !== 1) {
    throw new DamagedContainerError('not an Avro object container file');
  }
  let pos = 4;
  const skip = (length: number) => {
    if (length < 0 || pos + length > bytes.length) throw new DamagedContainerError('Avro container is truncated');
    pos += length;
  };
  // The header's metadata map: blocks of (key, value) pairs, ended by a zero count.
  for (;;) {
    let count: number;
    [count, pos] = readVarLong(bytes, pos);
    if (count === 0) break;
    if (count < 0) {
      count = -count;
      [, pos] = readVarLong(bytes, pos); // the block's byte size
    }
    for (let i = 0; i < count; i++) {
      let length: number;
      [length, pos] = readVarLong(bytes, pos);
      skip(length);
      [length, pos] = readVarLong(bytes, pos);
      skip(length);
    }
  }
  skip(16);
  const sync = bytes.subarray(pos - 16, pos);
  while (pos < bytes.length) {
    let size: number;
    [, pos] = readVarLong(bytes, pos); // record count
    [size, pos] = readVarLong(bytes, pos);
    skip(size);
    skip(16);
    const marker = bytes.subarray(pos - 16, pos);
    if (!marker.every((b, i) => b === sync[i])) throw new DamagedContainerError('Avro block does not end with the sync marker');
  }
}

/** Every record of a container file, decoded with the writer's schema. */
export async function readAvroContainer(bytes: Uint8Array): Promise<Record<string, unknown>[]> {
  checkContainerFraming(bytes);
  const decoder = new avro.streams.BlockDecoder({
    codecs: CODECS,
    parseHook: (schema: avro.Schema) => avro.Type.forSchema(schema, { registry: { long: exactLong } }),
  } as never);
  const records: Record<string, unknown>[] = [];
  return new Promise((resolve, reject) => {
    decoder.on('data', (record: Record<string, unknown>) => records.push(record));
    decoder.on('end', () => resolve(records));
    decoder.on('error', reject);
    decoder.end(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength));
  });
}
