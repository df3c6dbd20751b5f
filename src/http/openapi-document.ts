/**
 * Our OpenAPI document (`openapi/catalog.yaml`) at run time: parsed once, and turned into Ajv
 * validators for its component schemas so that request bodies are checked against the same
 * document the TypeScript types are generated from.
 *
 * The YAML stays at `<repo>/openapi/catalog.yaml`; it is found by walking up from this module's
 * own directory, which works both under tsx (`src/http/`) and when compiled (`dist/src/http/`).
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Ajv2020 } from 'ajv/dist/2020.js';
import type { ErrorObject, Format, SchemaObject, ValidateFunction } from 'ajv/dist/2020.js';
import { parse as parseYaml } from 'yaml';

/** The parts of an OpenAPI 3.1 document this module relies on; everything else passes through. */
export interface OpenApiDocument {
  openapi: string;
  info: { title: string; version: string; [key: string]: unknown };
  paths: Record<string, Record<string, unknown>>;
  components: {
    schemas: Record<string, SchemaObject>;
    [key: string]: unknown;
  };
  [key: string]: unknown;
}

const DOCUMENT_SEGMENTS = ['openapi', 'catalog.yaml'] as const;

/** `$id` under which the component schemas are registered with Ajv; refs resolve against it. */
const SCHEMA_BASE_ID = 'https://iceberg-clone-catalog.invalid/openapi/catalog.yaml';

/** Finds `openapi/catalog.yaml` in the nearest directory above `startDir` that has one. */
export function findOpenApiDocumentPath(
  startDir: string = dirname(fileURLToPath(import.meta.url)),
): string {
  let dir = startDir;
  for (;;) {
    const candidate = join(dir, ...DOCUMENT_SEGMENTS);
    if (existsSync(candidate)) return candidate;
    const parent = dirname(dir);
    if (parent === dir) {
      throw new Error(`cannot find ${DOCUMENT_SEGMENTS.join('/')} in ${startDir} or any directory above it`);
    }
    dir = parent;
  }
}

let cachedDocument: OpenApiDocument | undefined;

/**
 * The parsed document. It is read once per process and the same object is returned every time,
 * so callers must treat it as read-only (hand a copy to anything that mutates, e.g. `structuredClone`).
 */
export function loadOpenApiDocument(): OpenApiDocument {
  if (cachedDocument === undefined) {
    const path = findOpenApiDocumentPath();
    const parsed: unknown = parseYaml(readFileSync(path, 'utf8'));
    cachedDocument = assertOpenApiDocument(parsed, path);
  }
  return cachedDocument;
}

function assertOpenApiDocument(value: unknown, path: string): OpenApiDocument {
  if (!isPlainObject(value)) throw new Error(`${path}: not a YAML mapping`);
  if (typeof value.openapi !== 'string' || !value.openapi.startsWith('3.1')) {
    throw new Error(`${path}: expected an OpenAPI 3.1 document, got openapi=${String(value.openapi)}`);
  }
  const components = value.components;
  if (!isPlainObject(components) || !isPlainObject(components.schemas)) {
    throw new Error(`${path}: components.schemas is missing`);
  }
  if (!isPlainObject(value.paths) || !isPlainObject(value.info)) {
    throw new Error(`${path}: info or paths is missing`);
  }
  return value as unknown as OpenApiDocument;
}

// ---------------------------------------------------------------------------------------------
// Validation

export interface SchemaValidatorOptions {
  /**
   * Also accept `bigint` wherever the document says `type: integer`. Turn this on when bodies are
   * parsed losslessly (e.g. lossless-json's `parseNumberAndBigInt`), which yields bigints that
   * Ajv's own `integer` type check would refuse. Default: false (integers must be `number`s).
   */
  allowBigInt?: boolean;
}

/** Returns the compiled validator for `#/components/schemas/<schemaName>`. */
export type SchemaValidatorLookup = (schemaName: string) => ValidateFunction;

/** Name of the keyword that replaces `type: integer` when `allowBigInt` is on. */
const INTEGER_OR_BIGINT_KEYWORD = 'x-integer-or-bigint';

