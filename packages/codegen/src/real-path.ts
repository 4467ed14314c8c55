import { lstatSync, readlinkSync, realpathSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';

// Linux gives up after 40 links in one lookup (ELOOP); so do we.
const MAX_LINKS = 40;

/**
 * The file that writing `path` would change: every symlink followed, also
 * through parts that do not exist yet (the real path of the nearest existing
 * ancestor, plus the rest) and through a link whose target is missing. Two
 * paths that name one file give one answer, so outputs are compared by it.
 */
export function realTarget(path: string, links = 0): string {
  const absolute = resolve(path);
  try {
    return realpathSync(absolute);
  } catch {
    // Missing, or a link to something missing: resolved below, part by part.
  }
  const parent = dirname(absolute);
  if (parent === absolute) return absolute;
  const here = join(realTarget(parent, links), basename(absolute));
  if (links < MAX_LINKS && isSymlink(here))
    return realTarget(resolve(dirname(here), readlinkSync(here)), links + 1);
  return here;
}

function isSymlink(path: string): boolean {
  try {
    return lstatSync(path).isSymbolicLink();
  } catch {
    return false;
  }
}
