/**
 * Writing the generated files: all of them or none. Each file is first
 * written beside its target; only when every one is ready are they moved into
 * place, and a failure while moving puts the old files back. Temporary files
 * carry the writer's pid, so the next run removes those a killed writer left.
 * A file whose content is already right is left alone (same inode and mtime:
 * make-style builds see no change).
 */
import { randomBytes } from 'node:crypto';
import * as nodeFs from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { CodegenError } from './errors.js';
import { realTarget } from './real-path.js';

export interface OutputFile {
  path: string;
  content: string;
}

/** The file operations writing needs (tests hand in failing ones). */
export type WriteFs = Pick<
  typeof nodeFs,
  | 'writeFileSync'
  | 'readFileSync'
  | 'statSync'
  | 'chmodSync'
  | 'renameSync'
  | 'linkSync'
  | 'copyFileSync'
  | 'rmSync'
  | 'mkdirSync'
  | 'existsSync'
  | 'readdirSync'
>;

const SIDE_FILE = /\.bpfmaps-(\d+)-[0-9a-f]+\.(tmp|bak)$/;

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** The file's content is already `content` (an unreadable file is not). */
function holds(path: string, content: string, fs: WriteFs): boolean {
  try {
    return fs.readFileSync(path, 'utf8') === content;
  } catch {
    return false;
  }
}

/** The permission bits of the file `path`, if there is one. */
function modeOf(path: string, fs: WriteFs): number | undefined {
  try {
    return fs.statSync(path).mode & 0o7777;
  } catch {
    return undefined;
  }
}

// Where a hard link is not allowed: protected_hardlinks for a file of another
// user, file systems without links (vfat, some FUSE), a link count at its limit.
const NO_HARD_LINK = new Set(['EPERM', 'EXDEV', 'ENOTSUP', 'EOPNOTSUPP', 'EMLINK']);

/** Keeps the file at `path` as `backup` until the write is done: a hard link, or else a copy. */
function backUp(path: string, backup: string, fs: WriteFs): void {
  try {
    fs.linkSync(path, backup);
  } catch (error) {
    if (!NO_HARD_LINK.has((error as NodeJS.ErrnoException).code ?? '')) throw error;
    fs.copyFileSync(path, backup);
  }
}

/** Removes the temporary and backup files of `path` left by writers that are gone. */
function removeLeftovers(path: string, fs: WriteFs): void {
  const dir = dirname(path);
  const prefix = `${basename(path)}.bpfmaps-`;
  for (const name of fs.readdirSync(dir)) {
    const match = name.startsWith(prefix) ? SIDE_FILE.exec(name) : null;
    if (match && !alive(Number(match[1]))) fs.rmSync(join(dir, name), { force: true });
  }
}

/**
 * Writes every file or none: each goes to a temporary file beside its target,
 * and only when all are written are they renamed into place (rename is
 * atomic). Should a rename fail, the files already moved are put back as they
 * were. Missing directories are created. An output that is a symlink stays
 * one: the file it points to is replaced. A replaced file keeps its mode; one
 * that already holds its content is not touched. Returns the outputs it
 * changed. Throws CodegenError saying what failed; on any failure nothing
 * has changed.
 */
export function writeAtomically(
  outputs: readonly OutputFile[],
  fs: WriteFs = nodeFs,
): OutputFile[] {
  const changed = outputs.filter((file) => !holds(realTarget(file.path), file.content, fs));
  const files = changed.map((file) => ({ ...file, path: realTarget(file.path) }));
  const side = (path: string, ext: string) =>
    `${path}.bpfmaps-${process.pid}-${randomBytes(6).toString('hex')}.${ext}`;
  const temps: string[] = [];
  try {
    for (const file of files) {
      fs.mkdirSync(dirname(file.path), { recursive: true });
      removeLeftovers(file.path, fs);
      const temp = side(file.path, 'tmp');
      temps.push(temp);
      fs.writeFileSync(temp, file.content);
      const mode = modeOf(file.path, fs);
      if (mode !== undefined) fs.chmodSync(temp, mode);
    }
  } catch (error) {
    for (const temp of temps) fs.rmSync(temp, { force: true });
    throw new CodegenError(
      `cannot write ${files[temps.length - 1]?.path ?? 'the output'}: ${(error as Error).message}; nothing was written`,
      { cause: error },
    );
  }
  // Move each into place, keeping a backup of the file it replaces until all have moved.
  const moved: { path: string; backup: string | undefined }[] = [];
  try {
    files.forEach((file, i) => {
      const backup = fs.existsSync(file.path) ? side(file.path, 'bak') : undefined;
      if (backup) backUp(file.path, backup, fs);
      moved.push({ path: file.path, backup });
      fs.renameSync(temps[i]!, file.path);
    });
  } catch (error) {
    const undo = moved.reverse().flatMap(({ path, backup }) => {
      try {
        // Renaming a hard link onto the file it links to does nothing, so remove the backup too.
        if (backup) fs.renameSync(backup, path);
        if (backup) fs.rmSync(backup, { force: true });
        else fs.rmSync(path, { force: true });
        return [];
      } catch (undoError) {
        return [`${path}: ${(undoError as Error).message}`];
      }
    });
    for (const temp of temps) fs.rmSync(temp, { force: true });
    const state =
      undo.length === 0 ? 'nothing was written' : `and could not restore ${undo.join(', ')}`;
    throw new CodegenError(
      `cannot move the generated files into place: ${(error as Error).message}; ${state}`,
      { cause: error },
    );
  }
  for (const { backup } of moved) if (backup) fs.rmSync(backup, { force: true });
  return changed;
}

/** The files whose content on disk differs from what would be generated. */
export function staleFiles(files: readonly OutputFile[]): OutputFile[] {
  return files.filter(
    (file) =>
      !nodeFs.existsSync(file.path) || nodeFs.readFileSync(file.path, 'utf8') !== file.content,
  );
}

/** The schema hash a generated file carries (`bpfmaps schema <hash>`), or undefined. */
export function schemaHashOf(path: string): string | undefined {
  if (!nodeFs.existsSync(path)) return undefined;
  return /bpfmaps schema ([0-9a-f]{16})/.exec(nodeFs.readFileSync(path, 'utf8'))?.[1];
}
