/** The flow-counter demo: crafted packets through the kernel's XDP program, counts read back in TypeScript. */
import { countFlows, type Traffic } from './flow-counter.js';
import { formatIPv4, IPPROTO_TCP, IPPROTO_UDP } from './packets.js';

const traffic: Traffic[] = [
  { flow: { saddr: '10.0.0.1', daddr: '10.0.0.2', sport: 40000, dport: 443, proto: IPPROTO_TCP }, payloads: [100, 1400, 1400, 60] },
  { flow: { saddr: '10.0.0.2', daddr: '10.0.0.1', sport: 443, dport: 40000, proto: IPPROTO_TCP }, payloads: [0, 0, 1200] },
  { flow: { saddr: '192.168.1.7', daddr: '8.8.8.8', sport: 53000, dport: 53, proto: IPPROTO_UDP }, payloads: [40] },
];

const counted = countFlows(traffic).sort(([, a], [, b]) => Number(b.bytes - a.bytes));
const proto = (p: number) => (p === IPPROTO_TCP ? 'tcp' : p === IPPROTO_UDP ? 'udp' : String(p));
console.log('proto  source                 destination             packets    bytes');
for (const [key, stats] of counted) {
  const src = `${formatIPv4(key.saddr)}:${key.sport}`;
  const dst = `${formatIPv4(key.daddr)}:${key.dport}`;
  console.log(`${proto(key.proto).padEnd(6)} ${src.padEnd(22)} ${dst.padEnd(22)} ${String(stats.packets).padStart(8)} ${String(stats.bytes).padStart(8)}`);
}
console.log(`${counted.length} flows counted by the kernel (BPF_PROG_TEST_RUN), read through the generated accessor.`);
