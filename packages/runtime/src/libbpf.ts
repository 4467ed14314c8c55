/**
 * The FFI boundary: libbpf.so.1 and libc through koffi, one declaration per
 * function. libbpf 1.x returns -errno from its low-level wrappers, so callers
 * read failures from the return value; pointer-returning calls set errno.
 */
import koffi, { type LibraryHandle } from 'koffi';

function load(name: string, hint: string): LibraryHandle {
  try {
    return koffi.load(name);
  } catch (cause) {
    throw new Error(`cannot load ${name}: ${(cause as Error).message}. ${hint}`, { cause });
  }
}

const libbpf = load('libbpf.so.1', 'Install libbpf 1.x (Debian/Ubuntu: apt-get install libbpf1)');
const libc = load('libc.so.6', 'bpfmaps needs glibc');

koffi.pointer('bpf_object', koffi.opaque());
koffi.pointer('bpf_map', koffi.opaque());
koffi.pointer('bpf_program', koffi.opaque());
koffi.pointer('bpf_link', koffi.opaque());
koffi.pointer('btf', koffi.opaque());

/** struct btf_type (uapi linux/btf.h): name, kind and vlen packed in info, then size or type. */
export const BtfType = koffi.struct('btf_type', { name_off: 'uint32_t', info: 'uint32_t', size_or_type: 'uint32_t' });
/** struct btf_member, which follows a struct or union btf_type, vlen times. */
export const BtfMember = koffi.struct('btf_member', { name_off: 'uint32_t', type: 'uint32_t', offset: 'uint32_t' });

/** struct bpf_test_run_opts (libbpf bpf.h). */
export const TestRunOpts = koffi.struct('bpf_test_run_opts', {
  sz: 'size_t',
  data_in: 'void *',
  data_out: 'void *',
  data_size_in: 'uint32_t',
  data_size_out: 'uint32_t',
  ctx_in: 'void *',
  ctx_out: 'void *',
  ctx_size_in: 'uint32_t',
  ctx_size_out: 'uint32_t',
  retval: 'uint32_t',
  repeat: 'int',
  duration: 'uint32_t',
  flags: 'uint32_t',
  cpu: 'uint32_t',
  batch_size: 'uint32_t',
});

export type Pointer = unknown;
/** Memory libbpf reads or writes: a typed array, a NativeBuffer pointer, or NULL. */
type Bytes = Uint8Array | null | Pointer;

