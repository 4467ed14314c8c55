import { be16, be32, hash, struct, u64, u8 } from '@bpfmaps/schema';

/** One direction of a connection, as the XDP program sees it in the IPv4 header. */
export const FlowKey = struct(
  'FlowKey',
  {
    saddr: be32,
    daddr: be32,
    sport: be16,
    dport: be16,
    proto: u8,
  },
  { doc: 'IPv4 5-tuple; addresses and ports in network byte order.' },
);

export const FlowStats = struct('FlowStats', { packets: u64, bytes: u64 }, { doc: 'Counters the kernel increments in place.' });

export const flows = hash('flows', { key: FlowKey, value: FlowStats, maxEntries: 1024, doc: 'Packets and bytes per flow.' });
