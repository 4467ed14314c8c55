export { describeWith, itWith, missing, type Feature } from './probe.js';
export {
  btfOf,
  compileBpf,
  compileHost,
  runHost,
  tempDir,
  type BtfType,
  type CompileOptions,
} from './clang.js';
export { ensureBpffs, ensureTracefs } from './mounts.js';
