export { describeWith, missing, type Feature } from './probe.js';
export { compileBpf, compileHost, tempDir, type CompileOptions } from './clang.js';
