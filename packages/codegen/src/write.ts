import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { CodegenError } from './errors.js';

export interface OutputFile {
  path: string;
  content: string;
}

/**
 * Writes every file or none: each goes to a temporary file beside its target,
 * and only when all are written are they renamed into place (rename is atomic).
 */
export function writeAtomically(files: readonly OutputFile[]): void {
  const temps: string[] = [];
  try {
    for (const file of files) {
      const temp = `${file.path}.${randomBytes(6).toString('hex')}.tmp`;
      temps.push(temp);
      writeFileSync(temp, file.content);
    }
  } catch (error) {
    for (const temp of temps) rmSync(temp, { force: true });
    throw new CodegenError(
      `cannot write ${files[temps.length - 1]?.path}: ${(error as Error).message}`,
      { cause: error },
    );
  }
  files.forEach((file, i) => renameSync(temps[i] as string, file.path));
}

/** The files whose content on disk differs from what would be generated. */
export function staleFiles(files: readonly OutputFile[]): OutputFile[] {
  return files.filter(
    (file) => !existsSync(file.path) || readFileSync(file.path, 'utf8') !== file.content,
  );
}
