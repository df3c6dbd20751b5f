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

/**
 * The codecs, each refusing to inflate past `budget.left` bytes (shared by the blocks of one
 * file): a small file that inflates to gigabytes must not be inflated. Deflate stops at the
 * limit; snappy states its length up front; zstandard is checked after each block.
 */
function codecs(budget: { left: number }): Record<string, Codec> {
  const spend = (length: number) => {
    budget.left -= length;
    if (budget.left < 0) throw new DamagedContainerError('Avro container inflates past the cap for this kind of file');
  };
  const guarded = (inflateBlock: (block: Buffer) => Buffer): Codec => (block, done) => {
    try {
      const out = inflateBlock(block);
      spend(out.length);
      done(null, out);
    } catch (error) {
      done(error as Error);
    }
  };
  return {
    // Passing codecs replaces avsc's built-in ones, so the uncompressed case is listed too.
    null: guarded((block) => block),
    deflate: (block, done) => {
      inflate(block, { maxOutputLength: Math.max(1, Math.min(budget.left, MAX_BLOCK_BYTES)) }).then(
        (out) => guarded(() => out)(block, done),
        (error: NodeJS.ErrnoException) =>
          done(error.code === 'ERR_BUFFER_TOO_LARGE' ? new DamagedContainerError('Avro container inflates past the cap for this kind of file') : error),
      );
    },
    // Avro's snappy blocks end with the big-endian CRC-32 of the uncompressed bytes.
    snappy: guarded((block) => {
      const [length] = readVarUint(block, 0);
      if (length > budget.left || length > MAX_BLOCK_BYTES) throw new DamagedContainerError('Avro container inflates past the cap for this kind of file');
      const out = Buffer.from(snappy.uncompress(block.subarray(0, block.length - 4)));
      if (crc32(out) !== block.readUInt32BE(block.length - 4)) throw new Error('snappy block checksum mismatch');
      return out;
    }),
    zstandard: guarded((block) => {
      const out = zstdDecompress(block);
      if (out.length > MAX_BLOCK_BYTES) throw new DamagedContainerError('Avro container inflates past the cap for this kind of file');
      return Buffer.from(out.buffer, out.byteOffset, out.byteLength);
    }),
  };
}

/**
 * One block inflated at once, held off the heap: Avro writers end a block every 64 KB or so
 * (Avro's sync interval), so a block past this is a bomb, not a manifest.
 */
const MAX_BLOCK_BYTES = 64 * 1024 * 1024;

/** An unsigned varint (snappy's length preamble). */
function readVarUint(bytes: Uint8Array, pos: number): [number, number] {
  let result = 0;
  for (let shift = 0; shift < 35; shift += 7) {
    if (pos >= bytes.length) throw new DamagedContainerError('snappy block is truncated');
    const byte = bytes[pos++];
    result += (byte & 0x7f) * 2 ** shift;
    if ((byte & 0x80) === 0) return [result, pos];
  }
  throw new DamagedContainerError('snappy block has a malformed length');
}

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

/** More records than the caller allows (it may try again with a larger limit). */
export class TooManyRecordsError extends Error {
  constructor(readonly limit: number) {
    super(`more than ${limit} entries`);
  }
}

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
 * would look like fewer references, so files still in use could be deleted. Returns the
 * header's metadata (the writer's schema, the codec).
 */
export function checkContainerFraming(bytes: Uint8Array): Map<string, Uint8Array> {
  if (bytes.length < 4 || bytes[0] !== 0x4f || bytes[1] !== 0x62 || bytes[2] !== 0x6a || bytes[3] !== 1) {
    throw new DamagedContainerError('not an Avro object container file');
  }
  const metadata = new Map<string, Uint8Array>();
  let pos = 4;
  const skip = (length: number) => {
    if (length < 0 || pos + length > bytes.length) throw new DamagedContainerError('Avro container is truncated');
    pos += length;
    return bytes.subarray(pos - length, pos);
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
      const key = Buffer.from(skip(length)).toString('utf8');
      [length, pos] = readVarLong(bytes, pos);
      metadata.set(key, skip(length));
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
  return metadata;
}

/** Fields to decode, by name; a nested object selects inside a record-typed field. */
export type FieldSelection = { readonly [name: string]: true | FieldSelection };

export interface ReadContainerOptions<T> {
  /**
   * Only these fields are decoded; the others are skipped by the decoder, never built as
   * objects. A manifest entry's column statistics are most of its bytes, and decoding them
   * whole takes about ten times the file's size in heap.
   */
  fields?: FieldSelection;
  /** Bytes all blocks may inflate to together (a compressed file can inflate a thousandfold). */
  maxDecodedBytes?: number;
  /** Records the file may hold: each is kept in memory until the caller is done. */
  maxRecords?: number;
  /** Turns each record into what the caller keeps, as it is decoded. */
  map?: (record: Record<string, unknown>) => T;
}

/** The writer's record schema with only the selected fields (unions and named references are kept whole). */
function project(schema: unknown, fields: FieldSelection): unknown {
  if (schema === null || typeof schema !== 'object' || Array.isArray(schema)) return schema;
  const record = schema as { type?: unknown; fields?: { name: string; type: unknown }[] };
  if (record.type !== 'record' || !Array.isArray(record.fields)) return schema;
  return {
    ...record,
    fields: record.fields
      .filter((f) => Object.hasOwn(fields, f.name))
      .map((f) => (fields[f.name] === true ? f : { ...f, type: project(f.type, fields[f.name] as FieldSelection) })),
  };
}

const typeOf = (schema: unknown) => avro.Type.forSchema(schema as avro.Schema, { registry: { long: exactLong } } as never);

/** Every record of a container file, decoded with the writer's schema (or the selected part of it). */
export async function readAvroContainer<T = Record<string, unknown>>(bytes: Uint8Array, options: ReadContainerOptions<T> = {}): Promise<T[]> {
  const metadata = checkContainerFraming(bytes);
  let readerType: avro.Type | undefined;
  const schemaBytes = metadata.get('avro.schema');
  if (options.fields && schemaBytes) {
    try {
      readerType = typeOf(project(JSON.parse(Buffer.from(schemaBytes).toString('utf8')), options.fields));
    } catch {
      readerType = undefined; // a schema the projection cannot express: decode it whole
    }
  }
  const decoder = new avro.streams.BlockDecoder({
    codecs: codecs({ left: options.maxDecodedBytes ?? Number.MAX_SAFE_INTEGER }),
    parseHook: (schema: avro.Schema) => typeOf(schema),
    ...(readerType ? { readerSchema: readerType } : {}),
  } as never);
  const map = options.map ?? ((record: Record<string, unknown>) => record as T);
  const records: T[] = [];
  return new Promise((resolve, reject) => {
    const maxRecords = options.maxRecords ?? Infinity;
    decoder.on('data', (record: Record<string, unknown>) => {
      try {
        if (records.length >= maxRecords) throw new TooManyRecordsError(maxRecords);
        records.push(map(record));
      } catch (error) {
        decoder.destroy(error as Error);
      }
    });
    decoder.on('end', () => resolve(records));
    // avsc wraps a codec's error; a refusal of ours is the message worth keeping.
    decoder.on('error', (error: Error) => reject(error.cause instanceof DamagedContainerError ? error.cause : error));
    decoder.end(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength));
  });
}
