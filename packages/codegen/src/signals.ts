/**
 * How a run ends on SIGHUP, SIGINT or SIGTERM: with 128 + the signal's
 * number, as a shell reports a process the signal killed, and never
 * between the renames of the write. Node runs signal handlers between
 * event-loop turns, never inside synchronous code, and the write is
 * synchronous: a signal that comes during it is handled once it is done.
 */
const EXIT_CODES = { SIGHUP: 129, SIGINT: 130, SIGTERM: 143 } as const;

/** From now on each of those signals exits the process with its code. */
export function exitOnSignals(): void {
  for (const [signal, code] of Object.entries(EXIT_CODES))
    process.once(signal, () => process.exit(code));
}

/**
 * Turns the event loop so a signal already received is handled now: before
 * the write, it stops the run with nothing written; after, it makes the exit
 * code say the run was stopped (the write itself is complete). Two turns,
 * because a setImmediate may run before the poll that reads signals.
 */
export async function handlePendingSignals(): Promise<void> {
  for (let turn = 0; turn < 2; turn++) await new Promise((done) => setImmediate(done));
}

/** Signals that stop --watch (which then exits 0: stopping is how it ends). */
export function onStopSignals(stop: () => void): void {
  for (const signal of Object.keys(EXIT_CODES)) process.once(signal, stop);
}
