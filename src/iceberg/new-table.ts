// Metadata for a table created with createTable (spec: CreateTableRequest). The client's
// field ids are placeholders: the catalog numbers columns afresh and remaps the partition
// spec and sort order onto the new ids, as the reference implementation does.
import { badRequest } from './errors.js';
import { TableMetadataBuilder, emptyTableMetadata, type LocationCheck } from './metadata-builder.js';
import { assignFreshIds } from './schema.js';
import {
  DEFAULT_FORMAT_VERSION,
  MAX_FORMAT_VERSION,
  type PartitionSpec,
  type Schema,
  type SortOrder,
  type TableMetadata,
} from './table-metadata.js';

export interface NewTableRequest {
  schema: Schema;
  location: string;
  'partition-spec'?: PartitionSpec;
  'write-order'?: SortOrder;
  properties?: Record<string, string>;
}

/** Table properties that configure the table itself and are not stored as properties. */
const RESERVED_PROPERTIES = ['format-version'];

export function newTableMetadata(
  request: NewTableRequest,
  options: { uuid: string; now: number; checkLocation: LocationCheck },
): TableMetadata {
  if (!request.schema || typeof request.schema !== 'object') throw badRequest('Invalid create table request: schema is required');
  const properties = { ...(request.properties ?? {}) };
  const requestedVersion = properties['format-version'];
  const formatVersion = requestedVersion === undefined ? DEFAULT_FORMAT_VERSION : Number(requestedVersion);
  if (!Number.isInteger(formatVersion) || formatVersion < 1 || formatVersion > MAX_FORMAT_VERSION) {
    throw badRequest(`Unsupported format version: ${requestedVersion}`);
  }
  for (const key of RESERVED_PROPERTIES) delete properties[key];

  const { schema, idMap } = assignFreshIds(request.schema);
  const remap = (sourceId: number, what: string) => {
    const id = idMap.get(sourceId);
    if (id === undefined) throw badRequest(`Cannot find source column for ${what}: ${sourceId}`);
    return id;
  };
  const spec = request['partition-spec'];
  const order = request['write-order'];

  const builder = new TableMetadataBuilder(emptyTableMetadata(options.uuid, options.now), options.now, options.checkLocation, {
    isNew: true,
  });
  builder.applyAll([
    { action: 'upgrade-format-version', 'format-version': formatVersion },
    { action: 'add-schema', schema },
    { action: 'set-current-schema', 'schema-id': -1 },
    {
      action: 'add-spec',
      // Partition field ids of a new table start over (spec: field ids from 1000).
      spec: {
        fields: (spec?.fields ?? []).map((f) => ({
          name: f.name,
          transform: f.transform,
          'source-id': remap(f['source-id'], `partition field ${f.name}`),
        })),
      },
    },
    { action: 'set-default-spec', 'spec-id': -1 },
    {
      action: 'add-sort-order',
      'sort-order': {
        'order-id': 0,
        fields: (order?.fields ?? []).map((f) => ({ ...f, 'source-id': remap(f['source-id'], 'sort field') })),
      },
    },
    { action: 'set-default-sort-order', 'sort-order-id': -1 },
    { action: 'set-location', location: request.location },
    { action: 'set-properties', updates: properties },
  ]);
  return builder.build();
}
