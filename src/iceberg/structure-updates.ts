// Schema, partition spec and sort order updates (spec: add-schema, set-current-schema,
// add-spec, set-default-spec, add-sort-order, set-default-sort-order, remove-partition-specs,
// remove-schemas). Ids of identical schemas, specs and orders are reused, as the reference
// implementation does.
import { badRequest } from './errors.js';
import { resolveLastAdded, touch, type BuilderState } from './builder-state.js';
import { highestFieldId, indexFields, sameSchemaStructure, validateSchema } from './schema.js';
import { currentSchema, type PartitionField, type PartitionSpec, type Schema, type SortOrder } from './table-metadata.js';
import { checkTransform } from './transforms.js';

export function addSchema(state: BuilderState, schema: Schema, lastColumnId: unknown): void {
  validateSchema(schema, state.m['format-version']);
  const newLastColumnId = Math.max(
    state.m['last-column-id'],
    highestFieldId(schema),
    typeof lastColumnId === 'number' ? lastColumnId : 0,
  );
  const existing = state.m.schemas.find((s) => sameSchemaStructure(s, schema));
  if (existing) {
    state.lastAddedSchemaId = existing['schema-id'];
    if (newLastColumnId !== state.m['last-column-id']) {
      state.m['last-column-id'] = newLastColumnId;
      touch(state);
    }
    return;
  }
  const id = state.m.schemas.reduce((max, s) => Math.max(max, s['schema-id'] ?? 0), -1) + 1;
  const added: Schema = { ...schema, type: 'struct', 'schema-id': id };
  state.m.schemas.push(added);
  state.m['last-column-id'] = newLastColumnId;
  state.lastAddedSchemaId = id;
  return touch(state);
}

export function setCurrentSchema(state: BuilderState, requested: number): void {
  const id = resolveLastAdded(requested, state.lastAddedSchemaId, 'schema');
  if (!state.m.schemas.some((s) => s['schema-id'] === id)) {
    throw badRequest(`Cannot set current schema to unknown schema: ${id}`);
  }
  if (id === state.m['current-schema-id']) return;
  state.m['current-schema-id'] = id;
  return touch(state);
}


export function addSpec(state: BuilderState, spec: PartitionSpec): void {
  if (!Array.isArray(spec.fields)) throw badRequest('Invalid partition spec: fields must be an array');
  const schema = currentSchema(state.m);
  const columns = schema ? indexFields(schema) : new Map();
  let lastPartitionId = state.m['last-partition-id'];
  const names = new Set<string>();
  const fields: PartitionField[] = spec.fields.map((field) => {
    if (typeof field.name !== 'string' || field.name === '') throw badRequest('Invalid partition field: name is required');
    if (names.has(field.name)) throw badRequest(`Invalid partition spec: duplicate field name ${field.name}`);
    names.add(field.name);
    const column = columns.get(field['source-id']);
    if (!column) throw badRequest(`Cannot find source column for partition field: ${field.name} (source id ${field['source-id']})`);
    checkTransform(field.transform, column.type, column.name);
    let fieldId = field['field-id'];
    if (fieldId === undefined) {
      // Reuse the id of the same field in an older spec, so data partitioned by it stays readable as one field.
      const previous = state.m['partition-specs']
        .flatMap((s) => s.fields)
        .find((f) => f['source-id'] === field['source-id'] && f.transform === field.transform && f.name === field.name);
      fieldId = previous?.['field-id'] ?? lastPartitionId + 1;
    }
    lastPartitionId = Math.max(lastPartitionId, fieldId);
    return { ...field, 'field-id': fieldId };
  });
  const sameFields = (a: PartitionField[], b: PartitionField[]) =>
    a.length === b.length &&
    a.every(
      (f, i) =>
        f['field-id'] === b[i]['field-id'] && f['source-id'] === b[i]['source-id'] && f.transform === b[i].transform && f.name === b[i].name,
    );
  const existing = state.m['partition-specs'].find((s) => sameFields(s.fields, fields));
  if (lastPartitionId !== state.m['last-partition-id']) {
    state.m['last-partition-id'] = lastPartitionId;
    touch(state);
  }
  if (existing) {
    state.lastAddedSpecId = existing['spec-id'];
    return;
  }
  const id = state.m['partition-specs'].reduce((max, s) => Math.max(max, s['spec-id'] ?? 0), -1) + 1;
  state.m['partition-specs'].push({ 'spec-id': id, fields });
  state.lastAddedSpecId = id;
  return touch(state);
}

