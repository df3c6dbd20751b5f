// Limits on what one request may carry, and the checks every decoded string of a request
// passes (path parameters, query values, every key and string of a JSON body). They keep a
// request at the limits within the heap (docs/benchmarks.md, "Request memory") and turn
// values Postgres cannot store into a 400 here, before any work is done.
import { MAX_NAMESPACE_BYTES } from '../catalog/name-limits.js';
import { badRequest } from '../iceberg/errors.js';

/** Deepest nesting of a JSON body. Iceberg's deepest documents (nested struct types) stay far below. */
export const MAX_JSON_DEPTH = 64;

/**
 * Most arrays and objects in one JSON body. Each costs tens of bytes of heap for two bytes of
 * text, so a body made of them is the costliest per byte; a schema of 100,000 columns stays below.
 */
export const MAX_JSON_CONTAINERS = 250_000;

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
 * Checks every key and string of a parsed JSON body; the message names the member holding the
 * first bad value. Recursive, which is safe because parsing capped the depth (MAX_JSON_DEPTH),
 * and allocation-free, since a body of millions of tiny values must not cost more heap here.
 */
export function requireAcceptableJson(body: unknown): void {
  checkValue(body, '');
}

function checkValue(value: unknown, key: string): void {
  if (typeof value === 'string') {
    if (textProblem(value)) requireAcceptableText(value, key === '' ? 'request body' : `request body: the value of ${JSON.stringify(key.slice(0, 100))}`);
  } else if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) checkValue(value[i], key);
  } else if (value !== null && typeof value === 'object') {
    for (const name in value) {
      if (!Object.hasOwn(value, name)) continue;
      if (textProblem(name)) requireAcceptableText(name, 'request body: a key');
      checkValue((value as Record<string, unknown>)[name], name);
    }
  }
}

export function utf8Length(text: string): number {
  return Buffer.byteLength(text, 'utf8');
}
