/**
 * Checks our server's responses against the upstream Apache Iceberg REST catalog specification
 * (`../shared/reference/iceberg-rest-catalog-open-api.yaml`, relative to the repository root), so
 * end-to-end suites catch answers that a stock Iceberg client might not understand.
 *
 * The reference file is not part of this repository. When it is absent `upstreamSpecAvailable` is
 * false and suites should skip: `it('...', { skip: !upstreamSpecAvailable }, ...)`. The
 * environment variable ICEBERG_UPSTREAM_SPEC may point at another copy.
 *
 * The upstream document is written for OpenAPI tooling rather than for a JSON Schema validator.
 * Before compiling it with Ajv (JSON Schema 2020-12) a few constructs are rewritten; each
 * rewrite is listed in UPSTREAM_ADJUSTMENTS. Schemas that still fail to compile are never
 * skipped silently: validateResponse reports them as errors, and upstreamSchemaProblems() lists
 * every one.
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Ajv2020 } from 'ajv/dist/2020.js';
import type { ErrorObject, ValidateFunction } from 'ajv/dist/2020.js';
import { parse as parseYaml } from 'yaml';
import { encodePointerSegment, isPlainObject, mapSchemaTree } from '../../src/http/openapi-document.js';

const SPEC_FILE_NAME = 'iceberg-rest-catalog-open-api.yaml';

/** Nearest directory at or above `start` that holds a package.json (the repo root, also from dist/). */
function findRepoRoot(start: string): string {
  let dir = start;
  for (;;) {
    if (existsSync(join(dir, 'package.json'))) return dir;
    const parent = dirname(dir);
    if (parent === dir) throw new Error(`no package.json found in ${start} or any directory above it`);
    dir = parent;
  }
}

/** Where the upstream specification is expected. */
export const upstreamSpecPath: string =
  process.env.ICEBERG_UPSTREAM_SPEC !== undefined && process.env.ICEBERG_UPSTREAM_SPEC !== ''
    ? resolve(process.env.ICEBERG_UPSTREAM_SPEC)
    : join(findRepoRoot(dirname(fileURLToPath(import.meta.url))), '..', 'shared', 'reference', SPEC_FILE_NAME);

/** False when the upstream specification file is missing; suites using validateResponse should skip. */
export const upstreamSpecAvailable: boolean = existsSync(upstreamSpecPath);

/**
 * Rewrites applied to the upstream document before Ajv compiles it, and why. Exported so a
 * failing suite can print them next to its errors.
 */
export const UPSTREAM_ADJUSTMENTS: readonly string[] = [
  '`nullable: true` (an OpenAPI 3.0 keyword that JSON Schema 2020-12 ignores) is turned into a `null` ' +
    'alternative in `type` (or `enum`, or an `anyOf` when there is no `type`); `nullable: false` is dropped.',
  '`discriminator` is removed: Ajv rejects a discriminator `mapping`, and upstream puts discriminators on ' +
    'base schemas without `oneOf`. Each variant still pins its tag with `const`, so nothing is lost.',
  '`oneOf` in `Type` and `PrimitiveTypeValue` is checked as `anyOf`: their branches overlap ("variant" is both ' +
    'VariantType and PrimitiveType; every integer is both IntegerTypeValue and LongTypeValue), so `oneOf` would ' +
    'reject valid documents.',
  'An error response (status >= 400) whose schema is the bare `ErrorModel` (e.g. UnsupportedOperationResponse) is ' +
    'checked against `IcebergErrorResponse`: the upstream examples for it show the `{"error": ...}` wrapper and the ' +
    'Java client only parses that form.',
  '`format` is treated as an annotation, as JSON Schema 2020-12 specifies by default (int64, uuid, ... are not checked).',
  'Responses of HEAD operations are expected to have no body (HTTP forbids one), even where upstream lists JSON content.',
];

const ONE_OF_AS_ANY_OF = new Set(['Type', 'PrimitiveTypeValue']);
const BASE_ID = 'https://iceberg-clone-catalog.invalid/upstream/rest-catalog-open-api.yaml';
const HTTP_METHODS = new Set(['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace']);

interface Operation {
  method: string;
  path: string;
  responses: Record<string, unknown>;
}

interface ResponseSchema {
  /** Where the response was found, for messages. */
  where: string;
  /** Identifies the compiled validator: operationId and response key. */
  cacheKey: string;
  /** HTTP method of the operation, lower case. */
  method: string;
  /** The JSON schema of the body, or undefined when the response declares no body. */
  schema: Record<string, unknown> | undefined;
}

interface Loaded {
  ajv: Ajv2020;
  document: Record<string, unknown>;
  componentSchemas: Record<string, unknown>;
  operations: Map<string, Operation>;
  validators: Map<string, ValidateFunction | Error>;
}

let loaded: Loaded | undefined;

