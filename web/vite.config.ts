import { sveltekit } from '@sveltejs/kit/vite';
import { defineConfig } from 'vitest/config';

// `npm run dev` serves the app on Vite's port and talks to the API named by
// VITE_API_URL (e.g. http://127.0.0.1:8080, a running `zkml-registry serve`
// whose ZKML_CORS_ORIGINS lists the dev origin for uploads).
export default defineConfig({
  plugins: [sveltekit()],
  build: { chunkSizeWarningLimit: 4096 },
  test: { include: ['src/**/*.test.ts'], environment: 'node' }
});
