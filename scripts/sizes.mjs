// Prints the raw, gzip (level 9) and brotli (quality 11) sizes of files,
// as served compressed by a web server.
//
// Usage: node scripts/sizes.mjs <file>...
import { readFileSync } from "node:fs";
import { gzipSync, brotliCompressSync, constants } from "node:zlib";

const files = process.argv.slice(2);
if (files.length === 0) {
  process.stderr.write("usage: node scripts/sizes.mjs <file>...\n");
  process.exit(2);
}

const fmt = (n) => String(n).replace(/\B(?=(\d{3})+(?!\d))/g, ",");

for (const file of files) {
  const data = readFileSync(file);
  const gz = gzipSync(data, { level: 9 }).length;
  const br = brotliCompressSync(data, {
    params: {
      [constants.BROTLI_PARAM_QUALITY]: 11,
      [constants.BROTLI_PARAM_SIZE_HINT]: data.length,
    },
  }).length;
  console.log(`${file}: raw ${fmt(data.length)} B, gzip ${fmt(gz)} B, brotli ${fmt(br)} B`);
}