function load(): Loaded {
  if (loaded !== undefined) return loaded;
  if (!upstreamSpecAvailable) {
    throw new Error(`upstream spec not found at ${upstreamSpecPath}; check upstreamSpecAvailable and skip`);
  }
  const document: unknown = parseYaml(readFileSync(upstreamSpecPath, 'utf8'));
  if (!isPlainObject(document) || !isPlainObject(document.components) || !isPlainObject(document.paths)) {
    throw new Error(`${upstreamSpecPath} does not look like an OpenAPI document`);
  }
  const rawSchemas = document.components.schemas;
  if (!isPlainObject(rawSchemas)) throw new Error(`${upstreamSpecPath} has no components.schemas`);

  const componentSchemas = Object.fromEntries(
    Object.entries(rawSchemas).map(([name, schema]) => [name, adaptSchema(schema, name)]),
  );
  const ajv = new Ajv2020({ strict: false, allErrors: true, validateFormats: false });
  ajv.addSchema({ $id: BASE_ID, components: { schemas: componentSchemas } });

  const operations = new Map<string, Operation>();
  for (const [path, item] of Object.entries(document.paths)) {
    if (!isPlainObject(item)) continue;
    for (const [method, operation] of Object.entries(item)) {
      if (!HTTP_METHODS.has(method) || !isPlainObject(operation)) continue;
      if (typeof operation.operationId !== 'string' || !isPlainObject(operation.responses)) continue;
      operations.set(operation.operationId, { method, path, responses: operation.responses });
    }
  }
  loaded = { ajv, document, componentSchemas, operations, validators: new Map() };
  return loaded;
}

/** Applies UPSTREAM_ADJUSTMENTS to one schema tree and points local `$ref`s at the registered document. */
function adaptSchema(schema: unknown, componentName?: string): unknown {
  const adapted = mapSchemaTree(schema, (node) => {
    const out: Record<string, unknown> = { ...node };
    if (typeof out.$ref === 'string' && out.$ref.startsWith('#/')) out.$ref = `${BASE_ID}${out.$ref}`;
    delete out.discriminator;
    if ('nullable' in out) {
      const nullable = out.nullable === true;
      delete out.nullable;
      if (nullable) return allowNull(out);
    }
    return out;
  });
  if (componentName !== undefined && ONE_OF_AS_ANY_OF.has(componentName) && isPlainObject(adapted)) {
    const { oneOf, ...rest } = adapted;
    if (Array.isArray(oneOf)) return { ...rest, anyOf: oneOf };
  }
  return adapted;
}

function allowNull(node: Record<string, unknown>): Record<string, unknown> {
  const out = { ...node };
  if (Array.isArray(out.enum) && !out.enum.includes(null)) out.enum = [...out.enum, null];
  if (typeof out.type === 'string') {
    out.type = [out.type, 'null'];
    return out;
  }
  if (Array.isArray(out.type)) {
    if (!out.type.includes('null')) out.type = [...out.type, 'null'];
    return out;
  }
  return { anyOf: [out, { type: 'null' }] };
}

/** Follows `$ref`s to `#/components/responses/...` until a response object is reached. */
function resolveResponse(document: Record<string, unknown>, response: unknown, where: string): Record<string, unknown> {
  let current = response;
  const seen = new Set<string>();
  while (isPlainObject(current) && typeof current.$ref === 'string') {
    const ref = current.$ref;
    if (seen.has(ref)) throw new Error(`${where}: circular response $ref ${ref}`);
    seen.add(ref);
    current = resolveLocalPointer(document, ref);
  }
  if (!isPlainObject(current)) throw new Error(`${where}: response is not an object`);
  return current;
}

function resolveLocalPointer(document: Record<string, unknown>, ref: string): unknown {
  if (!ref.startsWith('#/')) throw new Error(`only local $refs are supported, got ${ref}`);
  let node: unknown = document;
  for (const raw of ref.slice(2).split('/')) {
    const key = decodeURIComponent(raw).replaceAll('~1', '/').replaceAll('~0', '~');
    if (!isPlainObject(node) || !(key in node)) throw new Error(`unresolvable $ref ${ref}`);
    node = node[key];
  }
  return node;
}

/** Picks the response key an operation documents for `status`: exact code, then `4XX`-style range, then `default`. */
function findResponse(state: Loaded, operationId: string, status: number): ResponseSchema | string {
  const operation = state.operations.get(operationId);
  if (operation === undefined) return `upstream spec has no operation with operationId "${operationId}"`;
  const keys = Object.keys(operation.responses);
  const range = `${Math.floor(status / 100)}XX`;
  const key = keys.find((k) => k === String(status))
    ?? keys.find((k) => k.toUpperCase() === range)
    ?? (keys.includes('default') ? 'default' : undefined);
  if (key === undefined) {
    return `${describeOperation(operationId, operation)} status ${status}: upstream does not document this status (documented: ${keys.join(', ')})`;
  }
  return responseSchemaAt(state, operationId, operation, key);
}

function describeOperation(operationId: string, operation: Operation): string {
  return `${operationId} (${operation.method.toUpperCase()} ${operation.path})`;
}

