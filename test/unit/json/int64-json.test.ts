// Lossless int64 JSON: snapshot ids beyond 2^53 must survive every parse/stringify.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  JsonLimitError,
  compareInt64,
  int64Equals,
  int64Key,
  isInt64,
  parseJson,
  stringifyJson,
  toInt64,
} from '../../../src/json/int64-json.js';

const MAX = '9223372036854775807';
const SNAPSHOT = '5727062988848725086';

describe('parseJson / stringifyJson', () => {
  it('keeps snapshot ids beyond 2^53 exact through parse and stringify', () => {
    for (const id of [MAX, SNAPSHOT, '-9223372036854775808', '9007199254740993']) {
      const text = `{"snapshot-id":${id},"refs":{"main":{"type":"branch","snapshot-id":${id}}}}`;
      const parsed = parseJson(text) as { 'snapshot-id': unknown; refs: { main: { 'snapshot-id': unknown } } };
      assert.equal(parsed['snapshot-id'], BigInt(id));
      assert.equal(parsed.refs.main['snapshot-id'], BigInt(id));
      assert.equal(stringifyJson(parsed), text);
    }
  });
  it('keeps safe integers as plain numbers', () => {
    const parsed = parseJson('{"a":1,"b":-42,"c":9007199254740991,"d":[0,7]}') as Record<string, unknown>;
    assert.equal(parsed.a, 1);
    assert.equal(parsed.b, -42);
    assert.equal(parsed.c, Number.MAX_SAFE_INTEGER);
    assert.equal(typeof parsed.c, 'number');
    assert.deepEqual(parsed.d, [0, 7]);
  });
  it('parses non-integers as numbers', () => {
    assert.deepEqual(parseJson('[1.5,-0.25,1e3,2.0]'), [1.5, -0.25, 1000, 2]);
  });
  it('parses strings, booleans, null and nesting like JSON.parse', () => {
    const text = '{"s":"x\\u00e9","t":true,"n":null,"o":{"l":[]}}';
    assert.deepEqual(parseJson(text), JSON.parse(text));
  });
  it('stringifies bigint and number mixes without quotes', () => {
    assert.equal(stringifyJson({ a: 5n, b: 5, c: [BigInt(MAX)] }), `{"a":5,"b":5,"c":[${MAX}]}`);
  });
  it('drops undefined properties like JSON.stringify', () => {
    assert.equal(stringifyJson({ a: undefined, b: 1 }), '{"b":1}');
  });
  it('refuses values that cannot be serialized', () => {
    assert.throws(() => stringifyJson(undefined), TypeError);
  });
  it('throws on malformed JSON', () => {
    assert.throws(() => parseJson('{"a":'));
    assert.throws(() => parseJson('{a:1}'));
  });
  it('treats __proto__ as an ordinary key', () => {
    const parsed = parseJson('{"__proto__":{"polluted":1}}') as Record<string, unknown>;
    assert.deepEqual(Object.keys(parsed), ['__proto__']);
    assert.equal(({} as Record<string, unknown>).polluted, undefined);
    assert.equal(Object.getPrototypeOf(parsed), Object.prototype);
  });
  it('keeps genuine strings that start with U+0001 (the mark the scan uses for big integers)', () => {
    const text = `{"a":"\\u0001","b":"\\u00011234567890123456789","c":["\\u0001\\u0001x"],"\\u0001k":${MAX}}`;
    const parsed = parseJson(text) as Record<string, unknown>;
    assert.deepEqual(parsed, { a: '\u0001', b: '\u00011234567890123456789', c: ['\u0001\u0001x'], '\u0001k': BigInt(MAX) });
    assert.deepEqual(parseJson('["\\u0001"]'), ['\u0001']);
  });
  it('reads integers inside strings, escaped quotes and exponents as JSON.parse does', () => {
    const text = `{"s":"\\"${MAX}\\\\","e":12345678901234567890e2,"f":-1234567890123456789.5}`;
    assert.deepEqual(parseJson(text), JSON.parse(text));
    assert.equal(parseJson(`[-${MAX}]`) instanceof Array, true);
    assert.deepEqual(parseJson(`[-${MAX}1]`), [-BigInt(`${MAX}1`)]);
  });
  it('refuses nesting deeper than maxDepth, and only then', () => {
    assert.deepEqual(parseJson('[[[]]]', { maxDepth: 3 }), [[[]]]);
    assert.throws(() => parseJson('[[[[]]]]', { maxDepth: 3 }), JsonLimitError);
    assert.throws(() => parseJson('{"a":{"b":{"c":{}}}}', { maxDepth: 3 }), JsonLimitError);
    assert.deepEqual(parseJson('["[[[[[["]', { maxDepth: 1 }), ['[[[[[[']);
  });
  it('refuses more arrays and objects than maxContainers, and only then', () => {
    assert.deepEqual(parseJson('[{},[]]', { maxContainers: 3 }), [{}, []]);
    assert.throws(() => parseJson('[{},[],{}]', { maxContainers: 3 }), JsonLimitError);
  });
  it('parses a string of millions of characters without holding the heap per character', () => {
    const text = JSON.stringify({ k: 'x'.repeat(8 * 1024 * 1024) });
    const before = process.memoryUsage().heapUsed;
    const parsed = parseJson(text) as { k: string };
    const grown = process.memoryUsage().heapUsed - before;
    assert.equal(parsed.k.length, 8 * 1024 * 1024);
    // lossless-json's parser held ~33 bytes per character (270 MB here); V8's holds the string once.
    assert.ok(grown < 64 * 1024 * 1024, `heap grew ${grown} bytes`);
  });
});

