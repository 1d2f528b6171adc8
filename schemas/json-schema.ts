import { z } from 'zod';
import { jsonSchemaSources } from './index.ts';

/** The JSON Schema text of every committed schema file, as the generator writes it. */
export function renderJsonSchemas(): Map<string, string> {
  const files = new Map<string, string>();
  for (const [name, schema] of Object.entries(jsonSchemaSources)) {
    const json = z.toJSONSchema(schema, { io: 'input', unrepresentable: 'any' });
    files.set(name, `${JSON.stringify(json, null, 2)}\n`);
  }
  return files;
}
