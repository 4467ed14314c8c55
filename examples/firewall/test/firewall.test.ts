import { execFileSync } from 'node:child_process';
import { describeWith } from '@bpfmaps/testing';
import { expect, it } from 'vitest';
import { Firewall, XDP_DROP, XDP_PASS } from '../src/firewall.js';

describeWith(['bpf'], 'firewall against the kernel', () => {
  it('drops blocked sources by longest prefix, passes the rest, counts hits per rule', () => {
    using fw = new Firewall();
    fw.block([
      { cidr: '10.0.0.0/8', id: 1 },
      { cidr: '10.1.0.0/16', id: 2 },
      { cidr: '172.16.5.5/32', id: 3 },
    ]);
    const sent = {
      '10.200.0.1': XDP_DROP,
      '10.1.9.9': XDP_DROP,
      '10.1.0.1': XDP_DROP,
      '172.16.5.5': XDP_DROP,
      '172.16.5.6': XDP_PASS,
      '11.0.0.1': XDP_PASS,
    };
    for (const [source, verdict] of Object.entries(sent))
      expect(fw.verdict(source), source).toBe(verdict);
    expect(fw.hits()).toEqual(
      new Map([
        [1, 1n],
        [2, 2n],
        [3, 1n],
      ]),
    );
    expect(fw.rules()).toEqual([
      { id: 1, cidr: '10.0.0.0/8', hits: 1n },
      { id: 2, cidr: '10.1.0.0/16', hits: 2n },
      { id: 3, cidr: '172.16.5.5/32', hits: 1n },
    ]);
    expect(fw.unblock('10.1.0.0/16')).toBe(true);
    expect(fw.verdict('10.1.9.9')).toBe(XDP_DROP); // now the /8 matches
    expect(fw.hits().get(1)).toBe(2n);
  });

  it('a bad rule in a batch writes no rule at all', () => {
    using fw = new Firewall();
    expect(() =>
      fw.block([
        { cidr: '10.0.0.0/8', id: 1 },
        { cidr: '300.1.1.1/32', id: 2 },
      ]),
    ).toThrow('Cidr.addr: expected an IPv4 address such as "10.0.0.1", received "300.1.1.1"');
    expect(fw.hits().size).toBe(0);
    expect(fw.verdict('10.0.0.1')).toBe(XDP_PASS);
  });

  it('the demo prints verdicts and hit counters', () => {
    const out = execFileSync(process.execPath, ['--import', 'tsx', 'src/main.ts'], {
      encoding: 'utf8',
    });
    expect(out).toContain('10.9.9.9        DROP');
    expect(out).toContain('8.8.8.8         PASS');
    expect(out).toContain(
      [
        'rule 1  10.0.0.0/8         1 hit',
        'rule 2  10.1.0.0/16        2 hits',
        'rule 3  192.168.7.7/32     1 hit',
      ].join('\n'),
    );
  });
});