describe('toInt64', () => {
  it('normalises to number when safe and bigint otherwise', () => {
    assert.equal(toInt64('42'), 42);
    assert.equal(toInt64(42n), 42);
    assert.equal(toInt64(7), 7);
    assert.equal(toInt64(MAX), BigInt(MAX));
    assert.equal(toInt64(BigInt(SNAPSHOT)), BigInt(SNAPSHOT));
  });
  it('refuses non-integers', () => {
    assert.throws(() => toInt64('1.5'));
    assert.throws(() => toInt64(1.5));
  });
});

describe('isInt64', () => {
  it('accepts integers and bigints only', () => {
    assert.equal(isInt64(0), true);
    assert.equal(isInt64(-3), true);
    assert.equal(isInt64(BigInt(MAX)), true);
    assert.equal(isInt64(1.5), false);
    assert.equal(isInt64('1'), false);
    assert.equal(isInt64(null), false);
    assert.equal(isInt64(Number.NaN), false);
  });
});

describe('int64Equals', () => {
  it('compares across number and bigint', () => {
    assert.equal(int64Equals(5, 5n), true);
    assert.equal(int64Equals(5n, 5), true);
    assert.equal(int64Equals(BigInt(SNAPSHOT), BigInt(SNAPSHOT)), true);
    assert.equal(int64Equals(5, 6n), false);
  });
  it('does not confuse ids a double would round together', () => {
    assert.equal(int64Equals(BigInt(MAX), BigInt(MAX) - 1n), false);
    assert.equal(int64Equals(9007199254740993n, 9007199254740992), false);
  });
  it('null and undefined only equal each other', () => {
    assert.equal(int64Equals(null, null), true);
    assert.equal(int64Equals(null, undefined), true);
    assert.equal(int64Equals(null, 0), false);
    assert.equal(int64Equals(0n, undefined), false);
  });
});

describe('int64Key / compareInt64', () => {
  it('gives number and bigint the same key', () => {
    assert.equal(int64Key(5), int64Key(5n));
    assert.equal(int64Key(BigInt(SNAPSHOT)), SNAPSHOT);
  });
  it('orders exactly', () => {
    assert.equal(compareInt64(1, 2n), -1);
    assert.equal(compareInt64(2n, 2), 0);
    assert.equal(compareInt64(BigInt(MAX), BigInt(MAX) - 1n), 1);
    assert.equal(compareInt64(-1, 0), -1);
  });
});

