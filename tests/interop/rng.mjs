// rng.mjs: the seeded random stream of the differential tests (query_diff.mjs,
// tx_diff.mjs): mulberry32, with int(n) as bench/query/gen.h draws it, so a
// seed gives the same cases on every run and every machine.
export function rng(seed) {
  const r = { s: seed >>> 0 };
  const next = () => {
    r.s = (r.s + 0x6D2B79F5) >>> 0;
    let z = r.s;
    z = Math.imul(z ^ (z >>> 15), z | 1) >>> 0;
    z = (z ^ (z + Math.imul(z ^ (z >>> 7), z | 61))) >>> 0;
    return (z ^ (z >>> 14)) >>> 0;
  };
  return {
    int: (n) => Number((BigInt(next()) * BigInt(n)) >> 32n),
    pick(a) { return a[this.int(a.length)]; },
    chance(p) { return this.int(1000) < p * 1000; },
  };
}
