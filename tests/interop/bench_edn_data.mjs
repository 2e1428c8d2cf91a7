// bench_edn_data.mjs: the peer of bench/edn: npm edn-data parsing the same
// EDN file as bench_edn (its default, rich-typed result: maps as key/value
// pairs, keywords, sets, instants and UUIDs as tagged objects), and node's
// JSON.parse on the same data as JSON, each the best CPU time of REPEAT.
//   node bench_edn_data.mjs IN.edn IN.json [REPEAT]
import { readFileSync } from 'node:fs';
import { parseEDNString } from 'edn-data';

const [edn, json, repeat = '5'] = process.argv.slice(2);
const ednText = readFileSync(edn, 'utf8');
const jsonText = readFileSync(json, 'utf8');

function best(fn) {
  let min = Infinity;
  let out;
  for (let i = 0; i < Number(repeat); i++) {
    const t = process.cpuUsage();
    out = fn();
    const d = process.cpuUsage(t);
    min = Math.min(min, (d.user + d.system) / 1e6);
  }
  return [min, out];
}

const [e, v] = best(() => parseEDNString(ednText));
if (!Array.isArray(v)) throw new Error('edn-data did not read a vector');
console.log(`edn_data_cpu_seconds ${e.toFixed(4)} edn_data_mb_per_s ${(Buffer.byteLength(ednText) / 1e6 / e).toFixed(1)} items ${v.length}`);
const [j] = best(() => JSON.parse(jsonText));
console.log(`node_json_parse_cpu_seconds ${j.toFixed(4)} node_json_mb_per_s ${(Buffer.byteLength(jsonText) / 1e6 / j).toFixed(1)}`);
