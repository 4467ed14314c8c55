export { BpfObject, checkSchema, type OpenOptions } from './object.js';
export {
  Global,
  bindGlobals,
  globalsFromSchema,
  type GlobalInfo,
  type GlobalCodecs,
  type GlobalsSource,
} from './globals.js';
export { Program, type ProgramHandle, type TestRunInput, type TestRunResult } from './program.js';
export { Link, type LinkInfo } from './attach/link.js';
export type { Interface, TcDirection, TcOptions, XdpMode, XdpOptions } from './attach/net.js';
export type { KprobeOptions, UprobeOptions } from './attach/tracing.js';
export { KeyedMap, type UpdateOptions } from './maps/keyed.js';
export { kernelOpsAvailable } from './maps/kernel-batch.js';
export { DeletableMap, HashMap, LpmTrieMap } from './maps/hash.js';
export { ArrayMap, indexCodec } from './maps/array.js';
export {
  PerCpuHashMap,
  PerCpuArrayMap,
  perCpuCodec,
  possibleCpus,
  sum,
  min,
  max,
  type Reducer,
  type AnyReducer,
} from './maps/percpu.js';
export { QueueMap, StackMap, BloomFilterMap } from './maps/value-maps.js';
export { ArrayOfMaps, HashOfMaps } from './maps/map-in-map.js';
export { ProgramArrayMap } from './maps/prog-array.js';
export { MmapArray } from './maps/mmap.js';
export type { SetMode } from './maps/modes.js';
export type { IterateOptions, IterationMode } from './maps/batch.js';
export {
  mapType,
  openMap,
  openPinnedMap,
  openMapById,
  createMap,
  type MapClass,
  type MapType,
  type CreateOptions,
} from './maps/map-type.js';
export { mapFromSchema, mapTypeOf, type AccessorOf, type Accessors } from './maps/from-schema.js';
export { RawMap, checkBpffs, type MapSource, type OpenPinnedOptions } from './maps/raw-map.js';
export { MapHandle } from './maps/handle.js';
export { mapInfo, type MapInfo } from './maps/info.js';
export { openAll, type MapGroup } from './maps/group.js';
export { referenceCodec, type Codec } from './codec.js';
export {
  BpfError,
  errnoName,
  type BpfErrorCode,
  type BpfErrorDetails,
  type ErrnoClass,
  type OpClass,
} from './errors.js';
export type { MapSpec, GlobalsSpec, TypeSpec } from '@bpfmaps/schema';
/** Thrown by every codec, before any syscall, when a value does not fit its type. */
export { EncodeError } from '@bpfmaps/schema';
export { RingBuffer, type RingBufferOptions } from './events/ring-buffer.js';
export { PerfEventArray, type PerfEventArrayOptions } from './events/perf-event-array.js';
export { EventMap, type ReadOptions, type Subscription } from './events/event-map.js';
export { eventDecoder, type EventDecoder, type UnknownEvent } from './events/decoder.js';
export type { EventSpec } from '@bpfmaps/schema';
export { ensureBpffs, ensureTracefs } from './mounts.js';
