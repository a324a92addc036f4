// schema.graphql is printed from the Pothos schema, and it keeps every promise of the contract.
import fs from 'node:fs';
import path from 'node:path';
import { buildSchema, findBreakingChanges } from 'graphql';
import { describe, expect, it } from 'vitest';
import { printedSchema } from '../../src/schema/index.ts';

const root = path.resolve(import.meta.dirname, '../..');
const contractFile = path.resolve(root, '../shared/contract/api.graphql');

describe('schema.graphql', () => {
  it('is up to date with the Pothos schema (run npm run schema:print)', () => {
    expect(fs.readFileSync(path.join(root, 'schema.graphql'), 'utf8')).toBe(printedSchema());
  });

  it.skipIf(!fs.existsSync(contractFile))('has no breaking change against ../shared/contract/api.graphql', () => {
    const contract = buildSchema(fs.readFileSync(contractFile, 'utf8'));
    const ours = buildSchema(fs.readFileSync(path.join(root, 'schema.graphql'), 'utf8'));
    expect(findBreakingChanges(contract, ours).map((change) => `${change.type}: ${change.description}`)).toEqual([]);
  });
});
