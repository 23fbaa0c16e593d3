// Vite config of the chat example. The package is imported by its name,
// @streamdb/streamdb, and resolved like any installed package: through
// example/node_modules/@streamdb/streamdb (a link to the repository root,
// made by `npm install` from "file:.." or by `make demo`) and the "exports"
// of the root package.json.
import { fileURLToPath } from 'node:url'
import { defineConfig } from 'vite'

const here = fileURLToPath(new URL('.', import.meta.url))
const repo = fileURLToPath(new URL('..', import.meta.url))

export default defineConfig({
  root: here,
  clearScreen: false,
  // JSX with React's automatic runtime (no React plugin needed).
  oxc: { jsx: { runtime: 'automatic' } },
  resolve: {
    // One React for the app and for @streamdb/streamdb/react.
    dedupe: ['react', 'react-dom'],
  },
  optimizeDeps: {
    // Pre-bundle up front, so the first page load never triggers a reload.
    // @streamdb/streamdb is linked, so Vite serves it as source: its wasm
    // is found next to it through import.meta.url.
    include: ['react', 'react-dom/client', 'react/jsx-runtime', 'react/jsx-dev-runtime', 'zod'],
  },
  server: {
    // The package (js/, dist/) lives at the repository root, outside example/.
    fs: { allow: [repo] },
    // Transform the app's modules at startup, not on the first page load.
    warmup: { clientFiles: ['./src/main.jsx'] },
  },
  build: {
    target: 'es2022', // top-level await: the package loads its wasm module with it
  },
})
