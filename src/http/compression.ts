// Read answers are compressed when the client asks (Accept-Encoding: br or gzip): a loadTable of a
// table with a hundred snapshots is ~83 KB of JSON and a seventh of that gzipped. Answers under
// COMPRESSION_THRESHOLD_BYTES go as they are: compressing them costs more than it saves.
//
// ETags: one table version is served in several codings under one tag, so a compressed answer
// carries the tag weak (W/"..."), as HTTP asks of a tag shared by representations that are
// equivalent but not byte-identical. If-None-Match compares weakly (routes strip W/), so a
// client revalidates with either form, and a 304 echoes the form the client holds.
// Request bodies are never decompressed: a gzip body would bypass the body limits' meaning.
//
// loadTable compresses on its own (compressedLoadBody): a table version's answer is compressed
// once and cached with it, so a compressed load costs what a plain one does. Java clients
// (Apache HttpClient) ask for gzip on every request.
import { constants, brotliCompressSync, gzipSync } from 'node:zlib';
import compress from '@fastify/compress';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { BodyVariant } from '../catalog/metadata-cache.js';

export const COMPRESSION_THRESHOLD_BYTES = 1024;

/**
 * Which answers are compressed: reads (loads, listings, lineage) and clone answers, which
 * clients fetch to read. Writes' answers (a commit's metadata, a create's) are not: a writer
 * reads each once, and on a catalog bound by CPU compressing them cost commit throughput.
 */
export function compressesAnswersOf(method: string | string[], url: string): boolean {
  const methods = Array.isArray(method) ? method : [method];
  return methods.every((m) => m === 'GET') || /\/clone$/.test(url);
}

export async function registerCompression(app: FastifyInstance): Promise<void> {
  // Runs before the plugin's own onRoute hook, which reads `compress` (false: left alone).
  app.addHook('onRoute', (route) => {
    if (route.compress === undefined && !compressesAnswersOf(route.method, route.url)) route.compress = false;
  });
  await app.register(compress, {
    global: true,
    globalDecompression: false,
    encodings: ['br', 'gzip'],
    threshold: COMPRESSION_THRESHOLD_BYTES,
  });
  // Route-level onSend hooks run after the plugin's, which this one must follow: it sees the
  // Content-Encoding the plugin chose.
  app.addHook('onRoute', (route) => {
    const hooks = route.onSend === undefined ? [] : Array.isArray(route.onSend) ? route.onSend : [route.onSend];
    route.onSend = [...hooks, weakenEtagOfEncodedAnswer];
  });
}

async function weakenEtagOfEncodedAnswer(_request: FastifyRequest, reply: FastifyReply, payload: unknown) {
  const etag = reply.getHeader('etag');
  if (typeof etag === 'string' && etag.startsWith('"') && reply.getHeader('content-encoding') !== undefined) {
    reply.header('etag', `W/${etag}`);
  }
  return payload;
}

export type ContentCoding = 'br' | 'gzip';

/** Cached forms of a load body; brotli at quality 5, since each version is compressed once. */
export const LOAD_BODY_VARIANTS: Readonly<Record<ContentCoding, BodyVariant>> = {
  br: { key: 'br', encode: (body) => brotliCompressSync(body, { params: { [constants.BROTLI_PARAM_QUALITY]: 5, [constants.BROTLI_PARAM_SIZE_HINT]: body.byteLength } }) },
  gzip: { key: 'gzip', encode: (body) => gzipSync(body) },
};

/**
 * The coding to answer in for an Accept-Encoding header: the highest q-value among br and
 * gzip (`x-gzip` and `*` count), brotli on a tie; undefined for none (identity).
 */
export function preferredCoding(header: string | string[] | undefined): ContentCoding | undefined {
  if (header === undefined) return undefined;
  const q: Partial<Record<ContentCoding | '*', number>> = {};
  for (const part of (Array.isArray(header) ? header.join(',') : header).split(',')) {
    const [rawName, ...params] = part.trim().toLowerCase().split(';');
    const name = rawName.trim() === 'x-gzip' ? 'gzip' : rawName.trim();
    if (name !== 'br' && name !== 'gzip' && name !== '*') continue;
    const qParam = params.map((p) => p.trim()).find((p) => p.startsWith('q='));
    const value = qParam === undefined ? 1 : Number(qParam.slice(2));
    q[name] = Math.max(q[name] ?? 0, Number.isFinite(value) ? value : 0);
  }
  const br = q.br ?? q['*'] ?? 0;
  const gzip = q.gzip ?? q['*'] ?? 0;
  if (br <= 0 && gzip <= 0) return undefined;
  return br >= gzip ? 'br' : 'gzip';
}
