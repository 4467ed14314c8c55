/** Crafting Ethernet + IPv4/IPv6 + TCP/UDP frames to feed the XDP program through BPF_PROG_TEST_RUN. */
import { isIPv6 } from 'node:net';
import { parseIPv4, parseIPv6 } from '@bpfmaps/schema/codec';

export const IPPROTO_TCP = 6;
export const IPPROTO_UDP = 17;

export interface Flow {
  /** IPv4 ("10.0.0.1") or IPv6 ("2001:db8::1"); both ends of one family. */
  saddr: string;
  daddr: string;
  sport: number;
  dport: number;
  proto: typeof IPPROTO_TCP | typeof IPPROTO_UDP;
}

// The schema's own parsers: the test traffic spells addresses exactly as the accessor does.
function address4(text: string): number {
  const n = parseIPv4(text);
  if (n === undefined) throw new Error(`not an IPv4 address: ${text}`);
  return n;
}

function address6(text: string): Uint8Array {
  const bytes = parseIPv6(text);
  if (!bytes) throw new Error(`not an IPv6 address: ${text}`);
  return bytes;
}

/** The size of the frame `frame(flow, payload)` builds. */
export function frameLength(flow: Flow, payload: number): number {
  return 14 + (isIPv6(flow.saddr) ? 40 : 20) + (flow.proto === IPPROTO_TCP ? 20 : 8) + payload;
}

/** A frame of the flow with `payload` bytes after the L4 header. */
export function frame(flow: Flow, payload: number): Uint8Array {
  const v6 = isIPv6(flow.saddr);
  const l3 = v6 ? 40 : 20;
  const l4len = flow.proto === IPPROTO_TCP ? 20 : 8;
  const bytes = new Uint8Array(frameLength(flow, payload));
  const v = new DataView(bytes.buffer);
  v.setUint16(12, v6 ? 0x86dd : 0x0800); // EtherType (DataView defaults to network order)
  if (v6) {
    v.setUint8(14, 0x60); // version 6
    v.setUint16(18, l4len + payload); // payload length
    v.setUint8(20, flow.proto); // next header
    v.setUint8(21, 64); // hop limit
    bytes.set(address6(flow.saddr), 22);
    bytes.set(address6(flow.daddr), 38);
  } else {
    v.setUint8(14, 0x45); // version 4, IHL 5
    v.setUint16(16, l3 + l4len + payload); // total length
    v.setUint8(22, 64); // TTL
    v.setUint8(23, flow.proto);
    v.setUint32(26, address4(flow.saddr));
    v.setUint32(30, address4(flow.daddr));
  }
  const l4 = 14 + l3;
  v.setUint16(l4, flow.sport);
  v.setUint16(l4 + 2, flow.dport);
  if (flow.proto === IPPROTO_TCP)
    v.setUint8(l4 + 12, 0x50); // data offset 5
  else v.setUint16(l4 + 4, l4len + payload); // UDP length
  return bytes;
}

/** An IPv4 frame cut short of `length` bytes (at least an Ethernet header, as BPF_PROG_TEST_RUN requires). */
export function truncatedFrame(length: number): Uint8Array {
  const bytes = new Uint8Array(length);
  new DataView(bytes.buffer).setUint16(12, 0x0800);
  return bytes;
}
