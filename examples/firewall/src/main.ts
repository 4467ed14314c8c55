/** The firewall demo: a blocklist written from TypeScript, enforced by XDP, hit counters read back. */
import { Firewall, XDP_DROP } from './firewall.js';

using firewall = new Firewall();
firewall.block([
  { cidr: '10.0.0.0/8', id: 1 },
  { cidr: '10.1.0.0/16', id: 2 },
  { cidr: '192.168.7.7/32', id: 3 },
]);
for (const source of [
  '10.9.9.9',
  '10.1.2.3',
  '10.1.2.4',
  '192.168.7.7',
  '192.168.7.8',
  '8.8.8.8',
]) {
  console.log(`${source.padEnd(15)} ${firewall.verdict(source) === XDP_DROP ? 'DROP' : 'PASS'}`);
}
for (const { id, cidr, hits } of firewall.rules())
  console.log(`rule ${id}  ${cidr.padEnd(18)} ${hits} ${hits === 1n ? 'hit' : 'hits'}`);
