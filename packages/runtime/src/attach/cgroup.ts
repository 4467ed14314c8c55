/**
 * Cgroup hooks: a program attaches to a cgroup v2 directory, at the attach
 * type its section gave it (cgroup_skb/egress, cgroup/sock_create, ...),
 * through a bpf link (bpf_program__attach_cgroup).
 */
import { closeSync, constants, openSync, readFileSync, statfsSync, statSync } from 'node:fs';
import { BpfError, errnoError, errnoName } from '../errors.js';
import { lastErrno, native } from '../ffi/libbpf.js';
import { attachLink, type Subject } from './attempt.js';
import { CGROUP_KIND } from './kinds.js';
import { libbpfAttachment, type Link } from './link.js';

/** statfs(2)'s f_type of cgroup v2. */
const CGROUP2_SUPER_MAGIC = 0x63677270;

export function attachCgroup(subject: Subject, path: string): Link {
  const hook = `cgroup ${path}`;
  const target = `program ${subject.name} to ${hook}`;
  const fd = openCgroup(path, target);
  try {
    return attachLink(
      subject,
      {
        kind: CGROUP_KIND,
        hook,
        explain: (errno) =>
          errnoName(errno) === 'EINVAL'
            ? {
                hint: `the kernel refused the program's attach type (${attachTypeOf(subject)}, from its section) on a cgroup`,
              }
            : undefined,
      },
      ({ prog }) => {
        const link = native().attachCgroup(prog, fd);
        return link ? libbpfAttachment(link) : -lastErrno();
      },
    );
  } finally {
    // The link holds the cgroup; the directory's fd was only the way to name it.
    closeSync(fd);
  }
}

function attachTypeOf(subject: Subject): string {
  const type = native().programExpectedAttachType(subject.libbpf('attach'));
  return native().attachTypeName(type) ?? `attach type ${type}`;
}

/** An fd of the cgroup v2 directory at `path`; throws naming what the path is instead. */
function openCgroup(path: string, target: string): number {
  const refuse = (detail: string) =>
    new BpfError({ code: 'INVALID', op: 'attach', target, detail });
  let isDir: boolean;
  try {
    isDir = statSync(path).isDirectory();
  } catch (error) {
    const errno = (error as NodeJS.ErrnoException).errno ?? 0;
    if (errnoName(Math.abs(errno)) === 'ENOENT')
      throw new BpfError({
        code: 'NOT_FOUND',
        op: 'attach',
        target,
        detail: `there is no cgroup ${path} (create it with mkdir under ${cgroup2Mount() ?? 'a cgroup v2 mount'})`,
      });
    throw errnoError(errno, 'attach', 'attach', target);
  }
  if (!isDir)
    throw refuse(`${path} is not a directory; a cgroup is a directory of a cgroup v2 mount`);
  if (Number(statfsSync(path).type) !== CGROUP2_SUPER_MAGIC) {
    const v2 = cgroup2Mount();
    throw refuse(
      `${path} is not in a cgroup v2 hierarchy, and only cgroup v2 takes BPF programs; ${v2 ? `cgroup v2 is mounted at ${v2}` : 'mount one: mount -t cgroup2 none /sys/fs/cgroup'}`,
    );
  }
  try {
    return openSync(path, constants.O_RDONLY | constants.O_DIRECTORY);
  } catch (error) {
    throw errnoError((error as NodeJS.ErrnoException).errno ?? 0, 'attach', 'attach', target);
  }
}

/** Where cgroup v2 is mounted, from /proc/mounts. */
function cgroup2Mount(): string | undefined {
  try {
    const line = readFileSync('/proc/mounts', 'utf8')
      .split('\n')
      .find((l) => l.split(' ')[2] === 'cgroup2');
    return line?.split(' ')[1];
  } catch {
    return undefined;
  }
}
