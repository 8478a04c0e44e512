// Builds the page into token_server/static, which the token server serves at `/`.
// No React plugin: esbuild's automatic JSX runtime is all this page needs.
import { defineConfig } from "vite";

export default defineConfig({
  base: "./",
  esbuild: { jsx: "automatic" },
  build: { outDir: "../token_server/static", emptyOutDir: true, chunkSizeWarningLimit: 1500 },
  server: { proxy: { "/api": "http://127.0.0.1:8000", "/health": "http://127.0.0.1:8000" } },
});
