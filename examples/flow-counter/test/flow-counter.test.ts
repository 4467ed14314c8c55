import { execFileSync } from 'node:child_process';
import { describeWith } from '@bpfmaps/testing';
import { expect, it } from 'vitest';
import { address, countFlows, XDP_DROP, XDP_PASS, type Traffic } from '../src/flow-counter.js';
import { frameLength, IPPROTO_TCP, IPPROTO_UDP, truncatedFrame } from '../src/packets.js';

const traffic: Traffic[] = [
  {
    flow: { saddr: '10.1.0.1', daddr: '10.1.0.2', sport: 5555, dport: 80, proto: IPPROTO_TCP },
    payloads: [0, 10, 1000, 1460, 7],
  },
  {
    flow: { saddr: '10.1.0.2', daddr: '10.1.0.1', sport: 80, dport: 5555, proto: IPPROTO_TCP },
    payloads: [1460, 1460],
  },
  {
    flow: { saddr: '172.16.0.9', daddr: '1.1.1.1', sport: 40001, dport: 53, proto: IPPROTO_UDP },
    payloads: [33],
  },
  // Same addresses and ports as the first flow, but UDP: a different key.
  {
    flow: { saddr: '10.1.0.1', daddr: '10.1.0.2', sport: 5555, dport: 80, proto: IPPROTO_UDP },
    payloads: [1, 2, 3],
  },
  {
    flow: {
      saddr: 'fe80::1',
      daddr: '2001:db8:0:1::ff',
      sport: 546,
      dport: 547,
      proto: IPPROTO_UDP,
    },
    payloads: [100, 200],
  },
  {
    flow: {
      saddr: '2001:db8::1',
      daddr: '2001:db8::2',
      sport: 1000,
      dport: 443,
      proto: IPPROTO_TCP,
    },
    payloads: [0],
  },
];
const blocked: Traffic = {
  flow: { saddr: '10.9.9.9', daddr: '10.1.0.1', sport: 7, dport: 9, proto: IPPROTO_TCP },
  payloads: [5, 6, 7],
};
const malformed = [truncatedFrame(14), truncatedFrame(33)];

describeWith(['bpf'], 'flow-counter against the kernel', () => {
  it('counts the exact packets and bytes of every IPv4 and IPv6 flow', () => {
    const { flows, verdicts } = countFlows(traffic);
    expect(verdicts.every((v) => v === XDP_PASS)).toBe(true);
    expect(flows).toHaveLength(traffic.length);
    for (const { flow, payloads } of traffic) {
      const match = flows.filter(
        ([key]) =>
          address(key, 'saddr') === flow.saddr &&
          address(key, 'daddr') === flow.daddr &&
          key.sport === flow.sport &&
          key.dport === flow.dport &&
          key.proto === flow.proto &&
          key.family === (flow.saddr.includes(':') ? 6 : 4),
      );
      expect(match, `${flow.saddr}:${flow.sport} proto ${flow.proto}`).toHaveLength(1);
      const [, stats] = match[0]!;
      expect(stats.packets).toBe(BigInt(payloads.length));
      expect(stats.bytes).toBe(
        BigInt(payloads.reduce((total, p) => total + frameLength(flow, p), 0)),
      );
    }
  });

  it('drops blocked and malformed packets, counted per CPU and summed with the reducer', () => {
    const { flows, drops, verdicts } = countFlows([blocked], malformed);
    expect(verdicts).toEqual([XDP_DROP, XDP_DROP, XDP_DROP, XDP_DROP, XDP_DROP]);
    expect(flows).toEqual([]);
    expect(drops.BLOCKED_PORT).toEqual({
      packets: 3n,
      bytes: BigInt([5, 6, 7].reduce((t, p) => t + frameLength(blocked.flow, p), 0)),
    });
    expect(drops.MALFORMED).toEqual({ packets: 2n, bytes: 47n });
  });

  it('the demo prints the flows it counted', () => {
    const out = execFileSync(process.execPath, ['--import', 'tsx', 'src/main.ts'], {
      encoding: 'utf8',
    });
    expect(out).toMatch(/^tcp +10\.0\.0\.1:40000 +10\.0\.0\.2:443 +4 +3176$/m);
    expect(out).toMatch(/^udp +192\.168\.1\.7:53000 +8\.8\.8\.8:53 +1 +82$/m);
    expect(out).toMatch(/^tcp +\[2001:db8::1\]:50000 +\[2001:db8::2\]:80 +2 +1148$/m);
    expect(out).toContain('4 flows counted by the kernel');
    expect(out).toContain('dropped BLOCKED_PORT: 2 packets, 104 bytes');
    expect(out).toContain('dropped MALFORMED: 1 packet, 20 bytes');
  });
});
