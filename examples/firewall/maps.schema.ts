import { ipv4, lpmTrie, mapFlags, struct, u32, u64 } from '@bpfmaps/schema';

/** An IPv4 CIDR as the LPM trie wants it: the prefix length first, then the address. */
export const Cidr = struct('Cidr', { prefixlen: u32, addr: ipv4 });

/** A blocking rule: its id, and how many packets it dropped. */
export const Rule = struct('Rule', {
  id: u32,
  hits: u64.counter().describe('Packets dropped by this rule; the kernel adds atomically.'),
});

export const blocklist = lpmTrie('blocklist', {
  key: Cidr,
  value: Rule,
  maxEntries: 4096,
  flags: mapFlags.noPrealloc,
  doc: 'Source CIDRs to drop; the longest matching prefix wins.',
});
