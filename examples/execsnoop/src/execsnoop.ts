import { fileURLToPath } from 'node:url';
import { BpfObject, ensureTracefs, type Link } from '@bpfmaps/runtime';
import { openMaps, type EventsEvent, type Maps } from '../maps.gen.js';

export const OBJECT_PATH = fileURLToPath(new URL('../build/execsnoop.bpf.o', import.meta.url));

/** The events this tool reads: the schema's tagged union, without the unknown-tag case. */
export type ProcessEvent = Extract<EventsEvent, { kind: 'EXEC' | 'EXIT' }>;

/**
 * A running exec tracer: both tracepoint programs attached, the ring buffer
 * open. Read with `for await (const e of snoop.events())`; close() detaches.
 */
export class Execsnoop implements Disposable {
  readonly #obj: BpfObject;
  readonly #maps: Maps;
  readonly #links: Link[] = [];

  constructor(objectPath = OBJECT_PATH) {
    ensureTracefs();
    this.#obj = BpfObject.load(objectPath);
    try {
      this.#maps = openMaps(this.#obj);
      this.#links.push(
        this.#obj.program('trace_exec').attachTracepoint('sched', 'sched_process_exec'),
        this.#obj.program('trace_exit').attachTracepoint('sched', 'sched_process_exit'),
      );
    } catch (error) {
      this.close();
      throw error;
    }
  }

  /** Execs and exits as they happen, until `signal` aborts or close(). */
  async *events(signal?: AbortSignal): AsyncGenerator<ProcessEvent> {
    for await (const event of this.#maps.events.events({ signal })) {
      // Both programs set the tag through the header's helpers: nothing else can come.
      if (event.kind === 'EXEC' || event.kind === 'EXIT') yield event;
    }
  }

  /** Events the programs could not hand over: the ring was full. */
  drops(): bigint {
    return this.#maps.events.drops();
  }

  close(): void {
    for (const link of this.#links.splice(0)) link.close();
    this.#maps?.close();
    this.#obj.close();
  }

  [Symbol.dispose](): void {
    this.close();
  }
}