const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;

/**
 * `format` values the document uses for numbers. Ajv knows no numeric formats on its own (and
 * would warn about each unknown one); these also reject doubles outside the type's range.
 */
const NUMBER_FORMATS: Record<string, Format> = {
  int32: { type: 'number', validate: (n: number) => Number.isInteger(n) && n >= -(2 ** 31) && n < 2 ** 31 },
  int64: { type: 'number', validate: (n: number) => Number.isInteger(n) && n >= -(2 ** 63) && n <= 2 ** 63 },
};

/**
 * Creates an Ajv 2020 instance loaded with every component schema of our document and returns a
 * lookup that compiles (once, then caches) the validator for one of them by name.
 *
 * Ajv runs with `{strict: false, discriminator: true, allErrors: false}`: the first error is
 * enough for a 400 answer, and `discriminator` makes an unknown `action`/`type` in a commit fail
 * with one precise error instead of one error per union branch.
 */
export function createSchemaValidator(options: SchemaValidatorOptions = {}): SchemaValidatorLookup {
  const document = loadOpenApiDocument();
  const ajv = new Ajv2020({ strict: false, discriminator: true, allErrors: false, formats: NUMBER_FORMATS });

  let schemas: Record<string, unknown> = document.components.schemas;
  if (options.allowBigInt === true) {
    ajv.addKeyword({ keyword: INTEGER_OR_BIGINT_KEYWORD, schemaType: 'object', validate: validateIntegerOrBigInt });
    schemas = Object.fromEntries(
      Object.entries(schemas).map(([name, schema]) => [name, mapSchemaTree(schema, integerAcceptsBigInt)]),
    );
  }
  // structuredClone: Ajv keeps references to the schema objects; the cached document stays untouched.
  ajv.addSchema({ $id: SCHEMA_BASE_ID, components: { schemas: structuredClone(schemas) } });

  const compiled = new Map<string, ValidateFunction>();
  return (schemaName: string): ValidateFunction => {
    const hit = compiled.get(schemaName);
    if (hit !== undefined) return hit;
    if (!Object.hasOwn(document.components.schemas, schemaName)) {
      throw new Error(`openapi/catalog.yaml has no component schema named "${schemaName}"`);
    }
    const validate = ajv.getSchema(`${SCHEMA_BASE_ID}#/components/schemas/${encodePointerSegment(schemaName)}`);
    if (validate === undefined) throw new Error(`Ajv could not resolve component schema "${schemaName}"`);
    compiled.set(schemaName, validate);
    return validate;
  };
}

/**
 * One line per Ajv error, e.g. `/updates/0: value of tag "action" must be in oneOf`, for the
 * `message` of a 400 answer. The root is written as `body`.
 */
export function formatValidationErrors(errors: readonly ErrorObject[] | null | undefined): string {
  if (errors == null || errors.length === 0) return 'invalid request body';
  return errors
    .map((error) => {
      const where = error.instancePath === '' ? 'body' : error.instancePath;
      const extra = error.keyword === 'additionalProperties' ? ` (${String(error.params.additionalProperty)})` : '';
      return `${where}: ${error.message ?? 'is invalid'}${extra}`;
    })
    .join('; ');
}

/**
 * Ajv keyword standing in for `type: integer` (or `[integer, null]`) when `allowBigInt` is on.
 * Only integers beyond 2^53 are bigints, so none is an int32; without a format, as with int64,
 * a bigint must fit 64 bits (nothing in Iceberg is wider).
 */
function validateIntegerOrBigInt(
  schema: { nullable: boolean; format?: string; minimum?: number; maximum?: number },
  data: unknown,
): boolean {
  if (schema.nullable && data === null) return true;
  if (typeof data === 'number' && Number.isInteger(data)) return true;
  // Ajv's minimum and maximum look at numbers only; a bigint is held to them here.
  const inRange = (n: bigint) =>
    (schema.minimum === undefined || n >= BigInt(schema.minimum)) && (schema.maximum === undefined || n <= BigInt(schema.maximum));
  if (typeof data === 'bigint' && schema.format !== 'int32' && data >= INT64_MIN && data <= INT64_MAX && inRange(data)) return true;
  validateIntegerOrBigInt.errors = [
    {
      keyword: 'type',
      message:
        typeof data === 'bigint' ? 'is out of range' : schema.nullable ? 'must be integer or null' : 'must be integer',
      params: { type: schema.nullable ? ['integer', 'null'] : 'integer' },
    },
  ];
  return false;
}
validateIntegerOrBigInt.errors = undefined as Partial<ErrorObject>[] | undefined;

