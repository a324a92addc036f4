// Writes schema.graphql from the Pothos schema (npm run schema:print). A test fails when it is stale.
import fs from 'node:fs';
import { printedSchema } from '../src/schema/index.ts';

fs.writeFileSync(new URL('../schema.graphql', import.meta.url), printedSchema());
process.stderr.write('wrote schema.graphql\n');
