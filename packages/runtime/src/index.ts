export { BpfObject } from './object.js';
export { Program, type TestRunInput, type TestRunResult } from './program.js';
export { HashMap, type SetMode } from './hash-map.js';
export { RawMap, type MapSource } from './map.js';
export { referenceCodec, type Codec } from './codec.js';
export { checkCompatible, specOf, type MapSpec } from './spec.js';
export { mapInfo, type MapInfo } from './map-info.js';
export { BpfError, type BpfErrorCode, type BpfErrorDetails } from './errors.js';
export { openAll, type MapGroup } from './group.js';