function integerAcceptsBigInt(node: Record<string, unknown>): Record<string, unknown> {
  const declared = node.type;
  const types = Array.isArray(declared) ? declared : typeof declared === 'string' ? [declared] : [];
  if (!types.includes('integer')) return node;
  const others = types.filter((t) => t !== 'integer');
  if (others.some((t) => t !== 'null')) {
    throw new Error(`allowBigInt cannot rewrite type ${JSON.stringify(declared)}; only integer or [integer, null]`);
  }
  const { type: _type, ...rest } = node;
  const bounds = {
    ...(typeof node.format === 'string' ? { format: node.format } : {}),
    ...(typeof node.minimum === 'number' ? { minimum: node.minimum } : {}),
    ...(typeof node.maximum === 'number' ? { maximum: node.maximum } : {}),
  };
  return { ...rest, [INTEGER_OR_BIGINT_KEYWORD]: { nullable: others.length > 0, ...bounds } };
}

// ---------------------------------------------------------------------------------------------
// Schema tree walking (also used by test/support/upstream-spec-validator.ts)

/** Keywords whose value is one subschema. */
const SINGLE_SUBSCHEMA_KEYWORDS = [
  'additionalProperties',
  'contains',
  'contentSchema',
  'else',
  'if',
  'items',
  'not',
  'propertyNames',
  'then',
  'unevaluatedItems',
  'unevaluatedProperties',
];
/** Keywords whose value is an array of subschemas. */
const SUBSCHEMA_ARRAY_KEYWORDS = ['allOf', 'anyOf', 'oneOf', 'prefixItems'];
/** Keywords whose value maps names to subschemas (the names are data, not keywords). */
const SUBSCHEMA_MAP_KEYWORDS = ['$defs', 'definitions', 'dependentSchemas', 'patternProperties', 'properties'];

/**
 * Rebuilds a JSON Schema bottom-up, calling `visit` on every schema object after its subschemas
 * have been rebuilt. Only real subschema positions are visited, so a property that happens to be
 * called `type` or `nullable` is never mistaken for a keyword. The input is not modified.
 */
export function mapSchemaTree(
  schema: unknown,
  visit: (node: Record<string, unknown>) => Record<string, unknown>,
): unknown {
  if (!isPlainObject(schema)) return schema; // boolean schemas, or values that are not schemas
  const node: Record<string, unknown> = { ...schema };
  for (const keyword of SINGLE_SUBSCHEMA_KEYWORDS) {
    const value = node[keyword];
    if (Array.isArray(value)) node[keyword] = value.map((item) => mapSchemaTree(item, visit)); // old tuple `items`
    else if (value !== undefined) node[keyword] = mapSchemaTree(value, visit);
  }
  for (const keyword of SUBSCHEMA_ARRAY_KEYWORDS) {
    const value = node[keyword];
    if (Array.isArray(value)) node[keyword] = value.map((item) => mapSchemaTree(item, visit));
  }
  for (const keyword of SUBSCHEMA_MAP_KEYWORDS) {
    const value = node[keyword];
    if (isPlainObject(value)) {
      node[keyword] = Object.fromEntries(
        Object.entries(value).map(([name, sub]) => [name, mapSchemaTree(sub, visit)]),
      );
    }
  }
  return visit(node);
}

/** Escapes one JSON Pointer segment for use inside a URI fragment. */
export function encodePointerSegment(segment: string): string {
  return encodeURIComponent(segment.replaceAll('~', '~0').replaceAll('/', '~1'));
}

export function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
