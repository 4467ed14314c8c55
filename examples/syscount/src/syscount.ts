import { fileURLToPath } from 'node:url';
import { BpfObject, ensureTracefs, type Link } from '@bpfmaps/runtime';
import { openGlobals, openMaps, type CountersGlobals, type Maps } from '../maps.gen.js';

export const OBJECT_PATH = fileURLToPath(new URL('../build/syscount.bpf.o', import.meta.url));

export interface Row {
  /** The process; 0 when counting per syscall only. */
  pid: number;
  comm: string;
  nr: number;
  count: bigint;
  /** Calls per second since the previous snapshot. */
  rate: number;
}

export interface SyscountOptions {
  /** Count only this process (in the kernel: the others cost one compare). */
  pid?: number;
  /** Key counts by process (default), or per syscall number only. */
  byProcess?: boolean;
  objectPath?: string;
}

/**
 * A running syscall counter: the object opened, configured through its
 * .rodata globals, loaded, its program attached by section and its map open.
 * snapshot() reads every entry and computes rates; close() detaches.
 */
export class Syscount implements Disposable {
  readonly #obj: BpfObject;
  readonly #maps: Maps;
  readonly #counters: CountersGlobals;
  readonly #link: Link;
  #last = new Map<string, bigint>();
  #lastAt = performance.now();

  constructor({ pid = 0, byProcess = true, objectPath = OBJECT_PATH }: SyscountOptions = {}) {
    ensureTracefs();
    this.#obj = BpfObject.open(objectPath);
    try {
      const globals = openGlobals(this.#obj);
      globals.config.filter_pid = pid;
      globals.config.by_process = byProcess;
      this.#obj.load();
      this.#counters = globals.counters;
      this.#maps = openMaps(this.#obj);
      this.#link = this.#obj.program('count_syscall').attach();
    } catch (error) {
      this.#obj.close();
      throw error;
    }
  }

  /** The map whose entries are counted (to fill it in tests, or read it whole). */
  get maps(): Maps {
    return this.#maps;
  }

  /** Syscalls not counted because the map was full (a .bss counter, read with no syscall). */
  missed(): bigint {
    return this.#counters.missed;
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
