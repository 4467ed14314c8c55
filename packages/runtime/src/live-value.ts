/**
 * A struct or array value that writes through: `config.filter.port = 443`
 * reads the whole variable, changes that member, and writes the whole value
 * back through `write` (which checks it first), as a skeleton's
 * `skel->rodata->filter.port = 443` does. Reads decode afresh each time, so
 * a view held across kernel updates never shows stale data.
 */

type Path = readonly PropertyKey[];

function at(value: unknown, path: Path): unknown {
  return path.reduce<unknown>((v, key) => (v as Record<PropertyKey, unknown>)[key], value);
}

/** `read()`'s value at `path`: a primitive as it is, an object or array as a live view. */
export function liveValue<T>(read: () => T, write: (value: T) => void, path: Path = []): T {
  const value = at(read(), path);
  if (value === null || typeof value !== 'object') return value as T;
  const refuse = (what: string): never => {
    throw new TypeError(
      `cannot ${what} a global's value in place: assign a member, or the whole value`,
    );
  };
  return new Proxy(value as object, {
    get(_snapshot, key) {
      const fresh = at(read(), path) as Record<PropertyKey, unknown>;
      const member = Reflect.get(fresh, key);
      // Methods (map, subarray, ...) run on a fresh copy: they read, they do not write through.
      if (typeof member === 'function') return (member as () => unknown).bind(fresh);
      if (member !== null && typeof member === 'object')
        return liveValue(read, write, [...path, key]);
      return member;
    },
    set(_snapshot, key, member) {
      const whole = read();
      const parent = at(whole, path) as Record<PropertyKey, unknown>;
      if (!Reflect.has(parent, key)) refuse(`add ${String(key)} to`);
      parent[key] = member;
      write(whole);
      return true;
    },
    has: (_snapshot, key) => Reflect.has(at(read(), path) as object, key),
    ownKeys: () => Reflect.ownKeys(at(read(), path) as object),
    getOwnPropertyDescriptor: (_snapshot, key) =>
      Reflect.getOwnPropertyDescriptor(at(read(), path) as object, key),
    deleteProperty: () => refuse('delete a member of'),
    defineProperty: () => refuse('define a member of'),
  }) as T;
}
