// Schema helpers: walking nested types, assigning fresh field ids at table creation, and the
// checks the spec puts on schemas (unique ids, known types, types newer than the format).
import { stringifyJson } from '../json/int64-json.js';
import { badRequest } from './errors.js';
import type { FormatVersion, IcebergType, NestedField, Schema, StructType } from './table-metadata.js';

const PRIMITIVES_V1 = new Set([
  'boolean', 'int', 'long', 'float', 'double', 'date', 'time', 'timestamp', 'timestamptz', 'string', 'uuid', 'binary',
]);
const PRIMITIVES_V3 = new Set(['timestamp_ns', 'timestamptz_ns', 'variant', 'unknown', 'geometry', 'geography']);
const DECIMAL = /^decimal\(\s*(\d+)\s*,\s*(\d+)\s*\)$/;
const FIXED = /^fixed\[\s*(\d+)\s*\]$/;
const GEO = /^(geometry|geography)\s*\(.*\)$/;

/** The format version a primitive type first appears in, or undefined when it is not a type. */
export function primitiveMinFormatVersion(type: string): FormatVersion | undefined {
  if (PRIMITIVES_V1.has(type)) return 1;
  const decimal = DECIMAL.exec(type);
  if (decimal) return Number(decimal[1]) <= 38 && Number(decimal[2]) <= Number(decimal[1]) ? 1 : undefined;
  if (FIXED.test(type)) return 1;
  if (PRIMITIVES_V3.has(type) || GEO.test(type)) return 3;
  return undefined;
}

export function isPrimitive(type: IcebergType): type is string {
  return typeof type === 'string';
}

/** Every field of a schema, nested ones included, with the dotted name it is known by. */
export interface IndexedField {
  name: string;
  type: IcebergType;
  required: boolean;
  /** Inside a list or map (directly or deeper). */
  inCollection: boolean;
}

export function indexFields(schema: StructType): Map<number, IndexedField> {
  const index = new Map<number, IndexedField>();
  const add = (id: number, field: IndexedField) => {
    if (index.has(id)) throw badRequest(`Invalid schema: field id ${id} is used more than once`);
    index.set(id, field);
    visit(field.type, field.name, field.inCollection);
  };
  const visit = (type: IcebergType, prefix: string, inCollection: boolean) => {
    if (typeof type === 'string') return;
    if (type.type === 'struct') {
      for (const field of type.fields) {
        add(field.id, { name: prefix ? `${prefix}.${field.name}` : field.name, type: field.type, required: field.required, inCollection });
      }
    } else if (type.type === 'list') {
      add(type['element-id'], { name: `${prefix}.element`, type: type.element, required: type['element-required'], inCollection: true });
    } else if (type.type === 'map') {
      add(type['key-id'], { name: `${prefix}.key`, type: type.key, required: true, inCollection: true });
      add(type['value-id'], { name: `${prefix}.value`, type: type.value, required: type['value-required'], inCollection: true });
    }
  };
  visit(schema, '', false);
  return index;
}

export function highestFieldId(schema: StructType): number {
  let max = 0;
  for (const id of indexFields(schema).keys()) max = Math.max(max, id);
  return max;
}

