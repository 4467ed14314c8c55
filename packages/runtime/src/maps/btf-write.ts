/**
 * BTF for the maps bpfmaps creates from user space, built from the schema's
 * TypeSpecs with libbpf's writer (btf__new_empty, btf__add_*) and loaded into
 * the kernel, as libbpf does for the maps of an object: `bpftool map dump`
 * then prints fields, a later open of the pinned map is checked member by
 * member, and a spin lock in the value works.
 */
import { kindNamed, type MapSpec, type TypeSpec } from '@bpfmaps/schema';
import { BpfError, errnoError } from '../errors.js';
import { native, type Pointer } from '../ffi/libbpf.js';
import { withLibbpfLog } from '../ffi/log.js';

const BTF_INT_SIGNED = 1;
const BTF_INT_BOOL = 4;

/** A map's BTF in the kernel: its fd (owned until free()) and the key and value type ids. */
export interface MapBtf {
  fd: number;
  keyTypeId: number;
  valueTypeId: number;
  free(): void;
}

/**
 * The BTF of `spec`'s key and value, loaded into the kernel; undefined for
 * a kind whose maps the kernel takes without BTF (their values are fds or
 * they have none), or when the kernel refuses the BTF (the map is then made
 * without it, and creating it says why if it fails too). Throws BpfError
 * naming the map when libbpf refuses a type.
 */
export function mapBtf(spec: MapSpec): MapBtf | undefined {
  if (!kindNamed(spec.kind)?.btfTypes || !spec.valueType) return undefined;
  const lib = native();
  const btf = lib.btfNewEmpty();
  if (!btf)
    throw errnoError(-12, 'create', 'create map', spec.name, { detail: 'building its BTF' });
  try {
    const writer = new BtfWriter(btf, spec.name);
    const keyTypeId = spec.keyType ? writer.add(spec.keyType) : 0;
    const valueTypeId = writer.add(spec.valueType);
    // As libbpf does for an object's maps: a kernel that refuses the BTF gets the map without it,
    // unless the value holds a spinLock, which the kernel finds only through BTF.
    const { ret, log } = withLibbpfLog((log) => ({ ret: lib.btfLoadIntoKernel(btf), log }));
    if (ret < 0 && spec.spinLock)
      throw errnoError(ret, 'create', 'create map', spec.name, {
        detail:
          'the kernel refused the BTF of its key and value, which a value with a spinLock needs (the kernel finds the lock through it)',
        log: log().text,
      });
    if (ret < 0) {
      lib.btfFree(btf);
      return undefined;
    }
    return {
      fd: lib.btfFd(btf),
      keyTypeId,
      valueTypeId,
      // The fd belongs to the btf object: the kernel keeps what a map holds.
      free: () => lib.btfFree(btf),
    };
  } catch (error) {
    lib.btfFree(btf);
    throw error;
  }
}

/** Adds TypeSpecs to one BTF, each shared spec (a named struct used twice) once. */
class BtfWriter {
  readonly #ids = new Map<TypeSpec, number>();
  readonly #names = new Map<string, number>();

  constructor(
    readonly btf: Pointer,
    readonly map: string,
  ) {}

  add(spec: TypeSpec): number {
    const known = this.#ids.get(spec);
    if (known !== undefined) return known;
    const id = this.#build(spec);
    this.#ids.set(spec, id);
    return id;
  }

  /** An integer or float type by name, once. */
  #named(name: string, make: () => number): number {
    const known = this.#names.get(name);
    if (known !== undefined) return known;
    const id = this.#check(make(), name);
    this.#names.set(name, id);
    return id;
  }

  #build(spec: TypeSpec): number {
    const lib = native();
    switch (spec.kind) {
      case 'int': {
        // clang's spelling: the kernel and bpftool print these names.
        const name = spec.bool
          ? '_Bool'
          : spec.char
            ? 'char'
            : `${spec.signed ? '__s' : '__u'}${spec.size * 8}`;
        const encoding = spec.bool ? BTF_INT_BOOL : spec.signed || spec.char ? BTF_INT_SIGNED : 0;
        const int = this.#named(name, () => lib.btfAddInt(this.btf, name, spec.size, encoding));
        // The typedef is how BTF says network byte order: the check reads it back.
        if (!spec.bigEndian) return int;
        const be = `__be${spec.size * 8}`;
        return this.#named(be, () => lib.btfAddTypedef(this.btf, be, int));
      }
      case 'float': {
        const name = spec.size === 4 ? 'float' : 'double';
        return this.#named(name, () => lib.btfAddFloat(this.btf, name, spec.size));
      }
      case 'array': {
        const element = this.add(spec.element);
        const index = this.#named('__ARRAY_SIZE_TYPE__', () =>
          lib.btfAddInt(this.btf, '__ARRAY_SIZE_TYPE__', 4, 0),
        );
        return this.#check(lib.btfAddArray(this.btf, index, element, spec.count), 'an array');
      }
      case 'struct':
      case 'union': {
        // Member types first: btf__add_field adds to the type added last.
        const types = spec.members.map((m) => this.add(m.type));
        const add = spec.kind === 'struct' ? lib.btfAddStruct : lib.btfAddUnion;
        const id = this.#check(add(this.btf, spec.name, spec.size), `${spec.kind} ${spec.name}`);
        spec.members.forEach((m, i) =>
          this.#check(
            lib.btfAddField(this.btf, m.name, types[i]!, m.bitOffset, m.bits),
            `${spec.kind} ${spec.name}.${m.name}`,
          ),
        );
        return id;
      }
      case 'enum': {
        // The kernel reads an enum member of a struct with bitfields as int-sized: narrower ones go as their integer.
        if (spec.size !== 4) return this.add({ kind: 'int', size: spec.size, signed: spec.signed });
        const id = this.#check(lib.btfAddEnum(this.btf, spec.name, spec.size), `enum ${spec.name}`);
        for (const v of spec.values)
          this.#check(
            lib.btfAddEnumValue(this.btf, v.name, BigInt(v.value)),
            `enum ${spec.name}.${v.name}`,
          );
        return id;
      }
      case 'pointer':
      case 'opaque':
        throw new BpfError({
          code: 'INVALID',
          op: 'create map',
          target: this.map,
          detail: `its BTF cannot hold ${spec.kind === 'pointer' ? 'a pointer' : spec.what}`,
        });
    }
  }

  #check(id: number, what: string): number {
    if (id < 0)
      throw errnoError(id, 'create', 'create map', this.map, {
        detail: `adding ${what} to its BTF`,
      });
    return id;
  }
}
