// `npm run ui:api`: regenerates the console's typed API clients from Rampart's own OpenAPI documents.
import { mkdir, writeFile } from 'node:fs/promises';
import { API_TYPES_DIR, generateApiTypes } from './console-api-types.js';

const files = await generateApiTypes();
await mkdir(API_TYPES_DIR, { recursive: true });
for (const [name, contents] of Object.entries(files)) {
  await writeFile(new URL(name, API_TYPES_DIR), contents);
  console.log(`wrote ui/src/app/api/generated/${name}`);
}
