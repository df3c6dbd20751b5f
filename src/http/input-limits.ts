// Limits on what one request may carry, and the checks every decoded string of a request
// passes (path parameters, query values, every key and string of a JSON body). They keep a
// request at the limits within the heap (docs/benchmarks.md, "Request memory") and turn
// values Postgres cannot store into a 400 here, before any work is done.
import { MAX_NAMESPACE_BYTES } from '../catalog/name-limits.js';
import { badRequest } from '../iceberg/errors.js';

/** Deepest nesting of a JSON body. Iceberg's deepest documents (nested struct types) stay far below. */
export const MAX_JSON_DEPTH = 64;

/**
 * The router's limit on one path parameter: the longest namespace that can be created
 * (MAX_NAMESPACE_BYTES) with every byte percent-encoded. A table name (255 characters of up to
 * four bytes each) fits too.
 */
export const ROUTER_MAX_PARAM_LENGTH = 3 * MAX_NAMESPACE_BYTES;

/** Most properties one request may set (a create's `properties`, `updates`, a set-properties update). */
export const MAX_PROPERTIES_PER_REQUEST = 10_000;

/** A page holds at most this many entries, whatever pageSize asks (spec: pageSize is an upper bound). */
export const MAX_PAGE_SIZE = 1000;

// A high surrogate not followed by a low one, or a low one not preceded by a high one.
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

export type InputProblem = 'nul' | 'lone-surrogate';

/** Why a string cannot be taken: U+0000 (Postgres text cannot hold it) or a lone surrogate (not Unicode). */
export function textProblem(text: string): InputProblem | undefined {
  if (text.includes('\0')) return 'nul';
  if (LONE_SURROGATE.test(text)) return 'lone-surrogate';
  return undefined;
}

const PROBLEM_TEXT: Record<InputProblem, string> = {
  nul: 'contains a NUL character (U+0000)',
  'lone-surrogate': 'contains a lone UTF-16 surrogate (not a Unicode character)',
};

export function requireAcceptableText(text: string, where: string): void {
  const problem = textProblem(text);
  if (problem) throw badRequest(`Invalid ${where}: ${PROBLEM_TEXT[problem]}`);
}

/**
 * Checks every key and string of a parsed JSON body. Iterative, so no body can exhaust the stack
 * (depth is capped at parse time too); the message names the member holding the first bad value.
 */
export function requireAcceptableJson(body: unknown): void {
  const stack: [value: unknown, key: string][] = [[body, '']];
  while (stack.length > 0) {
    const [value, key] = stack.pop()!;
    if (typeof value === 'string') {
      requireAcceptableText(value, key === '' ? 'request body' : `request body: the value of ${JSON.stringify(key.slice(0, 100))}`);
    } else if (Array.isArray(value)) {
      for (let i = value.length - 1; i >= 0; i--) stack.push([value[i], key]);
    } else if (value !== null && typeof value === 'object') {
      for (const [name, member] of Object.entries(value)) {
        requireAcceptableText(name, 'request body: a key');
        stack.push([member, name]);
      }
    }
  }
}

export function utf8Length(text: string): number {
  return Buffer.byteLength(text, 'utf8');
}
