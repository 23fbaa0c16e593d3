// Not a test: ArkType's declarations name import("buffer").File (Node's
// module), and no @types/node is installed. This script file (no import or
// export) declares that one name from the DOM's File, so that ArkType's
// .d.ts files type-check with skipLibCheck off.
declare module 'buffer' {
  export const File: typeof globalThis.File
}
