// Reading a WebAssembly binary, for the build's post-link steps
// (merge-data-segments.mjs, drop-line-tables.mjs) and wasm-parts.mjs:
// LEB128 numbers, names, the sections and the data segments Go writes.

/** checkModule throws unless buf starts as a WebAssembly module (version 1). */
export function checkModule(buf, file) {
  if (buf.readUInt32LE(0) !== 0x6d736100 || buf.readUInt32LE(4) !== 1) throw new Error(`${file}: not a WebAssembly module`);
}

/**
 * reader reads buf from pos on; pos is a field the caller may move.
 * u() reads an unsigned LEB128, s32() a signed 32-bit one, str() a name.
 */
export function reader(buf, pos = 8) {
  return {
    pos,
    u() {
      let result = 0;
      let shift = 0;
      for (;;) {
        const byte = buf[this.pos++];
        result += (byte & 0x7f) * 2 ** shift;
        shift += 7;
        if ((byte & 0x80) === 0) return result;
      }
    },
    s32() {
      let result = 0;
      let shift = 0;
      let byte;
      do {
        byte = buf[this.pos++];
        result |= (byte & 0x7f) << shift;
        shift += 7;
      } while (byte & 0x80);
      return shift < 32 && byte & 0x40 ? result | (-1 << shift) : result;
    },
    str() {
      const n = this.u();
      const s = buf.toString("utf8", this.pos, this.pos + n);
      this.pos += n;
      return s;
    },
  };
}

/** sections returns the module's sections: [{ id, start (of its header), body, end }]. */
export function sections(buf) {
  const r = reader(buf);
  const out = [];
  while (r.pos < buf.length) {
    const start = r.pos;
    const id = buf[r.pos++];
    const size = r.u();
    out.push({ id, start, body: r.pos, end: r.pos + size });
    r.pos += size;
  }
  return out;
}

/**
 * dataSegments returns the segments of a data section (id 11): [{ offset
 * (in memory), start (in buf), len }]. Go writes active segments of memory
 * 0 at i32.const offsets only; anything else is an error.
 */
export function dataSegments(buf, section, file) {
  const r = reader(buf, section.body);
  const segs = [];
  for (let n = r.u(); n > 0; n--) {
    if (r.u() !== 0 || buf[r.pos++] !== 0x41) throw new Error(`${file}: a data segment that is not active at an i32.const offset`);
    const offset = r.s32() >>> 0;
    if (buf[r.pos++] !== 0x0b) throw new Error(`${file}: a data segment offset that is not a constant`);
    const len = r.u();
    segs.push({ offset, start: r.pos, len });
    r.pos += len;
  }
  if (r.pos !== section.end) throw new Error(`${file}: the data section's size does not match its segments`);
  return segs;
}
