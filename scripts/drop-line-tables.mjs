// Drops, in place, the pc-to-file and pc-to-line tables of the functions
// of a wasm built by the Go toolchain that are not the program's own:
// the runtime's and the standard library's. Their names stay.
//
// Go's function table (runtime.pclntab, in the data section) maps every
// pc of every function to its source file and line; the runtime reads
// those two tables only to print a file:line in a traceback (a panic's,
// runtime.Caller, runtime.CallersFrames). The stack sizes, the pointer
// maps and the inlining tree, which the garbage collector and the
// traceback itself use, are kept. The tables of the runtime and the
// standard library are about 64 KB of dist/streamdb.wasm, brotli. With
// them dropped, a traceback still names every function, and prints the
// file:line of each frame of the program's own code (the --keep
// prefixes); a frame of the runtime or the standard library prints
// "?:0" (what the runtime prints for a function without the tables).
//
// How: each dropped function's _func entry gets 0 for pcfile and pcln
// ("no table", which the runtime's pcvalue reads as unknown), and the
// bytes of a table no kept entry still uses become zeros (they compress
// to almost nothing; the memory layout does not move).
//
// The layout read here is Go's pclntab of Go 1.20 and later (magic
// 0xfffffff1; runtime/symtab.go, runtime/runtime2.go _func); the script
// stops with an error when it finds anything else.
//
// Usage: node scripts/drop-line-tables.mjs --keep=<name prefix>... <file.wasm>...
//   e.g. --keep=github.com/streamdb/streamdb/ --keep=main. dist/streamdb.wasm
import { readFileSync, writeFileSync } from "node:fs";
import { checkModule, sections, dataSegments } from "./wasm-binary.mjs";

const args = process.argv.slice(2);
const keep = args.filter((a) => a.startsWith("--keep=")).map((a) => a.slice(7));
const files = args.filter((a) => !a.startsWith("--"));
if (files.length === 0 || keep.length === 0) {
  process.stderr.write("usage: node scripts/drop-line-tables.mjs --keep=<name prefix>... <file.wasm>...\n");
  process.exit(2);
}

// memory returns read and write access to the module's linear memory as
// its active data segments initialise it; bytes outside every segment
// read as 0 and cannot be written (nothing here writes other than 0).
function memory(buf, file) {
  const segs = sections(buf)
    .filter((sec) => sec.id === 11)
    .flatMap((sec) => dataSegments(buf, sec, file));
  segs.sort((a, b) => a.offset - b.offset);
  // find returns the file position of memory address addr, or -1.
  let last = segs[0];
  const find = (addr) => {
    if (!(last && addr >= last.offset && addr < last.offset + last.len)) {
      let lo = 0;
      let hi = segs.length - 1;
      last = undefined;
      while (lo <= hi) {
        const mid = (lo + hi) >> 1;
        const s = segs[mid];
        if (addr < s.offset) hi = mid - 1;
        else if (addr >= s.offset + s.len) lo = mid + 1;
        else {
          last = s;
          break;
        }
      }
      if (!last) return -1;
    }
    return last.start + addr - last.offset;
  };
  const u8 = (addr) => {
    const p = find(addr);
    return p < 0 ? 0 : buf[p];
  };
  const u32 = (addr) => (u8(addr) | (u8(addr + 1) << 8) | (u8(addr + 2) << 16) | (u8(addr + 3) << 24)) >>> 0;
  const u64 = (addr) => u32(addr) + u32(addr + 4) * 2 ** 32;
  const zero = (addr, n) => {
    for (let i = 0; i < n; i++) {
      const p = find(addr + i);
      if (p >= 0) buf[p] = 0;
    }
  };
  // The pcHeader: magic 0xfffffff1, two pad bytes, minLC 1, ptrSize 8.
  const magic = Buffer.from([0xf1, 0xff, 0xff, 0xff, 0, 0, 1, 8]);
  const headers = [];
  for (const s of segs) {
    const data = buf.subarray(s.start, s.start + s.len);
    for (let i = data.indexOf(magic); i >= 0; i = data.indexOf(magic, i + 1)) {
      if ((s.offset + i) % 8 === 0) headers.push(s.offset + i);
    }
  }
  return { u8, u32, u64, zero, headers };
}

