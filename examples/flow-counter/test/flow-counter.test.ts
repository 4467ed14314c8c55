import { execFileSync } from 'node:child_process';
import { describeWith } from '@bpfmaps/testing';
import { expect, it } from 'vitest';
import { countFlows, type Traffic } from '../src/flow-counter.js';
import { formatIPv4, IPPROTO_TCP, IPPROTO_UDP, parseIPv4 } from '../src/packets.js';

const ETH_IP = 14 + 20;
const traffic: Traffic[] = [
  { flow: { saddr: '10.1.0.1', daddr: '10.1.0.2', sport: 5555, dport: 80, proto: IPPROTO_TCP }, payloads: [0, 10, 1000, 1460, 7] },
  { flow: { saddr: '10.1.0.2', daddr: '10.1.0.1', sport: 80, dport: 5555, proto: IPPROTO_TCP }, payloads: [1460, 1460] },
  { flow: { saddr: '172.16.0.9', daddr: '1.1.1.1', sport: 40001, dport: 53, proto: IPPROTO_UDP }, payloads: [33] },
  // Same addresses and ports as the first flow, but UDP: a different key.
  { flow: { saddr: '10.1.0.1', daddr: '10.1.0.2', sport: 5555, dport: 80, proto: IPPROTO_UDP }, payloads: [1, 2, 3] },
];

describeWith(['bpf'], 'flow-counter against the kernel', () => {
  it('counts the exact packets and bytes of every flow', () => {
    const counted = countFlows(traffic);
    expect(counted).toHaveLength(traffic.length);
    for (const { flow, payloads } of traffic) {
      const l4 = flow.proto === IPPROTO_TCP ? 20 : 8;
      const match = counted.filter(
        ([key]) =>
          formatIPv4(key.saddr) === flow.saddr &&
          key.daddr === parseIPv4(flow.daddr) &&
          key.sport === flow.sport &&
          key.dport === flow.dport &&
          key.proto === flow.proto,
      );
      expect(match, `${flow.saddr}:${flow.sport} proto ${flow.proto}`).toHaveLength(1);
      const [, stats] = match[0]!;
      expect(stats.packets).toBe(BigInt(payloads.length));
      expect(stats.bytes).toBe(BigInt(payloads.reduce((sum, p) => sum + ETH_IP + l4 + p, 0)));
    }
  });

  it('the demo prints the flows it counted', () => {
    const out = execFileSync(process.execPath, ['--import', 'tsx', 'src/main.ts'], { encoding: 'utf8' });
    expect(out).toMatch(/^tcp +10\.0\.0\.1:40000 +10\.0\.0\.2:443 +4 +3176$/m);
    expect(out).toMatch(/^udp +192\.168\.1\.7:53000 +8\.8\.8\.8:53 +1 +82$/m);
    expect(out).toContain('3 flows counted by the kernel');
  });
});
