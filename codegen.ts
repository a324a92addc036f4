// Types every GraphQL document of the console (web/src) and of the example client (examples/client)
// from schema.graphql, the schema printed from Pothos: `npm run codegen`, also run by `npm install`
// (web/build.mjs). The outputs, web/src/gql/ and examples/client/gql/, are generated and not committed.
import type { CodegenConfig } from '@graphql-codegen/cli';

const clientPreset = {
  preset: 'client',
  presetConfig: { fragmentMasking: false },
  config: {
    enumsAsTypes: true,
    useTypeImports: true,
    strictScalars: true,
    scalars: { DateTime: 'string', JSON: 'unknown' },
  },
} as const;

const config: CodegenConfig = {
  schema: 'schema.graphql',
  ignoreNoDocuments: false,
  // Documents per output: each one types only its own program's operations.
  generates: {
    'web/src/gql/': { ...clientPreset, documents: ['web/src/**/*.{ts,tsx}', '!web/src/gql/**'] },
    'examples/client/gql/': { ...clientPreset, documents: ['examples/client/**/*.ts', '!examples/client/gql/**'] },
  },
};

export default config;
