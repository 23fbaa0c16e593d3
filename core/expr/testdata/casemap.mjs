// casemap.mjs prints, as JSON, what JavaScript's String.prototype.toUpperCase
// and toLowerCase do to every code point that they change, and the ranges of
// the Unicode properties Cased and Case_Ignorable (which decide the final
// sigma rule of toLowerCase). mkcase.go turns it into jscase_table.go.
//
//   node testdata/casemap.mjs | go run mkcase.go > jscase_table.go
const map = [];
for (let cp = 0; cp <= 0x10ffff; cp++) {
  if (cp >= 0xd800 && cp <= 0xdfff) continue;
  const s = String.fromCodePoint(cp);
  const up = s.toUpperCase();
  const lo = s.toLowerCase();
  if (up !== s || lo !== s) map.push([cp, up, lo]);
}
function ranges(re) {
  const out = [];
  let start = -1;
  for (let cp = 0; cp <= 0x110000; cp++) {
    const inSet = cp <= 0x10ffff && !(cp >= 0xd800 && cp <= 0xdfff) && re.test(String.fromCodePoint(cp));
    if (inSet && start < 0) start = cp;
    if (!inSet && start >= 0) {
      out.push([start, cp - 1]);
      start = -1;
    }
  }
  return out;
}
process.stdout.write(
  JSON.stringify({
    unicode: process.versions.unicode,
    map,
    cased: ranges(/^\p{Cased}$/u),
    caseIgnorable: ranges(/^\p{Case_Ignorable}$/u),
  }),
);
