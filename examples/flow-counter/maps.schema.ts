import {
  be16,
  enumType,
  hash,
  ipv4,
  ipv6,
  percpuArray,
  struct,
  u64,
  u8,
  union,
} from '@bpfmaps/schema';

/** An IPv4 or IPv6 address: the union is 16 bytes, IPv4 uses the first 4 and the rest stays zero. */
export const Addr = union('Addr', { v4: ipv4, v6: ipv6 });

/** One direction of a connection, as the XDP program parses it. */
export const FlowKey = struct(
  'FlowKey',
  {
    saddr: Addr,
    daddr: Addr,
    sport: be16.describe('Source port, network order in C.'),
    dport: be16,
    family: u8.describe('4 or 6: which member of saddr and daddr is set.'),
    proto: u8,
  },
  { doc: 'IPv4 or IPv6 5-tuple; addresses and ports in network byte order.' },
);

export const FlowStats = struct(
  'FlowStats',
  { packets: u64.counter(), bytes: u64.counter() },
  { doc: 'Counters the kernel increments in place.' },
);

/** Why the program dropped a packet: the index of the drops array. */
export const DropReason = enumType(
  'DropReason',
  { MALFORMED: 0, BLOCKED_PORT: 1 },
  { storage: u8 },
);

export const DropStats = struct('DropStats', { packets: u64.counter(), bytes: u64.counter() });

export const flows = hash('flows', {
  key: FlowKey,
  value: FlowStats,
  maxEntries: 1024,
  doc: 'Packets and bytes per flow.',
});

export const drops = percpuArray('drops', {
  value: DropStats,
  maxEntries: 2,
  doc: 'Drops per reason (DropReason), one copy per CPU: no atomics needed.',
});
