import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { renderJsonSchemas } from '../schemas/json-schema.ts';

const dir = fileURLToPath(new URL('../schemas/', import.meta.url));
for (const [name, text] of renderJsonSchemas()) {
  writeFileSync(dir + name, text);
  console.log(`wrote schemas/${name}`);
}
