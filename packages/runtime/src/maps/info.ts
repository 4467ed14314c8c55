import { chars, decodeReference, struct, u32, u64 } from '@bpfmaps/schema';
import { errnoError } from '../errors.js';
import { native } from '../ffi/libbpf.js';
import { NativeBuffer } from '../ffi/native-buffer.js';

/** struct bpf_map_info (include/uapi/linux/bpf.h), declared with our own schema. */
const BpfMapInfo = struct('BpfMapInfo', {
  type: u32,
  id: u32,
  key_size: u32,
  value_size: u32,
  max_entries: u32,
  map_flags: u32,
  name: chars(16),
  ifindex: u32,
  btf_vmlinux_value_type_id: u32,
  netns_dev: u64,
  netns_ino: u64,
  btf_id: u32,
  btf_key_type_id: u32,
  btf_value_type_id: u32,
  reserved: u32,
  map_extra: u64,
});

/** What the kernel says about a map. */
export interface MapInfo {
  type: number;
  id: number;
  keySize: number;
  valueSize: number;
  maxEntries: number;
  flags: number;
  name: string;
  btfId: number;
  btfKeyTypeId: number;
  btfValueTypeId: number;
  extra: bigint;
}

/** The kernel's info about the map behind `fd` (BPF_OBJ_GET_INFO_BY_FD). */
export function mapInfo(fd: number, name: string): MapInfo {
  const memory = new NativeBuffer(BpfMapInfo.size + 4);
  try {
    memory.view.setUint32(BpfMapInfo.size, BpfMapInfo.size, true);
    const ret = native().objGetInfo(fd, memory.address, memory.address + BpfMapInfo.size);
    if (ret < 0) throw errnoError(ret, 'info', 'get info of map', name);
    const info = decodeReference(BpfMapInfo, memory.bytes.subarray(0, BpfMapInfo.size));
    return {
      type: info.type,
      id: info.id,
      keySize: info.key_size,
      valueSize: info.value_size,
      maxEntries: info.max_entries,
      flags: info.map_flags,
      name: info.name,
      btfId: info.btf_id,
      btfKeyTypeId: info.btf_key_type_id,
      btfValueTypeId: info.btf_value_type_id,
      extra: info.map_extra,
    };
  } finally {
    memory.free();
  }
}
