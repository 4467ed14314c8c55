/**
 * The FFI boundary: libbpf.so.1 and libc through koffi, one declaration per
 * function, one memory convention. Every pointer argument is the address of
 * C memory (a NativeBuffer, or 0 for NULL) passed as a plain number, which
 * koffi converts cheapest; strings are the only exception. libbpf 1.x
 * returns -errno from its low-level wrappers; calls that return a pointer
 * set errno instead (read with lastErrno).
 *
 * Loaded on first use, so importing codecs or types works on a machine
 * without libbpf.
 */
import koffi, { type LibraryHandle } from 'koffi';
import { BpfError } from '../errors.js';

export type Pointer = unknown;
/** The address of C memory, or 0 for NULL. */
export type Address = number;

function load(name: string, hint: string): LibraryHandle {
  try {
    return koffi.load(name);
  } catch (cause) {
    throw new BpfError({
      code: 'NOT_SUPPORTED',
      op: 'load library',
      target: name,
      detail: `${(cause as Error).message}. ${hint}`,
    });
  }
}

koffi.opaque('bpf_object');
koffi.opaque('bpf_map');
koffi.opaque('bpf_program');
koffi.opaque('bpf_link');
koffi.opaque('btf');
koffi.proto('int bpfmaps_print_fn(int level, const char *format, void *args)');
koffi.opaque('perf_buffer');
koffi.opaque('ring_buffer');
koffi.proto('void bpfmaps_perf_sample_fn(void *ctx, int cpu, void *data, uint32_t size)');
koffi.proto('void bpfmaps_perf_lost_fn(void *ctx, int cpu, uint64_t count)');
koffi.proto('int bpfmaps_ring_sample_fn(void *ctx, void *data, size_t size)');

/** bpf_map_lookup_batch and bpf_map_lookup_and_delete_batch: a cursor in and out, keys, values, a count. */
type BatchLookup = (
  fd: number,
  inBatch: Address,
  outBatch: Address,
  keys: Address,
  values: Address,
  count: Address,
  opts: Address,
) => number;

