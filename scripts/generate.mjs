// Regenerates the Prisma clients (SQLite with its Pothos types, and PostgreSQL) after every install.
// The Prisma CLI needs a DATABASE_URL of the schema's provider just to read the schema, even though
// generate opens no database.
import { execFileSync } from 'node:child_process';

const run = (args, databaseUrl) =>
  execFileSync('npx', ['prisma', ...args], { stdio: 'inherit', env: { ...process.env, DATABASE_URL: databaseUrl } });

run(['generate', '--schema', 'prisma/schema.prisma'], 'file:./generate-only.db');
run(['generate', '--config', 'prisma-postgres.config.ts'], 'postgresql://localhost/generate-only');