export function setDefaultSpec(state: BuilderState, requested: number): void {
  const id = resolveLastAdded(requested, state.lastAddedSpecId, 'spec');
  if (!state.m['partition-specs'].some((s) => s['spec-id'] === id)) {
    throw badRequest(`Cannot set default partition spec to unknown spec: ${id}`);
  }
  if (id === state.m['default-spec-id']) return;
  state.m['default-spec-id'] = id;
  return touch(state);
}

export function addSortOrder(state: BuilderState, order: SortOrder): void {
  if (!Array.isArray(order.fields)) throw badRequest('Invalid sort order: fields must be an array');
  const schema = currentSchema(state.m);
  const columns = schema ? indexFields(schema) : new Map();
  for (const field of order.fields) {
    const column = columns.get(field['source-id']);
    if (!column) throw badRequest(`Cannot find source column for sort field: ${field['source-id']}`);
    checkTransform(field.transform, column.type, column.name);
    if (field.direction !== 'asc' && field.direction !== 'desc') throw badRequest(`Invalid sort direction: ${field.direction}`);
    if (field['null-order'] !== 'nulls-first' && field['null-order'] !== 'nulls-last') {
      throw badRequest(`Invalid null order: ${field['null-order']}`);
    }
  }
  const key = (fields: SortOrder['fields']) =>
    JSON.stringify(fields.map((f) => [f['source-id'], f.transform, f.direction, f['null-order']]));
  // The unsorted order always has id 0 (spec: "Sort Orders").
  const existing = order.fields.length === 0
    ? state.m['sort-orders'].find((o) => o.fields.length === 0)
    : state.m['sort-orders'].find((o) => key(o.fields) === key(order.fields));
  if (existing) {
    state.lastAddedOrderId = existing['order-id'];
    return;
  }
  const id = order.fields.length === 0 ? 0 : state.m['sort-orders'].reduce((max, o) => Math.max(max, o['order-id']), 0) + 1;
  state.m['sort-orders'].push({ 'order-id': id, fields: order.fields });
  state.lastAddedOrderId = id;
  return touch(state);
}

export function setDefaultSortOrder(state: BuilderState, requested: number): void {
  const id = resolveLastAdded(requested, state.lastAddedOrderId, 'sort order');
  if (!state.m['sort-orders'].some((o) => o['order-id'] === id)) {
    throw badRequest(`Cannot set default sort order to unknown sort order: ${id}`);
  }
  if (id === state.m['default-sort-order-id']) return;
  state.m['default-sort-order-id'] = id;
  return touch(state);
}

export function removeSpecs(state: BuilderState, ids: number[]): void {
  if (ids.includes(state.m['default-spec-id'])) throw badRequest('Cannot remove the default partition spec');
  const before = state.m['partition-specs'].length;
  state.m['partition-specs'] = state.m['partition-specs'].filter((s) => !ids.includes(s['spec-id'] ?? -1));
  return state.m['partition-specs'].length === before ? undefined : touch(state);
}

export function removeSchemas(state: BuilderState, ids: number[]): void {
  if (ids.includes(state.m['current-schema-id'])) throw badRequest('Cannot remove current schema');
  const before = state.m.schemas.length;
  state.m.schemas = state.m.schemas.filter((s) => !ids.includes(s['schema-id'] ?? -1));
  return state.m.schemas.length === before ? undefined : touch(state);
}
