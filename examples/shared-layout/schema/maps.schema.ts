import { be16, hash, struct, u64 } from '@bpfmaps/schema';

/** Traffic per EtherType: the one layout the C build and the app share. */
export const EtherStats = struct('EtherStats', { packets: u64.counter(), bytes: u64.counter() });

export const by_ethertype = hash('by_ethertype', {
  key: be16,
  value: EtherStats,
  maxEntries: 64,
  doc: 'Keyed by EtherType (network order in C).',
});