/** Refuses malformed schemas and types the table's format version cannot hold. */
export function validateSchema(schema: Schema, formatVersion: FormatVersion): void {
  if (schema === null || typeof schema !== 'object' || schema.type !== 'struct' || !Array.isArray(schema.fields)) {
    throw badRequest('Invalid schema: expected a struct with fields');
  }
  const check = (type: IcebergType, where: string) => {
    if (typeof type === 'string') {
      const since = primitiveMinFormatVersion(type);
      if (since === undefined) throw badRequest(`Invalid schema: unknown type ${type} for ${where}`);
      if (since > formatVersion) {
        throw badRequest(`Invalid type for ${where}: ${type} is not supported until v${since}`);
      }
      return;
    }
    if (type === null || typeof type !== 'object') throw badRequest(`Invalid schema: bad type for ${where}`);
    if (type.type === 'struct') {
      const names = new Set<string>();
      for (const field of type.fields ?? []) {
        if (typeof field.name !== 'string' || field.name === '') throw badRequest(`Invalid schema: a field of ${where} has no name`);
        if (!Number.isInteger(field.id)) throw badRequest(`Invalid schema: field ${field.name} has no integer id`);
        if (names.has(field.name)) throw badRequest(`Invalid schema: duplicate field name ${field.name} in ${where}`);
        names.add(field.name);
        if (formatVersion < 3 && field['initial-default'] !== undefined && field['initial-default'] !== null) {
          throw badRequest(`Invalid initial default for ${field.name}: non-null default is not supported until v3`);
        }
        check(field.type, field.name);
      }
    } else if (type.type === 'list') {
      check(type.element, `${where}.element`);
    } else if (type.type === 'map') {
      check(type.key, `${where}.key`);
      check(type.value, `${where}.value`);
    } else {
      throw badRequest(`Invalid schema: unknown type ${JSON.stringify(type)} for ${where}`);
    }
  };
  check(schema, 'schema');
  const fields = indexFields(schema);
  for (const id of schema['identifier-field-ids'] ?? []) {
    const field = fields.get(id);
    if (!field) throw badRequest(`Invalid schema: identifier field id ${id} does not exist`);
    if (typeof field.type !== 'string') throw badRequest(`Invalid schema: identifier field ${field.name} is not a primitive`);
    // Spec, "Identifier Field IDs": required, not float or double, not inside a list or map.
    if (!field.required) throw badRequest(`Invalid schema: identifier field ${field.name} is optional`);
    if (field.type === 'float' || field.type === 'double') {
      throw badRequest(`Invalid schema: identifier field ${field.name} has type ${field.type}, which cannot identify rows`);
    }
    if (field.inCollection) throw badRequest(`Invalid schema: identifier field ${field.name} is nested in a list or map`);
  }
}

/**
 * Gives every field a new id, 1, 2, 3... as a new table gets (the client's ids are only
 * placeholders at creation). Like the reference implementation, a struct's own fields are
 * numbered before the fields nested inside them. Returns the id mapping so partition and
 * sort fields can follow their columns.
 */
export function assignFreshIds(schema: Schema): { schema: Schema; idMap: Map<number, number>; lastColumnId: number } {
  let next = 0;
  const idMap = new Map<number, number>();
  const fresh = (old: number) => {
    next += 1;
    idMap.set(old, next);
    return next;
  };
  const renumber = (type: IcebergType): IcebergType => {
    if (typeof type === 'string') return type;
    if (type.type === 'struct') {
      const ids = type.fields.map((f) => fresh(f.id));
      const fields: NestedField[] = type.fields.map((f, i) => ({ ...f, id: ids[i], type: renumber(f.type) }));
      return { ...type, fields };
    }
    if (type.type === 'list') {
      const elementId = fresh(type['element-id']);
      return { ...type, 'element-id': elementId, element: renumber(type.element) };
    }
    const keyId = fresh(type['key-id']);
    const valueId = fresh(type['value-id']);
    return { ...type, 'key-id': keyId, 'value-id': valueId, key: renumber(type.key), value: renumber(type.value) };
  };
  const struct = renumber({ type: 'struct', fields: schema.fields }) as StructType;
  const result: Schema = { type: 'struct', 'schema-id': 0, fields: struct.fields };
  const identifiers = (schema['identifier-field-ids'] ?? []).map((id) => {
    const mapped = idMap.get(id);
    if (mapped === undefined) throw badRequest(`Invalid schema: identifier field id ${id} does not exist`);
    return mapped;
  });
  if (identifiers.length > 0) result['identifier-field-ids'] = identifiers;
  return { schema: result, idMap, lastColumnId: next };
}

/** Structural equality of two schemas, ignoring their ids: decides whether to reuse a schema id. */
export function sameSchemaStructure(a: Schema, b: Schema): boolean {
  const strip = (s: Schema) => stringifyJson({ fields: s.fields, ids: s['identifier-field-ids'] ?? [] });
  return strip(a) === strip(b);
}
