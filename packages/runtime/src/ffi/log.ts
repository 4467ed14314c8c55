/**
 * libbpf's messages (the verifier log among them) go through its print
 * callback. bpfmaps collects them while an operation runs and attaches them
 * to the error when it fails, instead of letting them scroll past on stderr.
 * BPFMAPS_DEBUG=libbpf prints every message as well.
 */
import { callback, native, type Pointer } from './libbpf.js';
import { NativeBuffer } from './native-buffer.js';

const DEBUG = 2;

let installed = false;
/** The messages of the operation running now, when one collects them. */
let current: string[] | undefined;
const scratch = { buffer: undefined as NativeBuffer | undefined };

function print(level: number, format: string, args: Pointer): number {
  scratch.buffer ??= new NativeBuffer(64 * 1024);
  const buffer = scratch.buffer;
  const n = native().vsnprintf(buffer.address, buffer.size, format, args);
  const text = Buffer.from(
    buffer.bytes.buffer,
    buffer.bytes.byteOffset,
    Math.max(0, Math.min(n, buffer.size - 1)),
  ).toString('utf8');
  if (level < DEBUG) current?.push(text);
  if (process.env.BPFMAPS_DEBUG?.split(',').includes('libbpf')) process.stderr.write(text);
  return 0;
}

function install(): void {
  if (installed) return;
  installed = true;
  // Kept for the life of the process: libbpf holds the pointer.
  native().setPrint(callback(print as never, 'bpfmaps_print_fn'));
}

/** What libbpf said while an operation ran (warnings and information, not debug chatter). */
export interface LibbpfLog {
  text: string;
  /** The verifier's log of a program the kernel refused, when there is one. */
  verifier: string | undefined;
  /** The program the verifier refused. */
  program: string | undefined;
}

/**
 * Runs `fn` collecting libbpf's messages; hands them to `fn`'s result handler.
 * Nested calls share the outer collection.
 */
export function withLibbpfLog<T>(fn: (log: () => LibbpfLog) => T): T {
  install();
  const outer = current;
  const lines: string[] = outer ?? [];
  current = lines;
  try {
    return fn(() => summarize(lines));
  } finally {
    current = outer;
  }
}

function summarize(lines: readonly string[]): LibbpfLog {
  const text = lines.join('');
  const found = /prog '([^']+)': -- BEGIN PROG LOAD LOG --\n([\s\S]*?)-- END PROG LOAD LOG --/.exec(
    text,
  );
  return { text, verifier: found?.[2]?.trim() || undefined, program: found?.[1] };
}
