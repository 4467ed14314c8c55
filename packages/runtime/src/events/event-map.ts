/**
 * What ring buffers and perf event arrays share: reading decoded events
 * three ways (an async iterator, a callback, a synchronous drain), one
 * reader at a time, with the consumer's pace bounding memory: events stay
 * in the kernel's buffer until read, at most one batch at a time is
 * decoded ahead.
 */
import { u64 } from '@bpfmaps/schema/codec';
import { BpfError, closedError } from '../errors.js';
import { MapHandle } from '../maps/handle.js';
import { PerCpuArrayMap } from '../maps/percpu.js';
import type { RawMap } from '../maps/raw-map.js';
import type { EventDecoder } from './decoder.js';
import { Readiness } from './readiness.js';
import type { SampleSource } from './sources.js';

export interface ReadOptions {
  /** Ends the iteration (or subscription); the map stays open. */
  signal?: AbortSignal;
  /** Events decoded ahead of the consumer at most (default 1024). */
  batch?: number;
}

export interface Subscription {
  /** Settles when the subscription ends: closed, aborted, or the callback threw (rejects then). */
  readonly done: Promise<void>;
  /** Ends it; resolves once it has. */
  close(): Promise<void>;
}

const u64Codec = {
  size: 8,
  encode: (v: DataView, o: number, x: bigint) => v.setBigUint64(o, u64(x, 'drops', ''), true),
  decode: (v: DataView, o: number) => v.getBigUint64(o, true),
};

export abstract class EventMap<E> extends MapHandle implements AsyncIterable<E> {
  readonly decoder: EventDecoder<E>;
  #source: SampleSource | undefined;
  #readiness: Readiness | undefined;
  /** Decoded events not yet handed to the consumer. */
  #queue: E[] = [];
  #head = 0;
  #reader: string | undefined;
  #closed = false;
  #dropsAtClose: bigint | undefined;
  #teardown: Promise<void> | undefined;
  #malformed = 0;
  #dropCounter: PerCpuArrayMap<bigint> | undefined;

  constructor(map: RawMap, decoder: EventDecoder<E>) {
    super(map);
    this.decoder = decoder;
  }

  /** Opens what samples come from (on first read, or by start()). */
  protected abstract openSource(): SampleSource;

  /** Opens the reading side now rather than on the first read. */
  protected start(): void {
    this.#sourceFor('read');
  }

