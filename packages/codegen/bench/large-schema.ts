/**
 * Times generate() on a schema of 100 maps and 200 structs (issue target:
 * under a second), rendering both files in memory. Run: npm run bench -w @bpfmaps/codegen
 */
import {
  arrayOf,
  be16,
  bits,
  chars,
  enumType,
  hash,
  ipv4,
  percpuArray,
  struct,
  u16,
  u32,
  u64,
  u8,
  anonymousUnion,
} from '@bpfmaps/schema';
import { generate } from '../src/index.js';

export function largeSchema(maps = 100): Record<string, unknown> {
  const module: Record<string, unknown> = {};
  const proto = enumType('Proto', { TCP: 6, UDP: 17 }, { storage: u8 });
  for (let i = 0; i < maps; i++) {
    const key = struct(`Key${i}`, {
      saddr: ipv4,
      sport: be16,
      proto,
      flags: bits(u32, 5),
      kind: bits(u32, 3),
      u: anonymousUnion({ id: u32, pair: arrayOf(u16, 2) }),
    });
    const value = struct(`Value${i}`, {
      packets: u64.counter(),
      bytes: u64.counter(),
      name: chars(16),
      hist: arrayOf(u32, 8),
    });
    module[`Key${i}`] = key;
    module[`Value${i}`] = value;
    module[`map${i}`] =
      i % 2
        ? hash(`map${i}`, { key, value, maxEntries: 1024 })
        : percpuArray(`map${i}`, { value, maxEntries: 16 });
  }
  return module;
}

const module = largeSchema();
const runs: number[] = [];
for (let r = 0; r < 5; r++) {
  const start = performance.now();
  const files = generate(module, {
    source: 'large.schema.ts',
    header: 'large.h',
    module: 'large.gen.ts',
  });
  runs.push(performance.now() - start);
  if (r === 0)
    console.log(
      `generated ${files.map((f) => `${f.path} (${Math.round(f.content.length / 1024)} KiB)`).join(', ')}`,
    );
}
runs.sort((a, b) => a - b);
console.log(
  `100 maps, 200 structs: median ${runs[2]!.toFixed(0)} ms, best ${runs[0]!.toFixed(0)} ms (target: under 1000 ms)`,
);
