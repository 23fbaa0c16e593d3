// Prints what each Go package costs in a wasm built by the Go toolchain:
// the bytes of its functions' code, summed from the code section and
// attributed by the "name" custom section (so the wasm must be built
// without -ldflags=-s), and the brotli size of that code compressed alone.
// The data section (strings, type descriptors, the pc tables) is printed as
// one line: it carries no names.
//
// Usage: node scripts/wasm-parts.mjs [--all] [--by=pkg|fn] <unstripped.wasm>
//   e.g. GOOS=js GOARCH=wasm go build -trimpath -o /tmp/full.wasm ./wasm
//        node scripts/wasm-parts.mjs /tmp/full.wasm
// Packages are grouped (runtime, internal/..., the standard library by its
// top directory, our core/ and wasm/ packages one by one) unless --all.
import { readFileSync } from "node:fs";
import { reader } from "./wasm-binary.mjs";
import { brotliCompressSync, constants } from "node:zlib";

const args = process.argv.slice(2);
const all = args.includes("--all");
const byArg = args.find((a) => a.startsWith("--by="));
const by = byArg ? byArg.slice(5) : "pkg";
const file = args.find((a) => !a.startsWith("--"));
if (!file) {
  process.stderr.write("usage: node scripts/wasm-parts.mjs [--all] [--by=pkg|fn] <unstripped.wasm>\n");
  process.exit(2);
}

const buf = readFileSync(file);
const r = reader(buf);

let imported = 0; // imported functions come first in the function index space
let bodies = []; // [start, end) of each defined function's body
const names = new Map(); // function index -> name
let dataSize = 0;
const customSizes = {};
while (r.pos < buf.length) {
  const id = buf[r.pos++];
  const size = r.u();
  const end = r.pos + size;
  if (id === 2) {
    for (let n = r.u(); n > 0; n--) {
      r.str();
      r.str();
      const kind = buf[r.pos++];
      if (kind === 0) {
        imported++;
        r.u();
      } else if (kind === 1) {
        r.pos++;
        const flags = r.u();
        r.u();
        if (flags & 1) r.u();
      } else if (kind === 2) {
        const flags = r.u();
        r.u();
        if (flags & 1) r.u();
      } else if (kind === 3) {
        r.pos += 2;
      }
    }
  } else if (id === 10) {
    for (let n = r.u(); n > 0; n--) {
      const len = r.u();
      bodies.push([r.pos, r.pos + len]);
      r.pos += len;
    }
  } else if (id === 11) {
    dataSize = size;
  } else if (id === 0) {
    const name = r.str();
    customSizes[name] = size;
    if (name === "name") {
      while (r.pos < end) {
        const sub = buf[r.pos++];
        const subSize = r.u();
        const subEnd = r.pos + subSize;
        if (sub === 1) {
          for (let n = r.u(); n > 0; n--) {
            const idx = r.u();
            names.set(idx, r.str());
          }
        }
        r.pos = subEnd;
      }
    }
  }
  r.pos = end;
}
if (names.size === 0) {
  process.stderr.write(`${file}: no function names (built with -ldflags=-s?)\n`);
  process.exit(1);
}

// The package of a Go symbol. Go's wasm name section spells "/" and some
// punctuation as "_": github.com_streamdb_streamdb_core_db.__DB_.batch is
// github.com/streamdb/streamdb/core/db.(*DB).batch. The package ends at the
// first dot (after the host name's own dot). Functions the compiler
// generates (type:.eq.T, hashes) are "type:"; assembly helpers without a
// package are "asm".
function pkgOf(name) {
  if (name.startsWith("type_.")) return "type:";
  const host = name.match(/^[a-z0-9_-]+\.(com|org|net|io|dev|in)_/);
  const from = host ? host[0].length : 0;
  const dot = name.indexOf(".", from);
  if (dot < 0) return "asm";
  return name.slice(0, dot).replaceAll("_", "/");
}
function group(pkg) {
  if (all) return pkg;
  if (pkg.startsWith("github.com/streamdb/streamdb/")) return pkg.slice("github.com/streamdb/streamdb/".length);
  if (pkg.startsWith("github.com/hack/pad/safejs")) return "github.com/hack-pad/safejs";
  if (pkg === "runtime" || pkg.startsWith("runtime/") || pkg.startsWith("internal/runtime/")) return "runtime";
  if (pkg.startsWith("internal/") || pkg.startsWith("vendor/")) return "internal/*";
  return pkg;
}

const groups = new Map();
bodies.forEach(([start, end], i) => {
  const name = names.get(imported + i) ?? "?";
  const key = by === "fn" ? name : group(pkgOf(name));
  let g = groups.get(key);
  if (!g) groups.set(key, (g = { bytes: 0, funcs: 0, parts: [] }));
  g.bytes += end - start;
  g.funcs++;
  g.parts.push(buf.subarray(start, end));
});

const brotli = (data) =>
  brotliCompressSync(data, {
    params: { [constants.BROTLI_PARAM_QUALITY]: 11, [constants.BROTLI_PARAM_SIZE_HINT]: data.length },
  }).length;
const fmt = (n) => String(n).replace(/\B(?=(\d{3})+(?!\d))/g, ",");

const rows = [...groups].sort((a, b) => b[1].bytes - a[1].bytes);
const codeTotal = rows.reduce((s, [, g]) => s + g.bytes, 0);
console.log(`${file}: ${fmt(buf.length)} B; code ${fmt(codeTotal)} B in ${fmt(bodies.length)} functions; data ${fmt(dataSize)} B`);
console.log("part\tfunctions\tcode B\tcode brotli alone B");
for (const [key, g] of rows) {
  const br = by === "fn" || g.bytes < 200 ? "" : fmt(brotli(Buffer.concat(g.parts)));
  console.log(`${key}\t${g.funcs}\t${fmt(g.bytes)}\t${br}`);
}
