// Builds the console after every install (package.json "postinstall"): codegen types the GraphQL
// documents, tsc checks the app, Vite bundles it into web/dist. An install without dev
// dependencies (npm ci --omit=dev) cannot build it; the server then says so at /.
import { execSync } from 'node:child_process';
import fs from 'node:fs';

const root = new URL('..', import.meta.url);
if (!fs.existsSync(new URL('node_modules/vite/package.json', root))) {
  process.stderr.write('console: not built (dev dependencies are not installed); run `npm install` and `npm run build:console`\n');
  process.exit(0);
}
execSync('npm run --silent build:console', { cwd: root, stdio: 'inherit' });
process.stderr.write('console: built into web/dist (served at / by npm start)\n');
