// The package's version, as package.json says (test/node/version.test.mjs
// checks that they agree). The WebAssembly module is built as this
// version too (the Makefile passes package.json's version to the Go
// linker), and js/wasm.js refuses a module built as another one.
export const VERSION = '0.1.0'
