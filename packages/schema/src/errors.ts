/** What went wrong, as data: tests and tools match on `code`, people read `message`. */
export type SchemaErrorCode =
  | 'UNKNOWN_TYPE'
  | 'INVALID_NAME'
  | 'RESERVED_NAME'
  | 'DUPLICATE_NAME'
  | 'CONFLICTING_STRUCT'
  | 'INVALID_SIZE'
  | 'INVALID_MAP'
  | 'INVALID_GLOBALS'
  | 'INVALID_BTF'
  | 'EMPTY_STRUCT'
  | 'INVALID_TYPE';

/**
 * SchemaError is thrown when a schema cannot describe a valid C layout or
 * kernel map. `path` names the thing at fault (`FlowKey.sport`, `maps.flows`).
 */
export class SchemaError extends Error {
  override readonly name = 'SchemaError';
  constructor(
    readonly code: SchemaErrorCode,
    readonly path: string,
    readonly detail: string,
    readonly hint?: string,
  ) {
    super(`${path}: ${detail}${hint ? `. ${hint}` : ''}`);
  }
}

/** Thrown by every codec (reference and generated) when a value cannot be encoded. */
export class EncodeError extends TypeError {
  override readonly name = 'EncodeError';
  constructor(
    readonly path: string,
    readonly expected: string,
    readonly received: unknown,
    receivedText?: string,
  ) {
    super(`${path}: expected ${expected}, received ${receivedText ?? describe(received)}`);
  }
}

function describe(value: unknown): string {
  if (typeof value === 'string')
    return JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}...` : value);
  if (typeof value === 'bigint') return `${value}n`;
  if (Array.isArray(value)) return `an array of length ${value.length}`;
  if (value === null) return 'null';
  if (typeof value === 'object') return 'an object';
  return String(value);
}
