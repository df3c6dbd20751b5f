// Request bodies are parsed with the int64-safe JSON parser: Java and Python clients send
// snapshot ids beyond 2^53, which JSON.parse would round.
import type { FastifyInstance } from 'fastify';
import { badRequest } from '../iceberg/errors.js';
import { parseJson } from '../json/int64-json.js';

export function registerJsonBodyParser(app: FastifyInstance): void {
  app.removeContentTypeParser(['application/json', 'text/plain']);
  app.addContentTypeParser(['application/json', 'text/plain'], { parseAs: 'string' }, (_request, body, done) => {
    const text = body as string;
    if (text.trim() === '') return done(null, undefined);
    try {
      done(null, parseJson(text));
    } catch (error) {
      done(badRequest(`Malformed JSON request body: ${(error as Error).message}`), undefined);
    }
  });
}
