// The console's build: `npm run build:console` writes web/dist, which the server serves at /.
// `npm run console:dev` serves it with hot reload and sends /graphql (HTTP and WebSocket) to the
// API on localhost:4000.
import react from '@vitejs/plugin-react';
import { defineConfig } from 'vite';

const root = decodeURIComponent(new URL('.', import.meta.url).pathname);

export default defineConfig({
  root,
  plugins: [react()],
  build: { outDir: 'dist', emptyOutDir: true, sourcemap: false, chunkSizeWarningLimit: 1024 },
  server: { proxy: { '/graphql': { target: 'http://localhost:4000', ws: true } } },
});
