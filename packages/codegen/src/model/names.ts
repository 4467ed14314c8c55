import { SchemaError } from '@bpfmaps/schema';

/**
 * The top-level names a generated module declares or imports. Two owners of
 * one name would make a module that does not compile (or, worse, shadows an
 * import), so the second is refused with both owners named.
 */
export class ModuleNames {
  readonly #owners = new Map<string, string>();

  constructor(imported: readonly string[]) {
    for (const name of imported)
      this.#owners.set(name, 'a name the generated module imports or defines itself');
  }

  /** Claims `name` for `owner` (`struct FlowKey`); returns it. */
  claim(name: string, owner: string, path: string): string {
    const other = this.#owners.get(name);
    if (other !== undefined && other !== owner) {
      throw new SchemaError(
        'RESERVED_NAME',
        path,
        `the generated module needs "${name}" for ${owner}, but it is already ${other}`,
        'Rename the declaration',
      );
    }
    this.#owners.set(name, owner);
    return name;
  }
}
