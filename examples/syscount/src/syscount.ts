import { fileURLToPath } from 'node:url';
import { BpfObject, ensureTracefs, type Link } from '@bpfmaps/runtime';
import { openMaps, type Maps } from '../maps.gen.js';

export const OBJECT_PATH = fileURLToPath(new URL('../build/syscount.bpf.o', import.meta.url));

export interface Row {
  pid: number;
  comm: string;
  nr: number;
  count: bigint;
  /** Calls per second since the previous snapshot. */
  rate: number;
}

/**
 * A running syscall counter: the tracepoint program attached, its map open.
 * snapshot() reads every entry and computes rates; close() detaches.
 */
export class Syscount implements Disposable {
  readonly #obj: BpfObject;
  readonly #maps: Maps;
  readonly #link: Link;
  #last = new Map<string, bigint>();
  #lastAt = performance.now();

  constructor(objectPath = OBJECT_PATH) {
    ensureTracefs();
    this.#obj = BpfObject.load(objectPath);
    try {
      this.#maps = openMaps(this.#obj);
      this.#link = this.#obj.program('count_syscall').attachTracepoint('raw_syscalls', 'sys_enter');
    } catch (error) {
      this.#obj.close();
      throw error;
    }
  }

  /** Every (process, syscall) counted so far, busiest first, with rates since the last snapshot. */
  snapshot(): Row[] {
    const now = performance.now();
    const seconds = Math.max((now - this.#lastAt) / 1000, 1e-3);
    const next = new Map<string, bigint>();
    const rows: Row[] = [];
    for (const [key, stats] of this.#maps.syscalls.entries()) {
      const id = `${key.pid}/${key.nr}`;
      next.set(id, stats.count);
      rows.push({
        pid: key.pid,
        comm: stats.comm,
        nr: key.nr,
        count: stats.count,
        rate: Number(stats.count - (this.#last.get(id) ?? 0n)) / seconds,
      });
    }
    this.#last = next;
    this.#lastAt = now;
    return rows.sort((a, b) => b.rate - a.rate || Number(b.count - a.count));
  }

  close(): void {
    this.#link.close();
    this.#maps.close();
    this.#obj.close();
  }

  [Symbol.dispose](): void {
    this.close();
  }
}