function bind() {
  const lib = load('libbpf.so.1', 'Install libbpf 1.x (Debian/Ubuntu: apt-get install libbpf1)');
  const libc = load('libc.so.6', 'bpfmaps needs glibc');
  const f = <T>(signature: string) => lib.func(signature) as unknown as T;
  const c = <T>(signature: string) => libc.func(signature) as unknown as T;
  return {
    // Maps (tools/lib/bpf/bpf.h).
    mapCreate: f<
      (
        type: number,
        name: string,
        keySize: number,
        valueSize: number,
        maxEntries: number,
        opts: Address,
      ) => number
    >(
      'int bpf_map_create(int type, const char *name, uint32_t key_size, uint32_t value_size, uint32_t max_entries, uintptr_t opts)',
    ),
    lookup: f<(fd: number, key: Address, value: Address) => number>(
      'int bpf_map_lookup_elem(int fd, uintptr_t key, uintptr_t value)',
    ),
    lookupFlags: f<(fd: number, key: Address, value: Address, flags: number) => number>(
      'int bpf_map_lookup_elem_flags(int fd, uintptr_t key, uintptr_t value, uint64_t flags)',
    ),
    update: f<(fd: number, key: Address, value: Address, flags: number) => number>(
      'int bpf_map_update_elem(int fd, uintptr_t key, uintptr_t value, uint64_t flags)',
    ),
    delete: f<(fd: number, key: Address) => number>(
      'int bpf_map_delete_elem(int fd, uintptr_t key)',
    ),
    lookupAndDelete: f<(fd: number, key: Address, value: Address) => number>(
      'int bpf_map_lookup_and_delete_elem(int fd, uintptr_t key, uintptr_t value)',
    ),
    nextKey: f<(fd: number, key: Address, next: Address) => number>(
      'int bpf_map_get_next_key(int fd, uintptr_t key, uintptr_t next_key)',
    ),
    lookupBatch: f<BatchLookup>(
      'int bpf_map_lookup_batch(int fd, uintptr_t in_batch, uintptr_t out_batch, uintptr_t keys, uintptr_t values, uintptr_t count, uintptr_t opts)',
    ),
    lookupAndDeleteBatch: f<BatchLookup>(
      'int bpf_map_lookup_and_delete_batch(int fd, uintptr_t in_batch, uintptr_t out_batch, uintptr_t keys, uintptr_t values, uintptr_t count, uintptr_t opts)',
    ),
    updateBatch: f<
      (fd: number, keys: Address, values: Address, count: Address, opts: Address) => number
    >(
      'int bpf_map_update_batch(int fd, uintptr_t keys, uintptr_t values, uintptr_t count, uintptr_t opts)',
    ),
    deleteBatch: f<(fd: number, keys: Address, count: Address, opts: Address) => number>(
      'int bpf_map_delete_batch(int fd, uintptr_t keys, uintptr_t count, uintptr_t opts)',
    ),
    objPin: f<(fd: number, path: string) => number>('int bpf_obj_pin(int fd, const char *path)'),
    objGet: f<(path: string) => number>('int bpf_obj_get(const char *path)'),
    objGetOpts: f<(path: string, opts: Address) => number>(
      'int bpf_obj_get_opts(const char *path, uintptr_t opts)',
    ),
    mapFdById: f<(id: number) => number>('int bpf_map_get_fd_by_id(uint32_t id)'),
    objGetInfo: f<(fd: number, info: Address, len: Address) => number>(
      'int bpf_obj_get_info_by_fd(int fd, uintptr_t info, uintptr_t info_len)',
    ),
    numPossibleCpus: f<() => number>('int libbpf_num_possible_cpus(void)'),
    progLoad: f<
      (
        type: number,
        name: string,
        license: string,
        insns: Address,
        count: number,
        opts: Address,
      ) => number
    >(
      'int bpf_prog_load(int prog_type, const char *prog_name, const char *license, uintptr_t insns, size_t insn_cnt, uintptr_t opts)',
    ),
    progTestRun: f<(fd: number, opts: Address) => number>(
      'int bpf_prog_test_run_opts(int prog_fd, uintptr_t opts)',
    ),

    // BTF (tools/lib/bpf/btf.h).
    btfLoadById: f<(id: number) => Pointer | null>('btf *btf__load_from_kernel_by_id(uint32_t id)'),
    btfFree: f<(btf: Pointer) => void>('void btf__free(btf *btf)'),
    /** The BTF's bytes as the kernel takes them, and their length written at `size`. */
    btfRawData: f<(btf: Pointer, size: Address) => Pointer | null>(
      'const void *btf__raw_data(const btf *btf, uintptr_t size)',
    ),
    // Building BTF for the maps bpfmaps creates: each returns the new type's id, or a negative errno.
    btfNewEmpty: f<() => Pointer | null>('btf *btf__new_empty(void)'),
    btfAddInt: f<(btf: Pointer, name: string, size: number, encoding: number) => number>(
      'int btf__add_int(btf *btf, const char *name, size_t byte_sz, int encoding)',
    ),
    btfAddFloat: f<(btf: Pointer, name: string, size: number) => number>(
      'int btf__add_float(btf *btf, const char *name, size_t byte_sz)',
    ),
    btfAddTypedef: f<(btf: Pointer, name: string, type: number) => number>(
      'int btf__add_typedef(btf *btf, const char *name, int ref_type_id)',
    ),
    btfAddArray: f<(btf: Pointer, indexType: number, elementType: number, count: number) => number>(
      'int btf__add_array(btf *btf, int index_type_id, int elem_type_id, uint32_t nr_elems)',
    ),
    btfAddStruct: f<(btf: Pointer, name: string, size: number) => number>(
      'int btf__add_struct(btf *btf, const char *name, uint32_t sz)',
    ),
    btfAddUnion: f<(btf: Pointer, name: string, size: number) => number>(
      'int btf__add_union(btf *btf, const char *name, uint32_t sz)',
    ),
    btfAddField: f<
      (btf: Pointer, name: string, type: number, bitOffset: number, bits: number) => number
    >(
      'int btf__add_field(btf *btf, const char *name, int field_type_id, uint32_t bit_offset, uint32_t bit_size)',
    ),
    btfAddEnum: f<(btf: Pointer, name: string, size: number) => number>(
      'int btf__add_enum(btf *btf, const char *name, uint32_t bytes_sz)',
    ),
    btfAddEnumValue: f<(btf: Pointer, name: string, value: bigint) => number>(
      'int btf__add_enum_value(btf *btf, const char *name, int64_t value)',
    ),
    btfLoadIntoKernel: f<(btf: Pointer) => number>('int btf__load_into_kernel(btf *btf)'),
    btfFd: f<(btf: Pointer) => number>('int btf__fd(const btf *btf)'),

    // Objects and programs (tools/lib/bpf/libbpf.h).
    objectOpenMem: f<(buffer: Address, size: number, opts: Address) => Pointer | null>(
      'bpf_object *bpf_object__open_mem(uintptr_t obj_buf, size_t obj_buf_sz, uintptr_t opts)',
    ),
    objectLoad: f<(obj: Pointer) => number>('int bpf_object__load(bpf_object *obj)'),
    objectClose: f<(obj: Pointer) => void>('void bpf_object__close(bpf_object *obj)'),
    objectNextMap: f<(obj: Pointer, map: Pointer | null) => Pointer | null>(
      'bpf_map *bpf_object__next_map(const bpf_object *obj, const bpf_map *map)',
    ),
    objectNextProgram: f<(obj: Pointer, prog: Pointer | null) => Pointer | null>(
      'bpf_program *bpf_object__next_program(const bpf_object *obj, bpf_program *prog)',
    ),
    mapName: f<(map: Pointer) => string>('const char *bpf_map__name(const bpf_map *map)'),
    mapFd: f<(map: Pointer) => number>('int bpf_map__fd(const bpf_map *map)'),
    programName: f<(prog: Pointer) => string>(
      'const char *bpf_program__name(const bpf_program *prog)',
    ),
    programFd: f<(prog: Pointer) => number>('int bpf_program__fd(const bpf_program *prog)'),
    programType: f<(prog: Pointer) => number>('int bpf_program__type(const bpf_program *prog)'),
    progTypeName: f<(type: number) => string | null>(
      'const char *libbpf_bpf_prog_type_str(int type)',
    ),
    attachTracepoint: f<(prog: Pointer, category: string, name: string) => Pointer | null>(
      'bpf_link *bpf_program__attach_tracepoint(const bpf_program *prog, const char *category, const char *name)',
    ),
    linkDestroy: f<(link: Pointer) => number>('int bpf_link__destroy(bpf_link *link)'),
    objectBtf: f<(obj: Pointer) => Pointer | null>('btf *bpf_object__btf(const bpf_object *obj)'),

    // Attach and links.
    attach: f<(prog: Pointer) => Pointer | null>(
      'bpf_link *bpf_program__attach(const bpf_program *prog)',
    ),
    attachRawTracepoint: f<(prog: Pointer, name: string) => Pointer | null>(
      'bpf_link *bpf_program__attach_raw_tracepoint(const bpf_program *prog, const char *tp_name)',
    ),
    attachTrace: f<(prog: Pointer) => Pointer | null>(
      'bpf_link *bpf_program__attach_trace(const bpf_program *prog)',
    ),
    attachKprobe: f<(prog: Pointer, retprobe: boolean, fn: string) => Pointer | null>(
      'bpf_link *bpf_program__attach_kprobe(const bpf_program *prog, bool retprobe, const char *func_name)',
    ),
    attachUprobeOpts: f<
      (prog: Pointer, pid: number, binary: string, offset: number, opts: Address) => Pointer | null
    >(
      'bpf_link *bpf_program__attach_uprobe_opts(const bpf_program *prog, int pid, const char *binary_path, size_t func_offset, uintptr_t opts)',
    ),
    attachCgroup: f<(prog: Pointer, cgroupFd: number) => Pointer | null>(
      'bpf_link *bpf_program__attach_cgroup(const bpf_program *prog, int cgroup_fd)',
    ),
    programSectionName: f<(prog: Pointer) => string>(
      'const char *bpf_program__section_name(const bpf_program *prog)',
    ),
    programExpectedAttachType: f<(prog: Pointer) => number>(
      'int bpf_program__expected_attach_type(const bpf_program *prog)',
    ),
    attachTypeName: f<(type: number) => string | null>(
      'const char *libbpf_bpf_attach_type_str(int t)',
    ),
    linkTypeName: f<(type: number) => string | null>('const char *libbpf_bpf_link_type_str(int t)'),
    linkFd: f<(link: Pointer) => number>('int bpf_link__fd(const bpf_link *link)'),
    linkCreate: f<(progFd: number, targetFd: number, attachType: number, opts: Address) => number>(
      'int bpf_link_create(int prog_fd, int target_fd, int attach_type, uintptr_t opts)',
    ),
    tcHookCreate: f<(hook: Address) => number>('int bpf_tc_hook_create(uintptr_t hook)'),
    tcAttach: f<(hook: Address, opts: Address) => number>(
      'int bpf_tc_attach(uintptr_t hook, uintptr_t opts)',
    ),
    tcDetach: f<(hook: Address, opts: Address) => number>(
      'int bpf_tc_detach(uintptr_t hook, uintptr_t opts)',
    ),
    ifNameToIndex: c<(name: string) => number>('unsigned int if_nametoindex(const char *ifname)'),
    ifIndexToName: c<(index: number, name: Address) => Pointer | null>(
      'void *if_indextoname(unsigned int ifindex, uintptr_t ifname)',
    ),

    // Object life cycle and globals.
    programSetAutoload: f<(prog: Pointer, autoload: boolean) => number>(
      'int bpf_program__set_autoload(bpf_program *prog, bool autoload)',
    ),
    programAutoload: f<(prog: Pointer) => boolean>(
      'bool bpf_program__autoload(const bpf_program *prog)',
    ),
    mapIsInternal: f<(map: Pointer) => boolean>('bool bpf_map__is_internal(const bpf_map *map)'),
    mapFlags: f<(map: Pointer) => number>('uint32_t bpf_map__map_flags(const bpf_map *map)'),
    mapBtfValueTypeId: f<(map: Pointer) => number>(
      'uint32_t bpf_map__btf_value_type_id(const bpf_map *map)',
    ),
    /** The map's data image (a .rodata, .data or .bss section), and its size written at `size`. */
    mapInitialValue: f<(map: Pointer, size: Address) => Pointer | null>(
      'void *bpf_map__initial_value(bpf_map *map, uintptr_t psize)',
    ),

    // Event buffers (tools/lib/bpf/libbpf.h).
    perfBufferNew: f<
      (
        fd: number,
        pages: number,
        sample: Pointer,
        lost: Pointer,
        ctx: Address,
        opts: Address,
      ) => Pointer | null
    >(
      'perf_buffer *perf_buffer__new(int map_fd, size_t page_cnt, bpfmaps_perf_sample_fn *sample_cb, bpfmaps_perf_lost_fn *lost_cb, uintptr_t ctx, uintptr_t opts)',
    ),
    perfBufferConsume: f<(pb: Pointer) => number>('int perf_buffer__consume(perf_buffer *pb)'),
    perfBufferEpollFd: f<(pb: Pointer) => number>(
      'int perf_buffer__epoll_fd(const perf_buffer *pb)',
    ),
    perfBufferFree: f<(pb: Pointer) => void>('void perf_buffer__free(perf_buffer *pb)'),
    ringBufferNew: f<(fd: number, sample: Pointer, ctx: Address, opts: Address) => Pointer | null>(
      'ring_buffer *ring_buffer__new(int map_fd, bpfmaps_ring_sample_fn *sample_cb, uintptr_t ctx, uintptr_t opts)',
    ),
    ringBufferConsume: f<(rb: Pointer) => number>('int ring_buffer__consume(ring_buffer *rb)'),
    ringBufferFree: f<(rb: Pointer) => void>('void ring_buffer__free(ring_buffer *rb)'),
    setPrint: f<(fn: Pointer | null) => Pointer | null>(
      'void *libbpf_set_print(bpfmaps_print_fn *fn)',
    ),

    // libc.
    fcntl: c<(fd: number, cmd: number, arg: number) => number>(
      'int fcntl(int fd, int cmd, int arg)',
    ),
    close: c<(fd: number) => number>('int close(int fd)'),
    mmap: c<
      (
        addr: Address,
        length: number,
        prot: number,
        flags: number,
        fd: number,
        offset: number,
      ) => Pointer
    >('void *mmap(uintptr_t addr, size_t length, int prot, int flags, int fd, intptr_t offset)'),
    munmap: c<(addr: Pointer, length: number) => number>('int munmap(void *addr, size_t length)'),
    epollCreate: c<(flags: number) => number>('int epoll_create1(int flags)'),
    epollCtl: c<(epfd: number, op: number, fd: number, event: Address) => number>(
      'int epoll_ctl(int epfd, int op, int fd, uintptr_t event)',
    ),
    /** Blocks: call it with .async, off the main thread. */
    epollWait: c<(epfd: number, events: Address, max: number, timeout: number) => number>(
      'int epoll_wait(int epfd, uintptr_t events, int maxevents, int timeout)',
    ),
    eventfd: c<(initial: number, flags: number) => number>(
      'int eventfd(unsigned int initval, int flags)',
    ),
    read: c<(fd: number, buf: Address, count: number) => number>(
      'intptr_t read(int fd, uintptr_t buf, size_t count)',
    ),
    write: c<(fd: number, buf: Address, count: number) => number>(
      'intptr_t write(int fd, uintptr_t buf, size_t count)',
    ),
    sysconf: c<(name: number) => number>('long sysconf(int name)'),
    vasprintf: c<(out: Address, format: string, args: Pointer) => number>(
      'int vasprintf(uintptr_t strp, const char *format, void *args)',
    ),
    memcpy: c<(to: Address, from: Address, n: number) => Address>(
      'uintptr_t memcpy(uintptr_t dest, uintptr_t src, size_t n)',
    ),
    free: c<(ptr: Address) => void>('void free(uintptr_t ptr)'),
  };
}

