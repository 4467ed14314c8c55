import { fileURLToPath } from 'node:url';
import { BpfObject, type Program } from '@bpfmaps/runtime';
import { parseIPv4 } from '@bpfmaps/schema/codec';
import { openMaps, type Maps } from '../maps.gen.js';

export const OBJECT_PATH = fileURLToPath(new URL('../build/firewall.bpf.o', import.meta.url));
export const XDP_DROP = 1;
export const XDP_PASS = 2;

export interface BlockRule {
  /** "10.0.0.0/8" */
  cidr: string;
  id: number;
}

function parseCidr(text: string): { prefixlen: number; addr: string } {
  const [addr = '', len = '32'] = text.split('/');
  const prefixlen = Number(len);
  if (!Number.isInteger(prefixlen) || prefixlen < 0 || prefixlen > 32)
    throw new Error(`${text}: the prefix length must be 0..32`);
  return { prefixlen, addr };
}

/** An IPv4 frame from `saddr` (Ethernet + IPv4 header, no payload). */
export function packetFrom(saddr: string): Uint8Array {
  const bytes = new Uint8Array(34);
  const v = new DataView(bytes.buffer);
  v.setUint16(12, 0x0800);
  v.setUint8(14, 0x45);
  v.setUint16(16, 20);
  v.setUint8(23, 17);
  const addr = parseIPv4(saddr);
  if (addr === undefined) throw new Error(`not an IPv4 address: ${saddr}`);
  v.setUint32(26, addr);
  return bytes;
}

/** The XDP firewall: load it, write the blocklist with one batch, ask it for verdicts, read its hit counters. */
export class Firewall implements Disposable {
  readonly #obj: BpfObject;
  readonly #maps: Maps;
  readonly #program: Program;

  constructor(objectPath = OBJECT_PATH) {
    this.#obj = BpfObject.load(objectPath);
    this.#maps = openMaps(this.#obj);
    this.#program = this.#obj.program('filter');
  }

  /** Adds rules with one BPF_MAP_UPDATE_BATCH; every CIDR is checked before any is written. */
  block(rules: readonly BlockRule[]): void {
    this.#maps.blocklist.setMany(
      rules.map((r) => [parseCidr(r.cidr), { id: r.id, hits: 0n }] as const),
    );
  }

  unblock(cidr: string): boolean {
    return this.#maps.blocklist.delete(parseCidr(cidr));
  }

  /** The verdict of the kernel program for a packet from `saddr`. */
  verdict(saddr: string): number {
    return this.#program.testRun({ data: packetFrom(saddr) }).retval;
  }

  /** Hits per rule id. */
  hits(): Map<number, bigint> {
    return new Map([...this.#maps.blocklist.values()].map((rule) => [rule.id, rule.hits]));
  }

  /** Every rule with its CIDR and the packets it dropped, by id. */
  rules(): (BlockRule & { hits: bigint })[] {
    return [...this.#maps.blocklist.entries()]
      .map(([key, rule]) => ({
        cidr: `${key.addr}/${key.prefixlen}`,
        id: rule.id,
        hits: rule.hits,
      }))
      .sort((a, b) => a.id - b.id);
  }

  close(): void {
    this.#maps.close();
    this.#obj.close();
  }

  [Symbol.dispose](): void {
    this.close();
  }
}
