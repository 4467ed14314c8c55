/** map_flags bits (include/uapi/linux/bpf.h). */
export const mapFlags = {
  /** BPF_F_NO_PREALLOC: allocate elements on update (required by LPM tries). */
  noPrealloc: 1 << 0,
  /** BPF_F_NO_COMMON_LRU: per-CPU LRU lists (LRU maps only). */
  noCommonLru: 1 << 1,
  /** BPF_F_RDONLY: user space may only read. */
  rdonly: 1 << 3,
  /** BPF_F_WRONLY: user space may only write. */
  wronly: 1 << 4,
  /** BPF_F_ZERO_SEED: a zero hash seed (tests and reproducible benchmarks only). */
  zeroSeed: 1 << 6,
  /** BPF_F_RDONLY_PROG: programs may only read. */
  rdonlyProg: 1 << 7,
  /** BPF_F_WRONLY_PROG: programs may only write. */
  wronlyProg: 1 << 8,
  /** BPF_F_MMAPABLE: an array map user space can mmap. */
  mmapable: 1 << 10,
  /** BPF_F_INNER_MAP: an array that may sit in a map-in-map with a different max_entries. */
  innerMap: 1 << 12,
} as const;

/** The C spelling of each flag, as linux/bpf.h and vmlinux.h both define it. */
const C_NAMES: Record<keyof typeof mapFlags, string> = {
  noPrealloc: 'BPF_F_NO_PREALLOC',
  noCommonLru: 'BPF_F_NO_COMMON_LRU',
  rdonly: 'BPF_F_RDONLY',
  wronly: 'BPF_F_WRONLY',
  zeroSeed: 'BPF_F_ZERO_SEED',
  rdonlyProg: 'BPF_F_RDONLY_PROG',
  wronlyProg: 'BPF_F_WRONLY_PROG',
  mmapable: 'BPF_F_MMAPABLE',
  innerMap: 'BPF_F_INNER_MAP',
};

/** User-space and program access limits, which every map kind accepts. */
export const ACCESS_FLAGS =
  mapFlags.rdonly | mapFlags.wronly | mapFlags.rdonlyProg | mapFlags.wronlyProg;

/** `BPF_F_NO_PREALLOC | BPF_F_MMAPABLE`, for the header. */
export function cFlags(flags: number): string {
  const names = (Object.keys(mapFlags) as (keyof typeof mapFlags)[])
    .filter((k) => flags & mapFlags[k])
    .map((k) => C_NAMES[k]);
  return names.join(' | ');
}

/** `noPrealloc, mmapable`: the flags in `flags`, as the schema spells them. */
export function flagNames(flags: number): string {
  return (
    (Object.keys(mapFlags) as (keyof typeof mapFlags)[])
      .filter((k) => flags & mapFlags[k])
      .join(', ') || 'none'
  );
}

/** Every bit we know. */
export const KNOWN_FLAGS = Object.values(mapFlags).reduce((a, b) => a | b, 0);

/**
 * Flags the kernel does not keep in the map's info: BPF_F_RDONLY and
 * BPF_F_WRONLY limit the fd they are created with, not the map
 * (bpf_map_flags_retain_permanent), so opening compares the rest.
 */
export const FD_ONLY_FLAGS = mapFlags.rdonly | mapFlags.wronly;