export const bpf = {
  mapCreate: libbpf.func('int bpf_map_create(int type, const char *name, uint32_t key_size, uint32_t value_size, uint32_t max_entries, void *opts)') as (
    type: number,
    name: string,
    keySize: number,
    valueSize: number,
    maxEntries: number,
    opts: Bytes,
  ) => number,
  lookup: libbpf.func('int bpf_map_lookup_elem(int fd, const void *key, void *value)') as (fd: number, key: Bytes, value: Bytes) => number,
  update: libbpf.func('int bpf_map_update_elem(int fd, const void *key, const void *value, uint64_t flags)') as (
    fd: number,
    key: Bytes,
    value: Bytes,
    flags: bigint | number,
  ) => number,
  delete: libbpf.func('int bpf_map_delete_elem(int fd, const void *key)') as (fd: number, key: Bytes) => number,
  nextKey: libbpf.func('int bpf_map_get_next_key(int fd, const void *key, void *next_key)') as (fd: number, key: Bytes, next: Bytes) => number,
  // The hot path: scratch memory in C, passed as plain-number addresses (cheapest for koffi to convert).
  lookupAt: libbpf.func('int bpf_map_lookup_elem(int fd, uintptr_t key, uintptr_t value)') as (fd: number, key: number, value: number) => number,
  updateAt: libbpf.func('int bpf_map_update_elem(int fd, uintptr_t key, uintptr_t value, uint64_t flags)') as (
    fd: number,
    key: number,
    value: number,
    flags: number,
  ) => number,
  deleteAt: libbpf.func('int bpf_map_delete_elem(int fd, uintptr_t key)') as (fd: number, key: number) => number,
  updateBatchAt: libbpf.func('int bpf_map_update_batch(int fd, uintptr_t keys, uintptr_t values, uintptr_t count, uintptr_t opts)') as (
    fd: number,
    keys: number,
    values: number,
    count: number,
    opts: number,
  ) => number,
  lookupBatchAt: libbpf.func(
    'int bpf_map_lookup_batch(int fd, uintptr_t in_batch, uintptr_t out_batch, uintptr_t keys, uintptr_t values, uintptr_t count, uintptr_t opts)',
  ) as (fd: number, inBatch: number, outBatch: number, keys: number, values: number, count: number, opts: number) => number,
  lookupFlags: libbpf.func('int bpf_map_lookup_elem_flags(int fd, const void *key, void *value, uint64_t flags)') as (
    fd: number,
    key: Bytes,
    value: Bytes,
    flags: number,
  ) => number,
  lookupAndDelete: libbpf.func('int bpf_map_lookup_and_delete_elem(int fd, const void *key, void *value)') as (fd: number, key: Bytes, value: Bytes) => number,
  deleteBatch: libbpf.func('int bpf_map_delete_batch(int fd, const void *keys, _Inout_ uint32_t *count, const void *opts)') as (
    fd: number,
    keys: Uint8Array,
    count: number[],
    opts: Bytes,
  ) => number,
  objPin: libbpf.func('int bpf_obj_pin(int fd, const char *path)') as (fd: number, path: string) => number,
  objGet: libbpf.func('int bpf_obj_get(const char *path)') as (path: string) => number,
  mapFdById: libbpf.func('int bpf_map_get_fd_by_id(uint32_t id)') as (id: number) => number,
  numPossibleCpus: libbpf.func('int libbpf_num_possible_cpus(void)') as () => number,
  btfLoadById: libbpf.func('btf *btf__load_from_kernel_by_id(uint32_t id)') as (id: number) => Pointer | null,
  btfFree: libbpf.func('void btf__free(btf *btf)') as (btf: Pointer) => void,
  btfTypeById: libbpf.func('const btf_type *btf__type_by_id(const btf *btf, uint32_t id)') as (btf: Pointer, id: number) => Pointer | null,
  btfName: libbpf.func('const char *btf__name_by_offset(const btf *btf, uint32_t offset)') as (btf: Pointer, offset: number) => string | null,
  attachTracepoint: libbpf.func('bpf_link *bpf_program__attach_tracepoint(const bpf_program *prog, const char *category, const char *name)') as (
    prog: Pointer,
    category: string,
    name: string,
  ) => Pointer | null,
  linkDestroy: libbpf.func('int bpf_link__destroy(bpf_link *link)') as (link: Pointer) => number,
  objGetInfo: libbpf.func('int bpf_obj_get_info_by_fd(int fd, void *info, _Inout_ uint32_t *info_len)') as (
    fd: number,
    info: Uint8Array,
    len: number[],
  ) => number,
  progTestRun: libbpf.func('int bpf_prog_test_run_opts(int prog_fd, _Inout_ bpf_test_run_opts *opts)') as (fd: number, opts: Record<string, unknown>) => number,

  objectOpenFile: libbpf.func('bpf_object *bpf_object__open_file(const char *path, void *opts)') as (path: string, opts: null) => Pointer | null,
  objectLoad: libbpf.func('int bpf_object__load(bpf_object *obj)') as (obj: Pointer) => number,
  objectClose: libbpf.func('void bpf_object__close(bpf_object *obj)') as (obj: Pointer) => void,
  objectName: libbpf.func('const char *bpf_object__name(const bpf_object *obj)') as (obj: Pointer) => string,
  objectNextMap: libbpf.func('bpf_map *bpf_object__next_map(const bpf_object *obj, const bpf_map *map)') as (obj: Pointer, map: Pointer | null) => Pointer | null,
  objectNextProgram: libbpf.func('bpf_program *bpf_object__next_program(const bpf_object *obj, bpf_program *prog)') as (
    obj: Pointer,
    prog: Pointer | null,
  ) => Pointer | null,
  mapName: libbpf.func('const char *bpf_map__name(const bpf_map *map)') as (map: Pointer) => string,
  mapFd: libbpf.func('int bpf_map__fd(const bpf_map *map)') as (map: Pointer) => number,
  programName: libbpf.func('const char *bpf_program__name(const bpf_program *prog)') as (prog: Pointer) => string,
  programFd: libbpf.func('int bpf_program__fd(const bpf_program *prog)') as (prog: Pointer) => number,
};

/** Reads C memory at `ptr` as a koffi type (BTF records that libbpf owns). */
export function decode<T>(ptr: Pointer, offset: number, type: unknown): T {
  return koffi.decode(ptr, offset, type as never) as T;
}

export const sys = {
  /** F_DUPFD_CLOEXEC duplicate, so a handle owns its fd independently of the object it came from. */
  dupCloexec: ((fcntl) => (fd: number) => fcntl(fd, 1030, 3))(
    libc.func('int fcntl(int fd, int cmd, int arg)') as (fd: number, cmd: number, arg: number) => number,
  ),
  close: libc.func('int close(int fd)') as (fd: number) => number,
  mmap: libc.func('void *mmap(void *addr, size_t length, int prot, int flags, int fd, intptr_t offset)') as (
    addr: null,
    length: number,
    prot: number,
    flags: number,
    fd: number,
    offset: number,
  ) => Pointer,
  munmap: libc.func('int munmap(void *addr, size_t length)') as (addr: Pointer, length: number) => number,
  pageSize: (libc.func('long sysconf(int name)') as (name: number) => number)(30), // _SC_PAGESIZE
};

/** errno of the last failed call on this thread (for calls that return NULL or -1). */
export function lastErrno(): number {
  return koffi.errno();
}

const ERRNO_NAMES = new Map<number, string>();
for (const [name, value] of Object.entries(koffi.os.errno as Record<string, number>)) {
  if (!ERRNO_NAMES.has(value)) ERRNO_NAMES.set(value, name);
}
ERRNO_NAMES.set(524, 'ENOTSUPP'); // kernel-internal, leaks out of bpf(2)

/** `2` -> `ENOENT`. */
export function errnoName(errno: number): string {
  return ERRNO_NAMES.get(errno) ?? `errno ${errno}`;
}
