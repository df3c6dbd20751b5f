// Authentication settings: off by default; each mode's requirements stop the start with a
// message naming the variable.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { loadConfig } from '../../src/config.js';
import { requireAuthenticationOffLoopback } from '../../src/startup-checks.js';

test('authentication is off by default, on loopback', () => {
  const config = loadConfig({});
  assert.equal(config.auth.mode, 'off');
  assert.doesNotThrow(() => requireAuthenticationOffLoopback(config));
});

test('off on another address is refused unless the operator says so', () => {
  for (const host of ['0.0.0.0', '10.0.0.5', '::']) {
    assert.throws(() => requireAuthenticationOffLoopback(loadConfig({ CATALOG_HOST: host })), /CATALOG_AUTHENTICATION/);
  }
  for (const host of ['127.0.0.1', '127.0.0.2', '::1', 'localhost']) assert.doesNotThrow(() => requireAuthenticationOffLoopback(loadConfig({ CATALOG_HOST: host })));
  assert.doesNotThrow(() => requireAuthenticationOffLoopback(loadConfig({ CATALOG_HOST: '0.0.0.0', CATALOG_ALLOW_UNAUTHENTICATED: 'true' })));
  assert.doesNotThrow(() => requireAuthenticationOffLoopback(loadConfig({ CATALOG_HOST: '0.0.0.0', CATALOG_AUTHENTICATION: 'catalog' })));
});

test('oidc needs issuers and an audience; a bootstrap client needs both parts and a long secret', () => {
  assert.throws(() => loadConfig({ CATALOG_AUTHENTICATION: 'oidc' }), /CATALOG_OIDC_ISSUERS/);
  assert.throws(() => loadConfig({ CATALOG_AUTHENTICATION: 'oidc', CATALOG_OIDC_ISSUERS: 'https://idp.example' }), /CATALOG_OIDC_AUDIENCE/);
  assert.throws(() => loadConfig({ CATALOG_OIDC_ISSUERS: 'not a url' }), /CATALOG_OIDC_ISSUERS/);
  assert.throws(() => loadConfig({ CATALOG_OIDC_ISSUERS: 'ftp://idp' }), /CATALOG_OIDC_ISSUERS/);
  const oidc = loadConfig({
    CATALOG_AUTHENTICATION: 'oidc',
    CATALOG_OIDC_ISSUERS: 'https://idp.example/realms/a/, https://kubernetes.default.svc',
    CATALOG_OIDC_AUDIENCE: 'catalog',
  });
  assert.deepEqual(oidc.auth.oidc.issuers, ['https://idp.example/realms/a/', 'https://kubernetes.default.svc'], 'issuers kept exactly (iss must match)');
  assert.throws(() => loadConfig({ CATALOG_BOOTSTRAP_CLIENT_ID: 'admin' }), /go together/);
  assert.throws(() => loadConfig({ CATALOG_BOOTSTRAP_CLIENT_ID: 'admin', CATALOG_BOOTSTRAP_CLIENT_SECRET: 'short' }), /16 characters/);
  assert.throws(() => loadConfig({ CATALOG_BOOTSTRAP_CLIENT_ID: 'a b', CATALOG_BOOTSTRAP_CLIENT_SECRET: '0123456789abcdef' }), /CATALOG_BOOTSTRAP_CLIENT_ID/);
  assert.throws(() => loadConfig({ CATALOG_TOKEN_LIFETIME_SECONDS: '9' }), /CATALOG_TOKEN_LIFETIME_SECONDS/);
  assert.deepEqual(loadConfig({ CATALOG_ADMINS: ' alice, ,bob ' }).auth.admins, ['alice', 'bob']);
});
