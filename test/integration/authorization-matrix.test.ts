// The authorization matrix: every operation of openapi/catalog.yaml, as every principal of the
// cast (owner, writer, reader, a group member, another team's owner, a stranger, an
// administrator) and with every kind of bad token, against a catalog in oidc mode trusting a
// real OpenID Connect provider on loopback. What each principal must get is derived from the
// privilege table (test/support/authz-matrix.ts `expected`), and every mismatch is reported.
import assert from 'node:assert/strict';
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, describe, test } from 'node:test';
import { OPERATION_RULES } from '../../src/authz/operation-rules.js';
import { CALLS, CAST, TEAM_A, TEAM_B, expected, type Call, type Fixture } from '../support/authz-matrix.js';
import { RestClient, simpleSchema } from '../support/rest-client.js';
import { startTestIssuer, type TestIssuer } from '../support/oidc-issuer.js';
import { createDatabase, noPostgres, startTestCatalog, type TestCatalog } from '../support/test-catalog.js';
import { viewSchema, viewVersion } from '../support/view-fixtures.js';

/** Answers that mean "authorized" for an operation whose success in this setup is not 2xx. */
const ALLOWED_STATUSES: Record<string, number[]> = {
  getToken: [400], // the catalog issues no tokens in oidc mode
  signRequest: [400], // this catalog signs nothing (its warehouse is local, signing off)
  getGcRun: [404],
  listGcRunFiles: [404],
  listClients: [400], // clients exist only with CATALOG_AUTHENTICATION=catalog
  registerClient: [400],
  disableClient: [400],
  deleteRole: [404],
  changeRoleMembers: [404],
};
/** Operations that change or remove what they act on: each call gets objects of its own. */
const DESTRUCTIVE = new Set(['dropNamespace', 'dropTable', 'renameTable', 'dropView', 'renameView', 'swapTables', 'promoteClone', 'restoreDroppedTable']);

