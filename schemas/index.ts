import { gatewaySchema } from './gateway.ts';
import { mappingFileSchema } from './mapping.ts';
import { valuePayloadSchema } from './payload.ts';

/** Each schema that gets a committed JSON Schema file beside it, by file name. */
export const jsonSchemaSources = {
  'gateway.schema.json': gatewaySchema,
  'mapping.schema.json': mappingFileSchema,
  'payload.schema.json': valuePayloadSchema,
} as const;
