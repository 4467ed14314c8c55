export { dump, type DumpOptions, type Format } from './dump.js';
export { top, type TopOptions } from './top.js';
export { listPins, listText, type Listed } from './ls.js';
export { startExport, type ExportOptions } from './export.js';
export { loadSchema, findMap, openMap, type MapOrigin, type Opened } from './source.js';
export { columns, cellText, json, table, whereFilter, type Row } from './rows.js';
export { ToolError } from './errors.js';
