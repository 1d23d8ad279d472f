import preact from "@preact/preset-vite";
import { defineConfig } from "vitest/config";

// The gateway serves dist/ at / (src/tasksync/gateway/web_app.py): hashed files under
// /assets/ are cached for a year, index.html never. `npm run dev` proxies the API to a
// running `tasksync up` (TASKSYNC_URL, default http://127.0.0.1:8000).
const api = process.env.TASKSYNC_URL ?? "http://127.0.0.1:8000";

export default defineConfig({
  plugins: [preact()],
  build: {
    outDir: "dist",
    emptyOutDir: true,
    assetsDir: "assets",
    // No inline module-preload polyfill: the page runs under a CSP without inline script.
    modulePreload: { polyfill: false },
    sourcemap: false,
  },
  server: {
    proxy: {
      "/api": { target: api, ws: true },
      "/.well-known": api,
    },
  },
  test: {
    environment: "happy-dom",
    include: ["test/**/*.test.ts", "test/**/*.test.tsx"],
  },
});
