// Where the repository's own files are, for code that runs from src/ (tsx, the tests) and from the
// bundle in dist/ (npm start) alike: both sit one folder below the root, and only this module
// computes paths from its own address.
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
