export { generate, generateFromFile, type GenerateOptions } from './generate.js';
export {
  checkOutputsAreNotInputs,
  outputPaths,
  planOutputs,
  type OutputPaths,
  type Planned,
} from './paths.js';
export {
  writeAtomically,
  staleFiles,
  schemaHashOf,
  type OutputFile,
  type WriteFs,
} from './write.js';
export { loadSchemaModule } from './load.js';
export {
  buildModel,
  type FileModel,
  type StructModel,
  type MapModel,
  type EnumModel,
} from './model/index.js';
export { CodegenError, UsageError } from './errors.js';
export { watchSchemas } from './watch.js';
export { checkKernelNames, kernelNames, KERNEL_BTF } from './vmlinux.js';
