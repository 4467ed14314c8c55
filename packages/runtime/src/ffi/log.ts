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
const scratch = { out: undefined as NativeBuffer | undefined };

/**
 * Formats one message in C. vasprintf sizes the text itself: a verifier log
 * can pass megabytes, and its verdict is at the end, so no fixed buffer
 * will do (and a va_list cannot be walked twice to measure first).
 */
function print(level: number, format: string, args: Pointer): number {
  scratch.out ??= new NativeBuffer(8);
  const lib = native();
  const n = lib.vasprintf(scratch.out.address, format, args);
  if (n < 0) return 0; // out of memory: lose the message, not the process
  const at = Number(scratch.out.view.getBigUint64(0, true));
  const copy = new NativeBuffer(n);
  try {
    lib.memcpy(copy.address, at, n);
    const text = Buffer.from(copy.bytes).toString('utf8');
    if (level < DEBUG) current?.push(text);
    if (process.env.BPFMAPS_DEBUG?.split(',').includes('libbpf')) process.stderr.write(text);
  } finally {
    copy.free();
    lib.free(at);
  }
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
