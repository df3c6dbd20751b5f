// The privilege table covers every operation of our OpenAPI document, and docs/security.md
// prints it as it is.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { OPERATION_RULES, privilegeTableMarkdown } from '../../../src/authz/operation-rules.js';
import { effectivePrivileges, passedDown, withImplied } from '../../../src/authz/privileges.js';
import { loadOpenApiDocument } from '../../../src/http/openapi-document.js';

test('every operation of the document has a rule, and every rule an operation', () => {
  const operations = new Set<string>();
  for (const item of Object.values(loadOpenApiDocument().paths)) {
    for (const [method, operation] of Object.entries(item)) {
      if (method !== 'parameters') operations.add((operation as { operationId: string }).operationId);
    }
  }
  const ruled = new Set(Object.keys(OPERATION_RULES));
  assert.deepEqual([...operations].filter((o) => !ruled.has(o)).sort(), [], 'operations without a rule');
  assert.deepEqual([...ruled].filter((o) => !operations.has(o)).sort(), [], 'rules without an operation');
});

test('docs/security.md prints the table as the code has it', () => {
  const doc = readFileSync(new URL('../../../docs/security.md', import.meta.url), 'utf8');
  assert.ok(doc.includes(privilegeTableMarkdown()), 'regenerate the table in docs/security.md from privilegeTableMarkdown()');
});

test('grants apply downwards, ownership gives everything below, write implies read', () => {
  const path = [
    { id: 'w', kind: 'warehouse' as const, owner: null },
    { id: 'ns', kind: 'namespace' as const, owner: 'alice' },
    { id: 't', kind: 'table' as const, owner: null },
  ];
  assert.equal(effectivePrivileges(path, 'alice', new Map()).size, 9, 'the namespace owner holds everything on its tables');
  assert.deepEqual([...effectivePrivileges(path, 'bob', new Map([['w', ['write']]]))].sort(), ['read', 'write']);
  assert.deepEqual([...effectivePrivileges(path, 'bob', new Map([['t', ['clone']]]))], ['clone']);
  assert.equal(effectivePrivileges(path, 'bob', new Map([['other', ['read']]])).size, 0);
  assert.deepEqual([...withImplied(['drop'])], ['drop']);
  // create on the warehouse: top-level namespaces, not inside everybody's.
  assert.deepEqual([...effectivePrivileges(path, 'bob', new Map([['w', ['create', 'restore']]]))], ['restore']);
  assert.deepEqual([...effectivePrivileges(path.slice(0, 1), 'bob', new Map([['w', ['create']]]))], ['create']);
});

test('what is held on a parent shows its children only when it passes down', () => {
  // create on the warehouse lets a team make its namespace; it must not list the others'.
  assert.deepEqual([...passedDown('warehouse', new Set(['create']))], []);
  assert.deepEqual([...passedDown('warehouse', new Set(['create', 'read']))], ['read']);
  assert.deepEqual([...passedDown('namespace', new Set(['create']))], ['create']);
});