function drop(file) {
  const buf = readFileSync(file);
  checkModule(buf, file);
  const m = memory(buf, file);
  if (m.headers.length !== 1) throw new Error(`${file}: ${m.headers.length} Go pclntab headers (Go 1.20+, wasm) found, want 1`);
  const h = m.headers[0];
  const field = (k) => m.u64(h + 8 + 8 * k);
  const [nfunc, , , funcnameOff, cuOff, , pctabOff, pclnOff] = [0, 1, 2, 3, 4, 5, 6, 7].map(field);
  const names = h + funcnameOff;
  const pctab = h + pctabOff;
  const pcln = h + pclnOff;
  if (!(nfunc > 0 && funcnameOff < cuOff && pctabOff < pclnOff)) throw new Error(`${file}: an unexpected pclntab header`);
  const name = (off) => {
    let s = "";
    for (let a = names + off; ; a++) {
      const c = m.u8(a);
      if (c === 0) return s;
      s += String.fromCharCode(c);
    }
  };
  // tableEnd returns the address past the pc-value table at pctab+off:
  // pairs of a value delta (zig-zag varint) and a pc delta (varint),
  // ended by a value delta of 0 after the first pair.
  const tableEnd = (off) => {
    let a = pctab + off;
    const varint = () => {
      let r = 0;
      let shift = 0;
      for (;;) {
        const b = m.u8(a++);
        r += (b & 0x7f) * 2 ** shift;
        shift += 7;
        if ((b & 0x80) === 0) return r;
      }
    };
    for (let first = true; ; first = false) {
      if (varint() === 0 && !first) return a;
      varint();
    }
  };
  const kept = new Set(); // table offsets some kept field uses
  const dropped = new Set();
  const zeroFields = [];
  let n = 0;
  for (let i = 0; i < nfunc; i++) {
    // functab: (entryoff, funcoff) pairs of uint32; a _func at pcln+funcoff:
    // entryOff, nameOff, args, deferreturn, pcsp, pcfile, pcln, npcdata,
    // cuOffset, startLine (4 bytes each), funcID, flag, pad, nfuncdata,
    // then npcdata uint32 pcdata offsets.
    const f = pcln + m.u32(pcln + 8 * i + 4);
    const npcdata = m.u32(f + 28);
    if (npcdata > 16) throw new Error(`${file}: function ${i} has ${npcdata} pcdata tables: not a Go pclntab as expected`);
    kept.add(m.u32(f + 16)); // pcsp
    for (let k = 0; k < npcdata; k++) kept.add(m.u32(f + 44 + 4 * k));
    const [pcfile, pcline] = [m.u32(f + 20), m.u32(f + 24)];
    if (keep.some((p) => name(m.u32(f + 4)).startsWith(p))) {
      kept.add(pcfile);
      kept.add(pcline);
    } else {
      dropped.add(pcfile);
      dropped.add(pcline);
      zeroFields.push(f + 20);
      n++;
    }
  }
  if (n === nfunc) throw new Error(`${file}: no function name starts with ${keep.join(" or ")}`);
  for (const f of zeroFields) m.zero(f, 8);
  let bytes = 0;
  for (const off of dropped) {
    if (off === 0 || kept.has(off)) continue;
    const end = tableEnd(off);
    bytes += end - (pctab + off);
    m.zero(pctab + off, end - (pctab + off));
  }
  writeFileSync(file, buf);
  return { n, nfunc, bytes };
}

for (const file of files) {
  const { n, nfunc, bytes } = drop(file);
  console.log(`${file}: the file and line tables of ${n} of ${nfunc} functions dropped (${bytes} B zeroed)`);
}
