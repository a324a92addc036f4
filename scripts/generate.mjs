// Regenerates the Prisma client and its Pothos types after every install. The Prisma CLI needs a
// DATABASE_URL of the schema's provider just to read the schema, even though generate opens no database.
import { execFileSync } from 'node:child_process';

execFileSync('npx', ['prisma', 'generate', '--schema', 'prisma/schema.prisma'], {
  stdio: 'inherit',
  env: { ...process.env, DATABASE_URL: 'file:./generate-only.db' },
});
