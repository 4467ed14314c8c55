/** The flow-counter demo: crafted packets through the kernel's XDP program, counts read back in TypeScript. */
import { address, countFlows, type Traffic } from './flow-counter.js';
import { IPPROTO_TCP, IPPROTO_UDP, truncatedFrame } from './packets.js';

const traffic: Traffic[] = [
  {
    flow: { saddr: '10.0.0.1', daddr: '10.0.0.2', sport: 40000, dport: 443, proto: IPPROTO_TCP },
    payloads: [100, 1400, 1400, 60],
  },
  {
    flow: { saddr: '10.0.0.2', daddr: '10.0.0.1', sport: 443, dport: 40000, proto: IPPROTO_TCP },
    payloads: [0, 0, 1200],
  },
  {
    flow: { saddr: '192.168.1.7', daddr: '8.8.8.8', sport: 53000, dport: 53, proto: IPPROTO_UDP },
    payloads: [40],
  },
  {
    flow: {
      saddr: '2001:db8::1',
      daddr: '2001:db8::2',
      sport: 50000,
      dport: 80,
      proto: IPPROTO_TCP,
    },
    payloads: [500, 500],
  },
  {
    flow: { saddr: '10.0.0.9', daddr: '10.0.0.1', sport: 1234, dport: 9, proto: IPPROTO_UDP },
    payloads: [10, 10],
  }, // dropped: port 9
];
const truncated = [truncatedFrame(20)]; // an IPv4 header cut short: dropped as malformed

const { flows, drops } = countFlows(traffic, truncated);
flows.sort(([, a], [, b]) => Number(b.bytes - a.bytes));
const proto = (p: number) => (p === IPPROTO_TCP ? 'tcp' : p === IPPROTO_UDP ? 'udp' : String(p));
const endpoint = (addr: string, port: number) =>
  addr.includes(':') ? `[${addr}]:${port}` : `${addr}:${port}`;
console.log('proto  source                   destination              packets    bytes');
for (const [key, stats] of flows) {
  const src = endpoint(address(key, 'saddr'), key.sport);
  const dst = endpoint(address(key, 'daddr'), key.dport);
  console.log(
    `${proto(key.proto).padEnd(6)} ${src.padEnd(24)} ${dst.padEnd(24)} ${String(stats.packets).padStart(8)} ${String(stats.bytes).padStart(8)}`,
  );
}
console.log(
  `${flows.length} flows counted by the kernel (BPF_PROG_TEST_RUN), read through the generated accessor.`,
);
for (const [reason, stats] of Object.entries(drops))
  console.log(
    `dropped ${reason}: ${stats.packets} ${stats.packets === 1n ? 'packet' : 'packets'}, ${stats.bytes} bytes (summed over every CPU)`,
  );
