import { BpfError } from '../src/index.js';

/** The BpfError `fn` throws (fails the test if it throws anything else, or nothing). */
export function thrown(fn: () => unknown): BpfError {
  try {
    fn();
  } catch (e) {
    if (e instanceof BpfError) return e;
    throw e;
  }
  throw new Error('expected a BpfError');
}

/** Closes every handle a test opened, even when it fails. */
export class Handles {
  readonly #open: Disposable[] = [];
  add<T extends Disposable>(handle: T): T {
    this.#open.push(handle);
    return handle;
  }
  closeAll(): void {
    for (const h of this.#open.splice(0).reverse()) h[Symbol.dispose]();
  }
}
