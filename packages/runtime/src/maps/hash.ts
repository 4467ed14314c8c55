import { flatMemberSpecs } from '@bpfmaps/schema';
import { BpfError } from '../errors.js';
import { KeyedMap } from './keyed.js';

/** The keyed maps whose keys come and go: delete, deleteMany and a clear that deletes. */
export abstract class DeletableMap<K, V> extends KeyedMap<K, V> {
  /** Removes `key`; true if it was there. */
  delete(key: K): boolean {
    return this.deleteKey(key);
  }

  /** Deletes many keys (BPF_MAP_DELETE_BATCH where the kind has it); returns how many were there. Keys are encoded first. */
  deleteMany(keys: Iterable<K>): number {
    return this.deleteKeys(keys);
  }

  /** Deletes every entry; returns how many there were. */
  clear(): number {
    return this.deleteKeys([...this.keys()]);
  }

  /**
   * Takes every entry out of the map, a batch at a time
   * (BPF_MAP_LOOKUP_AND_DELETE_BATCH): each entry is yielded once and
   * removed in the same step, so an update between reading and deleting
   * cannot be lost; entries added while draining are taken or left, never
   * lost. Throws BpfError NOT_SUPPORTED for a kind without that command
   * (LPM tries).
   */
  drain(options: { batchSize?: number } = {}): IterableIterator<[K, V]> {
    return this.drainEntries(options);
  }
}

/** A map of BPF_MAP_TYPE_HASH or LRU_HASH. */
export class HashMap<K, V> extends DeletableMap<K, V> {
  get accessor(): string {
    return 'HashMap';
  }

  /** Removes `key` and returns its value in one syscall (kernel 5.14+); undefined if absent. */
  getAndDelete(key: K): V | undefined {
    return this.takeKey(key);
  }
}

/**
 * A map of BPF_MAP_TYPE_LPM_TRIE. Keys are { prefixlen, data }: `set` and
 * `delete` act on that exact prefix; `get` is the kernel's longest-prefix
 * match (pass an address with the full prefix length, 32 for IPv4). The
 * kernel has no batch ops for tries, so entries() walks with next-key.
 * A prefixlen longer than the data is refused (INVALID) before any syscall:
 * the kernel would refuse a write with a bare EINVAL and miss on a lookup.
 */
export class LpmTrieMap<K, V> extends DeletableMap<K, V> {
  get accessor(): string {
    return 'LpmTrieMap';
  }

  /** The key's first u32 (host order, as the kernel reads it) may not exceed the bits of data after it. */
  protected override checkKey(view: DataView, offset: number, key: K, op: string): void {
    const prefixlen = view.getUint32(offset, true);
    const bits = (this.keyCodec.size - 4) * 8;
    if (prefixlen <= bits) return;
    const keyType = this.raw.spec.keyType;
    const field =
      (keyType?.kind === 'struct' ? flatMemberSpecs(keyType)[0]?.name : undefined) ?? 'prefixlen';
    throw new BpfError({
      code: 'INVALID',
      op,
      target: this.name,
      key,
      detail: `${field} ${prefixlen} is longer than the key's ${bits} bits of data; this trie takes a ${field} in 0..${bits}`,
    });
  }
}
