// The Helm chart's `config:` block restates the application's settings; these tests keep the
// two from drifting apart when a setting is added, renamed or given a new default.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { isMap, isScalar, parseDocument, type Pair, type Scalar, type YAMLMap } from 'yaml';
import { SETTINGS, loadConfig } from '../../src/config.js';

const chartDir = new URL('../../helm/', import.meta.url);
const valuesDoc = parseDocument(readFileSync(new URL('values.yaml', chartDir), 'utf8'));
const schema = JSON.parse(readFileSync(new URL('values.schema.json', chartDir), 'utf8'));

/** Settings the chart does not put under `config`, and why. */
const NOT_IN_CONFIG: Record<string, string> = {
  // A secret: it comes from `database.existingSecret` or a chart-created Secret, never a ConfigMap.
  CATALOG_DATABASE_URL: 'secret (database section)',
  // The chart already passes every setting as an environment variable from its ConfigMap, and
  // the environment wins over the file, so a file could only add a second, shadowed copy.
  CATALOG_CONFIG_FILE: 'not used by the chart',
  // The bootstrap client's secret comes from bootstrapClient.existingSecret or the chart's
  // Secret; its id goes with it (the two are set together or not at all).
  CATALOG_BOOTSTRAP_CLIENT_ID: 'bootstrapClient section',
  CATALOG_BOOTSTRAP_CLIENT_SECRET: 'secret (bootstrapClient section)',
  // A secret: from a Secret of the operator's through extraEnvFrom.
  CATALOG_S3_VENDING_SECRET_ACCESS_KEY: 'secret (extraEnvFrom)',
};

/** Defaults the chart changes on purpose, and why. Every other key keeps the app's default. */
const CHART_OVERRIDES: Record<string, { value: string; why: string }> = {
  CATALOG_HOST: { value: '0.0.0.0', why: 'loopback is unreachable from outside the pod' },
  CATALOG_DATA_DIR: { value: '/data', why: './data resolves into the read-only /app tree; /data is the volume mount' },
  CATALOG_AUTHENTICATION: { value: 'catalog', why: 'a deployed catalog authenticates (off is for a loopback first try)' },
  // CATALOG_MIGRATE_ON_START keeps the app's default (true) in values.yaml: the templates render
  // false only while migrationJob.enabled, so turning the Job off brings migrate-on-start back.
  // CATALOG_GC_SCHEDULE likewise keeps its default; it becomes `off` only with gcCronJob.enabled.
};

const settings = Object.values(SETTINGS) as Array<{ env: string; default?: string; kind: string; values?: readonly string[] }>;
const expected = settings.filter((s) => !(s.env in NOT_IN_CONFIG));

function configMap(): YAMLMap<Scalar, Scalar> {
  const node = valuesDoc.get('config', true);
  assert.ok(isMap(node), 'values.yaml has a `config:` map');
  return node as YAMLMap<Scalar, Scalar>;
}

function configPairs(): Map<string, Pair<Scalar, Scalar>> {
  return new Map(configMap().items.map((pair) => [String(pair.key.value), pair]));
}

test('values.yaml parses without errors or warnings', () => {
  assert.deepEqual(valuesDoc.errors, []);
  assert.deepEqual(valuesDoc.warnings, []);
});

test('the exclusions and overrides name real settings', () => {
  const envs = new Set(settings.map((s) => s.env));
  for (const name of [...Object.keys(NOT_IN_CONFIG), ...Object.keys(CHART_OVERRIDES)]) assert.ok(envs.has(name), `${name} is not in SETTINGS`);
});

test('every setting is under config, and nothing else is', () => {
  const keys = [...configPairs().keys()].sort();
  assert.deepEqual(keys, expected.map((s) => s.env).sort());
});

test('config defaults equal the application defaults, except the listed overrides', () => {
  const pairs = configPairs();
  for (const setting of expected) {
    const node = pairs.get(setting.env)!.value;
    assert.ok(isScalar(node), `${setting.env} is a plain value`);
    const actual = node.value === null ? '' : String(node.value);
    const want = CHART_OVERRIDES[setting.env]?.value ?? setting.default ?? '';
    assert.equal(actual, want, `${setting.env}: values.yaml has "${actual}", expected "${want}"`);
  }
});

test('the chart defaults are accepted by the application itself', () => {
  // The ConfigMap turns every value into a string, and an empty string means unset.
  const env = Object.fromEntries([...configPairs()].map(([k, pair]) => [k, String(pair.value?.value ?? '')]));
  const config = loadConfig(env);
  assert.equal(config.host, '0.0.0.0');
  assert.equal(config.dataDir, '/data');
});

test('every config key has a comment line above it', () => {
  const items = configMap().items;
  items.forEach((pair, i) => {
    // yaml attaches the comment above the first entry of a nested map to the map itself.
    const comment = pair.key.commentBefore ?? (i === 0 ? configMap().commentBefore : undefined);
    assert.ok(comment && comment.trim().length > 0, `${pair.key.value} has no comment`);
  });
});

test('no CATALOG_* key appears outside config (secrets live in their own sections)', () => {
  const stray: string[] = [];
  const walk = (node: unknown, path: string) => {
    if (!isMap(node)) return;
    for (const pair of node.items as Pair<Scalar, unknown>[]) {
      const key = String(pair.key.value);
      const here = path ? `${path}.${key}` : key;
      if (here !== `config.${key}` && key.startsWith('CATALOG_')) stray.push(here);
      walk(pair.value, here);
    }
  };
  walk(valuesDoc.contents, '');
  assert.deepEqual(stray, []);
  assert.equal(valuesDoc.getIn(['database', 'existingSecret']), '');
  assert.equal(typeof valuesDoc.getIn(['database', 'url']), 'string');
  assert.equal(valuesDoc.getIn(['s3Credentials', 'accessKeyId']), '');
});

test('values.schema.json describes exactly the config keys, requires them and refuses others', () => {
  const configSchema = schema.properties.config;
  assert.equal(schema.$schema, 'http://json-schema.org/draft-07/schema#');
  assert.equal(configSchema.additionalProperties, false);
  const names = expected.map((s) => s.env).sort();
  assert.deepEqual(Object.keys(configSchema.properties).sort(), names);
  assert.deepEqual([...configSchema.required].sort(), names);
});

test('schema enums match the application enums', () => {
  for (const setting of expected.filter((s) => s.kind === 'enum')) {
    assert.deepEqual(schema.properties.config.properties[setting.env].enum, [...setting.values!], setting.env);
  }
});
