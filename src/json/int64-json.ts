// Iceberg snapshot ids are random int64 values, usually beyond 2^53, so the JavaScript
// number type cannot hold them. Everything that crosses a JSON boundary (request bodies,
// stored metadata documents, responses) goes through this module: integers outside the
// safe range become bigint, everything else stays a plain number, and both serialize back
// to exactly the digits they came from.
//
// Parsing is V8's own JSON.parse, after one linear scan of the text. (A parser written in
// JavaScript that builds strings a character at a time, as lossless-json does, holds ~33 bytes
// of heap per character while it works: a 6 MiB string took the 192 MB heap down.) The scan
// finds the integers JSON.parse would round and rewrites each as a marked string, which the
// reviver turns into a bigint; it also measures the nesting depth, which the caller may cap.
import { stringify as losslessStringify } from 'lossless-json';

export type Int64 = number | bigint;

export interface ParseOptions {
  /** Deepest nesting of arrays and objects accepted; deeper text is refused with JsonLimitError. */
  maxDepth?: number;
  /** Most arrays and objects in the text (each costs heap far beyond its two bytes of text). */
  maxContainers?: number;
}

export class JsonLimitError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'JsonLimitError';
  }
}

// A marked string starts with U+0001, which JSON text can only spell as the escape \u0001 (raw
// control characters are not allowed in strings, and the escape has no letters, so no other
// spelling exists). A genuine string value that starts with it gets the mark doubled, so a
// marked value is never mistaken for a genuine one: "\u0001<digits>" is a bigint, "\u0001\u0001..."
// a genuine string with one mark removed.
const MARK = '\\u0001';
const MARK_CODE = 1;

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const COLON = 0x3a;

const isNumberStart = (c: number) => c === 0x2d || (c >= 0x30 && c <= 0x39);
const isNumberChar = (c: number) => isNumberStart(c) || c === 0x2e || c === 0x2b || c === 0x65 || c === 0x45;
const isWhitespace = (c: number) => c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09;

/** An integer literal that Number() would round (more digits than 2^53 can carry exactly). */
function isUnsafeInteger(token: string): boolean {
  const digits = token.charCodeAt(0) === 0x2d ? token.length - 1 : token.length;
  if (digits < 16) return false;
  for (let i = token.charCodeAt(0) === 0x2d ? 1 : 0; i < token.length; i++) {
    const c = token.charCodeAt(i);
    if (c < 0x30 || c > 0x39) return false; // a fraction or an exponent: a double, as JSON.parse reads it
  }
  return !Number.isSafeInteger(Number(token));
}

/** Index just past the closing quote of the string that opens at `start`. Malformed text is left to JSON.parse. */
function endOfString(text: string, start: number): number {
  let i = start + 1;
  for (;;) {
    const quote = text.indexOf('"', i);
    if (quote < 0) return text.length;
    let backslashes = 0;
    for (let j = quote - 1; j > start && text.charCodeAt(j) === BACKSLASH; j--) backslashes++;
    if (backslashes % 2 === 0) return quote + 1;
    i = quote + 1;
  }
}

function isObjectKey(text: string, afterString: number): boolean {
  let i = afterString;
  while (i < text.length && isWhitespace(text.charCodeAt(i))) i++;
  return text.charCodeAt(i) === COLON;
}

function revive(_key: string, value: unknown): unknown {
  if (typeof value !== 'string' || value.charCodeAt(0) !== MARK_CODE) return value;
  return value.charCodeAt(1) === MARK_CODE ? value.slice(1) : BigInt(value.slice(1));
}

export function parseJson(text: string, options: ParseOptions = {}): unknown {
  const maxDepth = options.maxDepth ?? Infinity;
  const maxContainers = options.maxContainers ?? Infinity;
  let containers = 0;
  const pieces: string[] = [];
  let copiedUpTo = 0;
  let depth = 0;
  let i = 0;
  while (i < text.length) {
    const c = text.charCodeAt(i);
    if (c === QUOTE) {
      const end = endOfString(text, i);
      if (text.startsWith(MARK, i + 1) && !isObjectKey(text, end)) {
        pieces.push(text.slice(copiedUpTo, i + 1), MARK);
        copiedUpTo = i + 1;
      }
      i = end;
    } else if (c === 0x7b || c === 0x5b) {
      if (++depth > maxDepth) throw new JsonLimitError(`nested deeper than ${maxDepth} levels`);
      if (++containers > maxContainers) throw new JsonLimitError(`more than ${maxContainers} arrays and objects`);
      i++;
    } else if (c === 0x7d || c === 0x5d) {
      depth--;
      i++;
    } else if (isNumberStart(c)) {
      let end = i + 1;
      while (end < text.length && isNumberChar(text.charCodeAt(end))) end++;
      const token = text.slice(i, end);
      if (isUnsafeInteger(token)) {
        pieces.push(text.slice(copiedUpTo, i), `"${MARK}${token}"`);
        copiedUpTo = end;
      }
      i = end;
    } else {
      i++;
    }
  }
  if (pieces.length === 0) return JSON.parse(text);
  pieces.push(text.slice(copiedUpTo));
  return JSON.parse(pieces.join(''), revive);
}

export function stringifyJson(value: unknown): string {
  const text = losslessStringify(value);
  if (text === undefined) throw new TypeError('value cannot be serialized to JSON');
  return text;
}

/** Normalises any integer representation to the canonical one used by parseJson. */
export function toInt64(value: number | bigint | string): Int64 {
  const big = typeof value === 'bigint' ? value : BigInt(value);
  const asNumber = Number(big);
  return Number.isSafeInteger(asNumber) ? asNumber : big;
}

export function isInt64(value: unknown): value is Int64 {
  return (typeof value === 'number' && Number.isInteger(value)) || typeof value === 'bigint';
}

export function int64Equals(a: Int64 | null | undefined, b: Int64 | null | undefined): boolean {
  if (a === null || a === undefined || b === null || b === undefined) return a == b;
  return BigInt(a) === BigInt(b);
}

/** A string key for maps and sets, since 5 and 5n are different keys in a Map. */
export function int64Key(value: Int64): string {
  return value.toString();
}

export function compareInt64(a: Int64, b: Int64): number {
  const x = BigInt(a);
  const y = BigInt(b);
  return x < y ? -1 : x > y ? 1 : 0;
}