  #sourceFor(op: string): { source: SampleSource; readiness: Readiness } {
    if (this.#closed) throw closedError(op, `map ${this.name}`);
    this.#source ??= this.openSource();
    this.#readiness ??= new Readiness(this.name, this.#source.watch);
    return { source: this.#source, readiness: this.#readiness };
  }

  /** Decodes up to `limit` waiting samples into the queue; returns how many arrived. */
  #fill(source: SampleSource, limit: number): number {
    return source.consume(limit, (view, offset, size) => {
      let event: E | undefined;
      try {
        event = this.decoder.decode(view, offset, size);
      } catch (error) {
        // A value the schema cannot hold: skip it rather than stop the stream on it.
        this.#warnOnce((error as Error).message);
        this.#malformed++;
        return;
      }
      if (event !== undefined) this.#queue.push(event);
      else {
        this.#warnOnce(
          `a sample of ${size} bytes is shorter than its event's fixed part, or its tag`,
        );
        this.#malformed++;
      }
    });
  }

  #take(limit: number): E[] {
    if (this.#head === 0 && limit >= this.#queue.length) {
      const all = this.#queue; // the whole queue: hand it over rather than copy it
      this.#queue = [];
      return all;
    }
    const out = this.#queue.slice(this.#head, this.#head + limit);
    this.#head += out.length;
    if (this.#head === this.#queue.length) {
      this.#queue = [];
      this.#head = 0;
    }
    return out;
  }

  #claim(op: string, reader: string): { source: SampleSource; readiness: Readiness } {
    const opened = this.#sourceFor(op);
    if (this.#reader) {
      throw new BpfError({
        code: 'INVALID',
        op,
        target: this.name,
        detail: `it is already read by ${this.#reader}; one reader at a time`,
      });
    }
    this.#reader = reader;
    return opened;
  }

  /** Up to `limit` events, decoded: those waiting in the queue first. */
  #read(source: SampleSource, limit: number): E[] {
    const waiting = this.#queue.length - this.#head;
    if (waiting < limit) this.#fill(source, limit - waiting);
    return this.#take(limit);
  }

  /**
   * Waits until samples may have come: first by letting the event loop turn
   * once (about a microsecond), and only if the ring is still empty by
   * waiting on its fd off the main thread, a handoff between threads that
   * costs tens of microseconds. A busy ring is rarely empty twice in a row,
   * so under load most waits are the cheap kind; an idle one waits on its fd
   * after one look. Not a poll: one look per time the ring runs dry.
   */
  async #quietly(source: SampleSource, readiness: Readiness): Promise<void> {
    await new Promise<void>((resolve) => setImmediate(resolve));
    if (this.#closed || this.#queue.length > this.#head || source.pending()) return;
    await readiness.wait();
  }

  /** Puts decoded events back at the front of the queue. */
  #unread(events: E[]): void {
    this.#queue = [...events, ...this.#queue.slice(this.#head)];
    this.#head = 0;
  }

  /** The events waiting now, decoded, without blocking (at most `limit`). */
  drain(limit = Infinity): E[] {
    const { source } = this.#claim('drain', 'drain()');
    try {
      return this.#read(source, limit);
    } finally {
      this.#reader = undefined;
    }
  }

  /**
   * Every event as it comes, decoded: `for await (const e of map.events())`.
   * Waits off the main thread, never polls. Ends on close() or when
   * `signal` aborts, or when the loop breaks; one reader at a time.
   *
   * A plain iterator rather than an async generator: an event already read
   * costs one resolved promise, half a generator's resumption.
   */
  events(options: ReadOptions = {}): AsyncIterableIterator<E> {
    const { signal, batch = 1024 } = options;
    const { source, readiness } = this.#claim('read', 'an iterator');
    let finished = false;
    let waiting: Promise<IteratorResult<E>> | undefined;
    const wake = () => readiness.wake();
    signal?.addEventListener('abort', wake);
    const finish = (): IteratorResult<E> => {
      if (!finished) {
        finished = true;
        signal?.removeEventListener('abort', wake);
        this.#reader = undefined;
        if (waiting) readiness.wake();
      }
      return { value: undefined, done: true };
    };
    // The next event, the end, or undefined when none has come yet.
    const take = (): IteratorResult<E> | undefined => {
      if (finished || this.#closed || signal?.aborted) return finish();
      if (this.#head === this.#queue.length && this.#fill(source, batch) === 0) return undefined;
      const value = this.#queue[this.#head++]!;
      if (this.#head === this.#queue.length) {
        this.#queue = [];
        this.#head = 0;
      }
      return { value, done: false };
    };
    const wait = async (): Promise<IteratorResult<E>> => {
      for (;;) {
        await this.#quietly(source, readiness);
        const next = take();
        if (next) return next;
      }
    };
    const iterator: AsyncIterableIterator<E> = {
      next: () => {
        // Called again before the last one settled: in turn, after it.
        if (waiting) return waiting.then(() => iterator.next());
        try {
          const next = take();
          if (next) return Promise.resolve(next);
        } catch (error) {
          finish();
          return Promise.reject(error);
        }
        waiting = wait().finally(() => (waiting = undefined));
        return waiting.catch((error: unknown) => {
          finish();
          throw error;
        });
      },
      return: () => Promise.resolve(finish()),
      throw: (error: unknown) => {
        finish();
        return Promise.reject(error);
      },
      [Symbol.asyncIterator]: () => iterator,
    };
    return iterator;
  }

  [Symbol.asyncIterator](): AsyncIterableIterator<E> {
    return this.events();
  }

  /**
   * Calls `onEvent` for every event as it comes, until close() or abort (or
   * `onEvent` throws): events already read are handed over in a plain loop.
   */
  subscribe(onEvent: (event: E) => void, options: ReadOptions = {}): Subscription {
    const { signal, batch = 1024 } = options;
    const { source, readiness } = this.#claim('subscribe to', 'a subscription');
    const stop = new AbortController();
    const stopped = () => this.#closed || stop.signal.aborted || signal?.aborted === true;
    const wake = () => readiness.wake();
    signal?.addEventListener('abort', wake);
    stop.signal.addEventListener('abort', wake);
    const done = (async () => {
      try {
        while (!stopped()) {
          const events = this.#read(source, batch);
          if (events.length === 0) await this.#quietly(source, readiness);
          for (let i = 0; i < events.length; i++) {
            try {
              onEvent(events[i]!);
            } catch (error) {
              this.#unread(events.slice(i + 1)); // the next reader gets them
              throw error;
            }
          }
        }
      } finally {
        signal?.removeEventListener('abort', wake);
        this.#reader = undefined;
      }
    })();
    return {
      done,
      close: async () => {
        stop.abort();
        await done.catch(() => undefined);
      },
    };
  }

  #warned = false;

  #warnOnce(why: string): void {
    if (this.#warned) return;
    this.#warned = true;
    process.emitWarning(
      `an event of ${this.name} does not decode (${why}); it and any like it are skipped and counted in malformed()`,
      { code: 'BPFMAPS_MALFORMED_EVENT' },
    );
  }

  /**
   * Samples skipped: shorter than their event's fixed part (or tag), or
   * holding a value the schema cannot (the first one warns, naming why).
   */
  malformed(): number {
    return this.#malformed;
  }

  /**
   * Events the kernel program could not hand over (reserve or output failed:
   * the buffer was full), summed over CPUs, from the map's drop counter.
   * Throws NOT_FOUND when the map was opened without it (by id). After
   * close(), the count as it stood then.
   */
  drops(): bigint {
    if (this.#closed && this.#dropsAtClose !== undefined) return this.#dropsAtClose;
    const counter = this.raw.companion('drops');
    if (!counter) {
      throw new BpfError({
        code: 'NOT_FOUND',
        op: 'read drops of',
        target: this.name,
        detail: `its drop counter ${this.name}_drops was not opened with it: ${this.raw.origin.startsWith('object ') ? `the object has none (programs count drops there through the bpfmaps header's helpers; an object built without them counts none)` : 'maps opened by id or pin come alone'}`,
      });
    }
    this.#dropCounter ??= new PerCpuArrayMap(counter, u64Codec);
    return this.#dropCounter.getReduced(0) ?? 0n;
  }

  /**
   * Closes the map. A reader waiting for events ends at once (its pending
   * `next()` resolves done), and so does one between events at its next
   * `next()`; the buffer is unmapped once no wait is pending.
   */
  override close(): void {
    if (this.#closed) return;
    // A reader stopped by close() still wants the final count (a tracer's Ctrl-C).
    try {
      this.#dropsAtClose = this.raw.companion('drops') ? this.drops() : undefined;
    } catch {
      this.#dropsAtClose = undefined;
    }
    this.#closed = true;
    void this.#release();
  }

  /** Resolves when everything close() let go of is released. */
  async [Symbol.asyncDispose](): Promise<void> {
    this.close();
    await this.#release();
  }

  #release(): Promise<void> {
    this.#teardown ??= (async () => {
      this.#readiness?.close();
      this.#source?.close();
      super.close();
    })();
    return this.#teardown;
  }
}
