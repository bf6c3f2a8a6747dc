import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { API_TYPES_DIR, generateApiTypes } from '../../scripts/console-api-types.js';

// The console's typed clients are generated from the OpenAPI documents. A route whose shape changes without
// `npm run ui:api` fails here, and the console's type check then shows which page it breaks.
test("the console's checked-in API types match the OpenAPI documents Rampart serves", async () => {
  const fresh = await generateApiTypes();
  assert.deepEqual(Object.keys(fresh).sort(), ['access.ts', 'overlay.ts', 'v1.ts']);
  for (const [name, contents] of Object.entries(fresh)) {
    const checkedIn = readFileSync(new URL(name, API_TYPES_DIR), 'utf8');
    assert.ok(checkedIn === contents, `ui/src/app/api/generated/${name} is stale: run npm run ui:api and commit the result`);
  }
});