let bound: ReturnType<typeof bind> | undefined;

/** The bindings, loading libbpf and libc on first use. */
export function native(): ReturnType<typeof bind> {
  bound ??= bind();
  return bound;
}

/** errno of the last failed call on this thread (for calls that return NULL or -1). */
export function lastErrno(): number {
  return koffi.errno();
}

/** Registers a JS function libbpf calls back; kept alive for the life of the process. */
export function callback(fn: (...args: never[]) => unknown, proto: string): Pointer {
  return koffi.register(fn as never, koffi.pointer(proto));
}

/** The address of a pointer koffi returned (0 for NULL, all ones for MAP_FAILED). */
export function addressOf(ptr: Pointer): bigint {
  return koffi.address(ptr as never);
}

/** A byte view of C memory at `ptr` (for mmap'ed regions). */
export function viewOf(ptr: Pointer, length: number): ArrayBuffer {
  return koffi.view(ptr as never, length) as ArrayBuffer;
}

/** Releases a callback made by `callback` (after libbpf no longer holds it). */
export function releaseCallback(pointer: Pointer): void {
  koffi.unregister(pointer as never);
}

/** Runs a binding on a thread of libuv's pool (it may block) and resolves with its result on the main thread. */
export function offThread<A extends unknown[]>(
  fn: (...args: A) => number,
  ...args: A
): Promise<number> {
  return new Promise((resolve, reject) => {
    (fn as unknown as { async(...a: unknown[]): void }).async(
      ...args,
      (error: unknown, result: number) => (error ? reject(error) : resolve(result)),
    );
  });
}
