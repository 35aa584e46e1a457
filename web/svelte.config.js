// SvelteKit as a single-page app: adapter-static writes build/ with a fallback
// page (index.html) that the registry's server answers for every page path, so
// the binary serves the whole app from its own memory (server/embed_web.cmake).
import adapter from '@sveltejs/adapter-static';
import { vitePreprocess } from '@sveltejs/vite-plugin-svelte';

const out = process.env.ZKML_WEB_OUT ?? 'build';

export default {
  preprocess: vitePreprocess(),
  kit: {
    // ZKML_WEB_OUT: where CMake wants the build (server/CMakeLists.txt).
    adapter: adapter({ pages: out, assets: out, fallback: 'index.html', strict: true }),
    // The server's routes are flat (no base path); the app's pages are its
    // own paths and never start with /models, /config or /healthz.
    paths: { relative: false },
    output: { bundleStrategy: 'split' },
    version: { name: 'zkml-registry' }
  }
};
