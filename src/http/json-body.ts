// Request bodies: JSON only, strict UTF-8, parsed with the int64-safe parser (Java and Python
// clients send snapshot ids beyond 2^53, which JSON.parse would round).
//
// Only `application/json` is parsed. Any other content type (text/plain, form encodings) is a
// 415: those are the types a web page may send cross-site without a CORS preflight, so a
// browser visiting a hostile page can never drive the catalog. A POST without a body needs no
// content type.
import type { FastifyInstance } from 'fastify';
import { CatalogError, badRequest } from '../iceberg/errors.js';
import { JsonLimitError, parseJson } from '../json/int64-json.js';
import { MAX_JSON_CONTAINERS, MAX_JSON_DEPTH, requireAcceptableJson } from './input-limits.js';

const strictUtf8 = new TextDecoder('utf-8', { fatal: true });

export const unsupportedMediaType = (message: string) => new CatalogError(415, 'UnsupportedMediaTypeException', message);

/** The charset parameter of a Content-Type, if any (RFC 9110: case-insensitive, maybe quoted). */
function charsetOf(contentType: string): string | undefined {
  const match = /;\s*charset\s*=\s*"?([^";\s]+)"?/i.exec(contentType);
  return match?.[1].toLowerCase();
}

/** Decodes, parses and checks one body; a client mistake becomes a 4xx CatalogError. */
export function parseJsonBody(contentType: string, body: Buffer): unknown {
  const charset = charsetOf(contentType);
  if (charset !== undefined && charset !== 'utf-8' && charset !== 'utf8') {
    throw unsupportedMediaType(`Unsupported charset ${charset}: JSON request bodies are UTF-8`);
  }
  let text: string;
  try {
    text = strictUtf8.decode(body);
  } catch {
    throw badRequest('Malformed request body: not valid UTF-8');
  }
  // No bytes at all is no body (an optional body left out); whitespace alone is malformed JSON.
  if (text === '') return undefined;
  let value: unknown;
  try {
    value = parseJson(text, { maxDepth: MAX_JSON_DEPTH, maxContainers: MAX_JSON_CONTAINERS });
  } catch (error) {
    if (error instanceof JsonLimitError) throw badRequest(`JSON request body beyond the catalog's limits: ${error.message}`);
    throw badRequest(`Malformed JSON request body: ${(error as Error).message}`);
  }
  requireAcceptableJson(value);
  return value;
}

export function registerJsonBodyParser(app: FastifyInstance): void {
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('application/json', { parseAs: 'buffer' }, (request, body, done) => {
    try {
      done(null, parseJsonBody(request.headers['content-type'] ?? '', body as Buffer));
    } catch (error) {
      done(error as Error, undefined);
    }
  });
}
