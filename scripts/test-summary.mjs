// Reads a test log on stdin and prints one closing line for CI:
// "tests: N passed, M failed", summing every vitest run in the log.
import { text } from 'node:stream/consumers';

const log = (await text(process.stdin)).replace(/\x1b\[[0-9;]*m/g, '');
let passed = 0;
let failed = 0;
for (const line of log.split('\n')) {
  const m = /^(?:\S+: )?\s*Tests\s+(.*)\(\d+\)\s*$/.exec(line);
  if (!m) continue;
  passed += Number(/(\d+) passed/.exec(m[1])?.[1] ?? 0);
  failed += Number(/(\d+) failed/.exec(m[1])?.[1] ?? 0);
}
console.log(`tests: ${passed} passed, ${failed} failed`);