describe('authorization matrix', { skip: noPostgres }, () => {
  let issuer: TestIssuer;
  let catalog: TestCatalog;
  let database: { url: string; drop: () => Promise<void> };
  const tokens = new Map<string, string>();
  let counter = 0;

  const as = (who: string) => (method: string, path: string, body?: unknown) =>
    new RestClient(catalog.baseUrl).request(method, path, body, { authorization: `Bearer ${tokens.get(who)}` });
  const ok = async (answer: Promise<{ status: number; body: any }>) => {
    const r = await answer;
    assert.ok(r.status < 300, JSON.stringify(r.body));
    return r.body;
  };

  async function fixture(): Promise<Fixture> {
    const owner = as('a-owner');
    const n = ++counter;
    const f = { table: `t${n}`, table2: `u${n}`, view: `v${n}`, child: [TEAM_A, `c${n}`], droppedId: '', clone: `k${n}`, allowedRoot: catalog.config.warehouseAllowedRoots[0] };
    for (const name of [f.table, f.table2, `d${n}`]) await ok(owner('POST', `/v1/default/namespaces/${TEAM_A}/tables`, { name, schema: simpleSchema }));
    await ok(owner('POST', `/v1/default/namespaces/${TEAM_A}/views`, { name: f.view, schema: viewSchema, 'view-version': viewVersion('select 1', [TEAM_A]) }));
    await ok(owner('POST', '/v1/default/namespaces', { namespace: f.child }));
    await ok(owner('POST', `/ext/v1/default/namespaces/${TEAM_A}/tables/${f.table}/clone`, { destination: { namespace: [TEAM_A], name: f.clone } }));
    await ok(owner('DELETE', `/v1/default/namespaces/${TEAM_A}/tables/d${n}`));
    const dropped = await ok(owner('GET', '/ext/v1/default/dropped-tables'));
    f.droppedId = dropped['dropped-tables'].find((d: { identifier: { name: string } }) => d.identifier.name === `d${n}`)['table-id'];
    return f;
  }

  /**
   * Placeholders of a call that only a running catalog can fill in: `@metadata:t` is a copy of
   * table t's metadata file that moves it to a fresh location (as a table restored from a
   * backup would be), so that registering it overlaps nothing.
   */
  async function resolve(call: Call): Promise<Call> {
    const text = JSON.stringify(call.body ?? null);
    const match = /"@(metadata|view-metadata):([^"]+)"/.exec(text);
    if (!match) return call;
    const kind = match[1] === 'metadata' ? 'tables' : 'views';
    const loaded = await ok(as('admin')('GET', `/v1/default/namespaces/${TEAM_A}/${kind}/${match[2]}`));
    const location = `${catalog.warehouseLocation}/${TEAM_A}/registered-${++counter}`;
    const metadataLocation = `${location}/metadata/00000-${crypto.randomUUID()}.metadata.json`;
    const path = fileURLToPath(metadataLocation);
    await mkdir(dirname(path), { recursive: true });
    await writeFile(path, JSON.stringify({ ...loaded.metadata, location }));
    return { ...call, body: JSON.parse(text.replace(match[0], JSON.stringify(metadataLocation))) };
  }

  async function send(call: Call, token: string | undefined) {
    const headers: Record<string, string> = token === undefined ? {} : { authorization: `Bearer ${token}` };
    if (call.form) {
      const r = await fetch(`${catalog.baseUrl}${call.path}`, { method: 'POST', headers: { ...headers, 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams(call.form) });
      return { status: r.status, body: await r.json().catch(() => undefined) };
    }
    return new RestClient(catalog.baseUrl).request(call.method, call.path, call.body, headers);
  }

  before(async () => {
    issuer = await startTestIssuer(CAST.map((c) => ({ clientId: c.name, secret: `${c.name}-secret-0123456789`, claims: { groups: c.groups ?? [] } })));
    database = await createDatabase('authz_matrix');
    catalog = await startTestCatalog({
      databaseUrl: database.url,
      env: { CATALOG_AUTHENTICATION: 'oidc', CATALOG_OIDC_ISSUERS: issuer.issuer, CATALOG_OIDC_AUDIENCE: issuer.audience, CATALOG_ADMINS: 'admin' },
    });
    for (const c of CAST) tokens.set(c.name, await issuer.token(c.name));
    const admin = as('admin');
    for (const owner of ['a-owner', 'b-owner']) {
      await ok(admin('POST', '/ext/v1/default/grants', { action: 'grant', grantee: { kind: 'principal', name: owner }, privileges: ['create'] }));
    }
    await ok(as('a-owner')('POST', '/v1/default/namespaces', { namespace: [TEAM_A] }));
    await ok(as('b-owner')('POST', '/v1/default/namespaces', { namespace: [TEAM_B] }));
    await ok(as('b-owner')('POST', `/v1/default/namespaces/${TEAM_B}/tables`, { name: 'secret', schema: simpleSchema }));
    const grant = (grantee: { kind: string; name: string }, privileges: string[]) =>
      ok(as('a-owner')('POST', `/ext/v1/default/grants?namespace=${TEAM_A}`, { action: 'grant', grantee, privileges }));
    await grant({ kind: 'principal', name: 'a-reader' }, ['read']);
    await grant({ kind: 'principal', name: 'a-writer' }, ['write']);
    await grant({ kind: 'group', name: 'team-a-analysts' }, ['read', 'clone']);
  });

  after(async () => {
    await catalog?.close();
    await database?.drop();
    await issuer?.close();
  });

  test('every operation answers every principal as the privilege table says', async () => {
    const mismatches: string[] = [];
    let shared = await fixture();
    let checked = 0;
    for (const [operation, build] of Object.entries(CALLS)) {
      for (const who of CAST) {
        const f = DESTRUCTIVE.has(operation) ? await fixture() : shared;
        const call = await resolve(build(f));
        const answer = await send(call, tokens.get(who.name));
        const want = expected(operation, who);
        const allowed = [...(ALLOWED_STATUSES[operation] ?? []), 200, 201, 202, 204];
        const good = want.allowed ? allowed.includes(answer.status) : answer.status === want.status;
        if (!good) mismatches.push(`${operation} as ${who.name}: ${answer.status} (expected ${want.allowed ? 'allowed' : want.status}) ${JSON.stringify(answer.body)?.slice(0, 200)}`);
        checked += 1;
      }
      // A table renamed or dropped by an allowed principal leaves the shared fixture: renew it.
      if (!DESTRUCTIVE.has(operation)) shared = operation === 'setTableExpiry' ? await fixture() : shared;
    }
    assert.equal(checked, Object.keys(OPERATION_RULES).length * CAST.length, 'every operation as every principal');
    assert.deepEqual(mismatches, []);
  });

  test('every bad token is 401 on every operation but the open ones', async () => {
    const now = Math.floor(Date.now() / 1000);
    const [head, payload, signature] = (await issuer.token('a-owner')).split('.');
    const tampered = `${head}.${Buffer.from(JSON.stringify({ ...JSON.parse(Buffer.from(payload, 'base64url').toString()), sub: 'admin' })).toString('base64url')}.${signature}`;
    const stranger = await startTestIssuer([{ clientId: 'admin', secret: 'admin-secret-0123456789' }], issuer.audience);
    try {
      const bad: Record<string, string | undefined> = {
        'no token': undefined,
        expired: await issuer.sign({ sub: 'admin', exp: now - 600 }),
        'wrong audience': await issuer.sign({ sub: 'admin', aud: 'elsewhere' }),
        'wrong issuer': await stranger.token('admin'),
        tampered,
        'alg none': `${Buffer.from('{"alg":"none"}').toString('base64url')}.${payload}.`,
      };
      const f = await fixture();
      const mismatches: string[] = [];
      for (const [operation, build] of Object.entries(CALLS)) {
        if (operation === 'getToken') continue;
        const call = await resolve(build(f));
        for (const [kind, token] of Object.entries(bad)) {
          const answer = await send(call, token);
          // HEAD answers carry no body: their status says it.
          const typed = call.method === 'HEAD' || answer.body?.error?.type === 'NotAuthorizedException';
          if (answer.status !== 401 || !typed) mismatches.push(`${operation} with ${kind}: ${answer.status}`);
        }
      }
      assert.deepEqual(mismatches, []);
    } finally {
      await stranger.close();
    }
  });

  test("two teams: nothing of team B reaches team A's principals, through any listing", async () => {
    for (const who of CAST.filter((c) => c.name.startsWith('a-') || c.name === 'g-member')) {
      const call = as(who.name);
      const top = await call('GET', '/v1/default/namespaces');
      // Team A's namespace, and the top-level clones of it the matrix made (a-owner's own).
      const listed = top.body.namespaces.map((levels: string[]) => levels.join('.'));
      assert.ok(listed.includes(TEAM_A), `${who.name} lists its team's namespace`);
      assert.deepEqual(listed.filter((n: string) => !n.startsWith(TEAM_A)), [], `${who.name} lists nothing of another team`);
      for (const path of [`/v1/default/namespaces/${TEAM_B}`, `/v1/default/namespaces/${TEAM_B}/tables`, `/v1/default/namespaces/${TEAM_B}/tables/secret`]) {
        const answer = await call('GET', path);
        assert.equal(answer.status, 404, `${who.name} ${path}`);
      }
      const clones = await call('GET', '/ext/v1/default/clones');
      assert.ok(!JSON.stringify(clones.body).includes(TEAM_B), `${who.name} sees no clone of team B`);
      const dropped = await call('GET', '/ext/v1/default/dropped-tables');
      assert.ok(!JSON.stringify(dropped.body).includes(TEAM_B));
    }
    // The other way round: a missing table and team A's hidden table answer alike.
    const missing = await as('b-owner')('GET', `/v1/default/namespaces/${TEAM_A}/tables/does_not_exist`);
    const hidden = await as('b-owner')('GET', `/v1/default/namespaces/${TEAM_A}/tables/t1`);
    assert.deepEqual([hidden.status, hidden.body.error.type], [missing.status, missing.body.error.type]);
    assert.equal(hidden.body.error.message, 'Table does not exist: team_a.t1');
    // An ETag learnt elsewhere proves nothing: the hidden table is a 404, never a 304.
    const etag = (await as('a-owner')('GET', `/v1/default/namespaces/${TEAM_A}/tables/t1`)).headers.get('etag')!;
    const conditional = await new RestClient(catalog.baseUrl).request('GET', `/v1/default/namespaces/${TEAM_A}/tables/t1`, undefined, {
      authorization: `Bearer ${tokens.get('b-owner')}`,
      'if-none-match': etag,
    });
    assert.equal(conditional.status, 404);
    // A clone of team B's table that an administrator put in team A: team A sees the clone
    // (its namespace), never where it came from.
    await ok(as('admin')('POST', `/ext/v1/default/namespaces/${TEAM_B}/tables/secret/clone`, { destination: { namespace: [TEAM_A], name: 'from_b' } }));
    const lineage = await ok(as('a-owner')('GET', `/ext/v1/default/namespaces/${TEAM_A}/tables/from_b/lineage`));
    assert.ok(!JSON.stringify(lineage).includes(TEAM_B), JSON.stringify(lineage));
    const listed = (await ok(as('a-owner')('GET', '/ext/v1/default/clones'))).clones.find((c: { identifier: { name: string } }) => c.identifier.name === 'from_b');
    assert.equal(listed.source, null);
    const loaded = await ok(as('a-owner')('GET', `/v1/default/namespaces/${TEAM_A}/tables/from_b`));
    assert.ok(!JSON.stringify(loaded.metadata.properties ?? {}).includes(TEAM_B), 'no property names the source');
    // Another warehouse (an administrator's clone of this one): its copy of team A's namespace
    // belongs to the administrator; team A sees nothing there until granted.
    const name = `wh_${Date.now()}`;
    await ok(as('admin')('POST', '/ext/v1/default/clone', { destination: { name, location: `${catalog.config.warehouseAllowedRoots[0]}/${name}` } }));
    const there = as('a-owner');
    assert.deepEqual((await ok(there('GET', `/v1/${name}/namespaces`))).namespaces, []);
    for (const path of [`/v1/${name}/namespaces/${TEAM_A}`, `/v1/${name}/namespaces/${TEAM_A}/tables/t1`, `/ext/v1/${name}/namespaces/${TEAM_A}/tables/t1/lineage`]) {
      assert.equal((await there('GET', path)).status, 404, path);
    }
    assert.equal((await there('GET', `/ext/v1/audit?warehouse=${name}&namespace=${TEAM_A}`)).status, 404);
  });
});
