export {
  generate,
  generateFromFile,
  outputPaths,
  type GenerateOptions,
  type OutputPaths,
} from './generate.js';
export { writeAtomically, staleFiles, type OutputFile } from './write.js';
export { loadSchemaModule } from './load.js';
export {
  buildModel,
  type FileModel,
  type StructModel,
  type MapModel,
  type EnumModel,
} from './model/index.js';
export { CodegenError } from './errors.js';
export { watchSchemas } from './watch.js';
