/**
 * The maps a BPF object defines the libbpf way, read from its BTF: each is a
 * variable of the `.maps` section whose type is an anonymous struct of
 * pointers, `__uint(type, BPF_MAP_TYPE_HASH)` being `int (*type)[1]`
 * (the number is the array's length) and `__type(key, struct k)` being
 * `struct k *key`. Nothing here needs libbpf.
 */
import type { Btf, BtfType } from '@bpfmaps/schema';
import { CodegenError } from '../errors.js';

/** One map definition, as the object's BTF states it. */
export interface MapDef {
  name: string;
  /** `enum bpf_map_type` value. */
  type: number;
  maxEntries: number;
  flags: number;
  extra: number;
  /** LIBBPF_PIN_BY_NAME (1) or none (0). */
  pinning: number;
  /** BTF ids of the key and value types, where the definition names types. */
  key?: number;
  value?: number;
  /** Sizes, where the definition states sizes instead. */
  keySize?: number;
  valueSize?: number;
  /** The inner map template of a map of maps (`__array(values, struct {...})`). */
  inner?: MapDef;
}

/** Every map defined in the object's `.maps` section, in the order the section lists them. */
export function mapDefs(btf: Btf, source: string): MapDef[] {
  const [section] = btf.named('.maps', 'datasec');
  if (!section) return [];
  return section.entries!.map((e) => {
    const variable = btf.type(e.type);
    return mapDef(btf, variable.name, btf.resolve(variable.type).type, source);
  });
}

function mapDef(btf: Btf, name: string, def: BtfType, source: string): MapDef {
  if (def.kind !== 'struct')
    throw new CodegenError(
      `${source}: map ${name} is not defined the libbpf way (a struct in SEC(".maps")): it is a ${def.kind}`,
    );
  const out: MapDef = { name, type: 0, maxEntries: 0, flags: 0, extra: 0, pinning: 0 };
  for (const m of def.members!) {
    const pointer = btf.resolve(m.type).type;
    // __array(values, ...) is an array of pointers, not a pointer.
    if (m.name === 'values') {
      const element = pointer.kind === 'array' ? btf.resolve(pointer.array!.type).type : undefined;
      const target = element?.kind === 'ptr' ? btf.resolve(element.type).type : undefined;
      if (target?.kind === 'struct') out.inner = mapDef(btf, `${name}_inner`, target, source);
      continue;
    }
    if (pointer.kind !== 'ptr') continue;
    const number = () => {
      const array = btf.resolve(pointer.type).type;
      return array.kind === 'array' ? array.array!.count : 0;
    };
    switch (m.name) {
      case 'type':
        out.type = number();
        break;
      case 'max_entries':
        out.maxEntries = number();
        break;
      case 'map_flags':
        out.flags = number();
        break;
      case 'map_extra':
        out.extra = number();
        break;
      case 'pinning':
        out.pinning = number();
        break;
      case 'key_size':
        out.keySize = number();
        break;
      case 'value_size':
        out.valueSize = number();
        break;
      case 'key':
        out.key = pointer.type;
        break;
      case 'value':
        out.value = pointer.type;
        break;
    }
  }
  return out;
}
