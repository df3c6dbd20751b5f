// Client secrets: scrypt hashes with their parameters, constant-time checks, and the short-lived
// memory of secrets that matched.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { VerifiedSecrets, hashSecret, newSecret, secretMatches } from '../../../src/auth/client-secrets.js';
import { basicCredentials } from '../../../src/auth/token-grants.js';

describe('client secrets', () => {
  it('hash with scrypt and a salt of their own, and match only the secret they came from', async () => {
    const secret = newSecret();
    assert.match(secret, /^[A-Za-z0-9_-]{43}$/);
    const [a, b] = [await hashSecret(secret), await hashSecret(secret)];
    assert.notEqual(a, b, 'a salt per hash');
    assert.match(a, /^scrypt\$32768\$8\$1\$[A-Za-z0-9_-]+\$[A-Za-z0-9_-]{43}$/);
    assert.equal(await secretMatches(secret, a), true);
    assert.equal(await secretMatches(`${secret}x`, a), false);
    assert.equal(await secretMatches(secret, 'plain-text'), false);
    assert.equal(await secretMatches(secret, 'scrypt$1$1$1$c2FsdA$c2hvcnQ'), false, 'a truncated hash never matches');
  });

  it('remember a match for a while, per client and secret, and forget it when the hash changes', () => {
    let now = 0;
    const verified = new VerifiedSecrets(1000, () => now);
    verified.remember('c', 's', 'h1');
    assert.equal(verified.has('c', 's', 'h1'), true);
    assert.equal(verified.has('c', 'other', 'h1'), false);
    assert.equal(verified.has('c', 's', 'h2'), false, 'a new secret hash (re-registered) is checked again');
    now = 1001;
    assert.equal(verified.has('c', 's', 'h1'), false);
  });
});

describe('HTTP Basic client credentials', () => {
  const basic = (text: string) => `Basic ${Buffer.from(text).toString('base64')}`;
  it('read raw (DuckDB, Java) and form-encoded (RFC 6749) credentials alike', () => {
    assert.deepEqual(basicCredentials(basic('spark:s3cr:et')), { id: 'spark', secret: 's3cr:et' });
    assert.deepEqual(basicCredentials(basic('my%20client:p%40ss')), { id: 'my client', secret: 'p@ss' });
    assert.deepEqual(basicCredentials(basic('c:100%bad')), { id: 'c', secret: '100%bad' });
  });
  it('ignore what is not Basic credentials', () => {
    assert.equal(basicCredentials(undefined), undefined);
    assert.equal(basicCredentials('Bearer abc'), undefined);
    assert.equal(basicCredentials(basic('no-colon')), undefined);
    assert.equal(basicCredentials('Basic !!!'), undefined);
  });
});
