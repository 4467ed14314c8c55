/** Crafting Ethernet + IPv4 + TCP/UDP frames to feed the XDP program through BPF_PROG_TEST_RUN. */

export const IPPROTO_TCP = 6;
export const IPPROTO_UDP = 17;

export interface Flow {
  saddr: string;
  daddr: string;
  sport: number;
  dport: number;
  proto: typeof IPPROTO_TCP | typeof IPPROTO_UDP;
}

/** "10.0.0.1" -> 0x0a000001 (the host number of an address stored in network order). */
export function parseIPv4(text: string): number {
  const parts = text.split('.').map(Number);
  if (parts.length !== 4 || parts.some((p) => !Number.isInteger(p) || p < 0 || p > 255)) throw new Error(`not an IPv4 address: ${text}`);
  return parts.reduce((n, p) => n * 256 + p, 0);
}

/** 0x0a000001 -> "10.0.0.1". */
export function formatIPv4(n: number): string {
  return [24, 16, 8, 0].map((s) => (n >>> s) & 0xff).join('.');
}

/** A frame of the flow with `payload` bytes after the L4 header. */
export function frame(flow: Flow, payload: number): Uint8Array {
  const l4 = flow.proto === IPPROTO_TCP ? 20 : 8;
  const bytes = new Uint8Array(14 + 20 + l4 + payload);
  const v = new DataView(bytes.buffer);
  v.setUint16(12, 0x0800); // EtherType IPv4 (DataView defaults to network order)
  v.setUint8(14, 0x45); // version 4, IHL 5
  v.setUint16(16, 20 + l4 + payload); // total length
  v.setUint8(22, 64); // TTL
  v.setUint8(23, flow.proto);
  v.setUint32(26, parseIPv4(flow.saddr));
  v.setUint32(30, parseIPv4(flow.daddr));
  v.setUint16(34, flow.sport);
  v.setUint16(36, flow.dport);
  if (flow.proto === IPPROTO_TCP) v.setUint8(46, 0x50); // data offset 5
  else v.setUint16(38, 8 + payload); // UDP length
  return bytes;
}
