import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { formatLogLine } from '../../../src/observability/pretty-log.js';

describe('readable log lines', () => {
  const request = JSON.stringify({
    level: 30,
    time: '2026-11-22T10:00:00.123Z',
    pid: 1,
    hostname: 'h',
    reqId: 'abc',
    method: 'POST',
    path: '/v1/default/namespaces',
    route: '/v1/:prefix/namespaces',
    status: 200,
    durationMs: 12.4,
    remoteAddress: '127.0.0.1',
    msg: 'request',
  });

  test('a request line leads with method, path, status and duration', () => {
    assert.equal(formatLogLine(request, false), '10:00:00.123 INFO  POST /v1/default/namespaces 200 12.4 ms request reqId=abc remoteAddress=127.0.0.1');
  });

  test('other fields follow as key=value, quoted when they need it; an error brings its stack', () => {
    const line = JSON.stringify({
      level: 50,
      time: '2026-11-22T10:00:01.000Z',
      msg: 'unexpected error',
      note: 'two words',
      counts: { a: 1 },
      err: { message: 'boom', stack: 'Error: boom\n    at f (x.ts:1:1)' },
    });
    assert.equal(formatLogLine(line, false), '10:00:01.000 ERROR unexpected error note="two words" counts={"a":1}\n    Error: boom\n        at f (x.ts:1:1)');
  });

  test('colours only when asked; a line that is not JSON passes unchanged', () => {
    assert.match(formatLogLine(request, true), /\x1b\[32mINFO/);
    assert.doesNotMatch(formatLogLine(request, false), /\x1b/);
    assert.equal(formatLogLine('plain text', true), 'plain text');
    assert.equal(formatLogLine('[1,2]', false), '[1,2]');
  });
});