/** The JSON body schema of the response documented under `key` ("200", "5XX", ...). */
function responseSchemaAt(state: Loaded, operationId: string, operation: Operation, key: string): ResponseSchema | string {
  const where = `${describeOperation(operationId, operation)} response ${key}`;
  const response = resolveResponse(state.document, operation.responses[key], where);
  const content = response.content;
  if (content === undefined) return { where, cacheKey: `${operationId} ${key}`, method: operation.method, schema: undefined };
  if (!isPlainObject(content)) return `${where}: response content is not an object`;
  const media = content['application/json'];
  if (!isPlainObject(media) || !isPlainObject(media.schema)) {
    return `${where}: no application/json schema (media types: ${Object.keys(content).join(', ')})`;
  }
  let schema = media.schema;
  if (/^[45]/.test(key) && schema.$ref === '#/components/schemas/ErrorModel') {
    schema = { $ref: '#/components/schemas/IcebergErrorResponse' };
  }
  return { where, cacheKey: `${operationId} ${key}`, method: operation.method, schema };
}

function compileResponseSchema(state: Loaded, cacheKey: string, schema: Record<string, unknown>): ValidateFunction | Error {
  const hit = state.validators.get(cacheKey);
  if (hit !== undefined) return hit;
  let result: ValidateFunction | Error;
  try {
    result = state.ajv.compile(adaptSchema(schema) as Record<string, unknown>);
  } catch (error) {
    result = error instanceof Error ? error : new Error(String(error));
  }
  state.validators.set(cacheKey, result);
  return result;
}

function formatError(error: ErrorObject): string {
  const where = error.instancePath === '' ? '(body)' : error.instancePath;
  const schemaPath = error.schemaPath.startsWith(BASE_ID) ? error.schemaPath.slice(BASE_ID.length) : error.schemaPath;
  return `${where} ${error.message ?? 'is invalid'} [${schemaPath}] ${JSON.stringify(error.params)}`;
}

/**
 * Validates one response of our server against what the upstream spec documents for
 * `operationId` and `status`. Returns an empty list when the response conforms, otherwise one
 * message per problem, including "this status is not documented" and "the schema could not be
 * compiled". Pass the parsed JSON body (bigints from a lossless parse are fine), or undefined
 * (or '') when there was none.
 */
export function validateResponse(operationId: string, status: number, body: unknown): string[] {
  const state = load();
  let found: ResponseSchema | string;
  try {
    found = findResponse(state, operationId, status);
  } catch (error) {
    return [(error as Error).message];
  }
  if (typeof found === 'string') return [found];
  const hasBody = body !== undefined && body !== null && body !== '';
  if (found.method === 'head') {
    // HTTP forbids a body on HEAD answers, whatever content upstream lists for them.
    return hasBody ? [`${found.where}: a HEAD response must not carry a body`] : [];
  }
  if (found.schema === undefined) {
    return hasBody ? [`${found.where}: upstream documents no body for this response, but one was sent`] : [];
  }
  if (!hasBody) return [`${found.where}: upstream documents a JSON body for this response, but none was sent`];
  const validate = compileResponseSchema(state, found.cacheKey, found.schema);
  if (validate instanceof Error) {
    return [`${found.where}: cannot compile the upstream response schema: ${validate.message}`];
  }
  if (validate(bigIntsAsNumbers(body))) return [];
  return (validate.errors ?? []).map((error) => `${found.where}: ${formatError(error)}`);
}

/**
 * Bodies parsed losslessly carry int64 values as bigint, which JSON Schema's `integer` does not
 * cover. Converting them to (possibly rounded) numbers changes no verdict, as formats are not checked.
 */
function bigIntsAsNumbers(value: unknown): unknown {
  if (typeof value === 'bigint') return Number(value);
  if (Array.isArray(value)) return value.map(bigIntsAsNumbers);
  if (isPlainObject(value)) {
    return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, bigIntsAsNumbers(item)]));
  }
  return value;
}

/**
 * Compiles every upstream component schema and every JSON response schema of every operation,
 * and lists the ones Ajv refuses (`<where>: <reason>`). Empty when everything compiles.
 */
export function upstreamSchemaProblems(): string[] {
  const state = load();
  const problems: string[] = [];
  for (const name of Object.keys(state.componentSchemas)) {
    try {
      const validate = state.ajv.getSchema(`${BASE_ID}#/components/schemas/${encodePointerSegment(name)}`);
      if (validate === undefined) problems.push(`components.schemas.${name}: could not be resolved`);
    } catch (error) {
      problems.push(`components.schemas.${name}: ${(error as Error).message}`);
    }
  }
  for (const [operationId, operation] of state.operations) {
    for (const key of Object.keys(operation.responses)) {
      let found: ResponseSchema | string;
      try {
        found = responseSchemaAt(state, operationId, operation, key);
      } catch (error) {
        problems.push(`${describeOperation(operationId, operation)} response ${key}: ${(error as Error).message}`);
        continue;
      }
      if (typeof found === 'string') {
        problems.push(found);
        continue;
      }
      if (found.schema === undefined) continue;
      const validate = compileResponseSchema(state, found.cacheKey, found.schema);
      if (validate instanceof Error) problems.push(`${found.where}: ${validate.message}`);
    }
  }
  return problems;
}

/** Operation ids the upstream spec defines (for suites that want to assert coverage). */
export function upstreamOperationIds(): string[] {
  return [...load().operations.keys()];
}
