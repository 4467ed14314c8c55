/** Typed maps opened together, closed together. */
export type MapGroup<T extends Record<string, Disposable>> = T & Disposable & { close(): void };

/**
 * Opens each map by calling its factory, in order. If one throws, the maps
 * already opened are closed before the error propagates: all or nothing.
 */
export function openAll<T extends Record<string, Disposable>>(factories: {
  [K in keyof T]: () => T[K];
}): MapGroup<T> {
  const opened: Disposable[] = [];
  const group: Record<string, unknown> = {};
  try {
    for (const [name, open] of Object.entries(factories) as [string, () => Disposable][]) {
      const map = open();
      opened.push(map);
      group[name] = map;
    }
  } catch (error) {
    for (const map of opened.reverse()) map[Symbol.dispose]();
    throw error;
  }
  const close = () => {
    for (const map of opened) map[Symbol.dispose]();
  };
  Object.defineProperty(group, 'close', { value: close });
  Object.defineProperty(group, Symbol.dispose, { value: close });
  return group as MapGroup<T>;
}
