/**
 * A Link is one attachment of a program to a hook. Most are kernel bpf
 * links (an fd: closing the last fd detaches, a pin keeps it attached after
 * that); a TC filter made through clsact is a netlink object, not a link,
 * and cannot be pinned.
 */
import { readlinkSync, unlinkSync } from 'node:fs';
import { BpfError, closedError, errnoError } from '../errors.js';
import { native, type Pointer } from '../ffi/libbpf.js';
import { NativeBuffer } from '../ffi/native-buffer.js';
import { checkBpffs } from '../maps/raw-map.js';
import { pinDenial } from '../maps/pin-access.js';

/** What a Link holds: a bpf link fd (libbpf's or its own), or an attachment that is not a link. */
export interface Attachment {
  /** The bpf link's fd; undefined for an attachment that is not a bpf link. */
  readonly fd: number | undefined;
  /** Why it cannot be pinned, for an attachment that is not a bpf link. */
  readonly notPinnable?: string;
  /** Detaches (or, once pinned, only lets go of this process's fd). */
  destroy(): void;
}

/** A link libbpf made (`struct bpf_link`): bpf_link__destroy also closes the perf event under it. */
export function libbpfAttachment(ptr: Pointer): Attachment {
  return { fd: native().linkFd(ptr), destroy: () => void native().linkDestroy(ptr) };
}

/** A bpf link fd this process owns (from bpf_link_create or a pin). */
export function fdAttachment(fd: number): Attachment {
  return { fd, destroy: () => void native().close(fd) };
}

/** What the kernel says about a link (struct bpf_link_info: type, id, prog_id). */
export interface LinkInfo {
  /** The link's id (bpftool link show id N). */
  id: number;
  /** The id of the program it attaches. */
  programId: number;
  /** The link type: `tracepoint`, `raw_tracepoint`, `perf_event`, `xdp`, `tcx`, `cgroup`, ... */
  type: string;
}

/** enum bpf_link_type values newer than libbpf 1.1 names. */
const NEWER_LINK_TYPES: Record<number, string> = {
  10: 'netfilter',
  11: 'tcx',
  12: 'uprobe_multi',
  13: 'netkit',
  14: 'sockmap',
};

/** Registers a link with its object, which closes it on close(); returns the way to unregister. */
export type LinkOwner = (link: { closeWithObject(): void }) => () => void;

/**
 * An attachment of a program to a hook. `close()` (or `using`) detaches it,
 * unless it is pinned: then the pin keeps it attached until unpinned.
 * Closing the program's object closes its links; using one after that
 * throws BpfError CLOSED.
 */
export class Link implements Disposable {
  #attachment: Attachment | null;
  #closedBy: 'link' | 'object' | undefined;
  #pinnedAt: string | undefined;
  readonly #untrack: () => void;

  /** `description` says what is attached where (`program count -> xdp on veth0`). */
  constructor(
    attachment: Attachment,
    readonly description: string,
    owner?: LinkOwner,
    pinnedAt?: string,
  ) {
    this.#attachment = attachment;
    this.#pinnedAt = pinnedAt;
    this.#untrack = owner?.(this) ?? (() => {});
  }

  /**
   * Opens the link pinned at `path` (on a bpf filesystem). Closing the
   * handle leaves the link attached; `unpin()` then `close()` detaches it.
   * Throws NOT_FOUND (nothing pinned there), INVALID (the pin is a map or a
   * program, or the path is off bpffs), PERMISSION (the pin's file mode).
   */
  static openPinned(path: string): Link {
    const op = 'open pinned link';
    checkBpffs(path, op);
    const fd = native().objGet(path);
    if (fd < 0) throw errnoError(fd, 'open-pin', op, path, { detail: pinDenial(fd, path, 'open') });
    const kind = inodeName(fd);
    if (kind !== 'anon_inode:bpf_link' && kind !== 'anon_inode:bpf-link') {
      native().close(fd);
      throw new BpfError({
        code: 'INVALID',
        op,
        target: path,
        detail: `the pin is ${kind === 'anon_inode:bpf-map' ? 'a map' : kind === 'anon_inode:bpf-prog' ? 'a program' : `something else (${kind})`}, not a link`,
      });
    }
    return new Link(fdAttachment(fd), `${path} (pinned)`, undefined, path);
  }

  get closed(): boolean {
    return this.#attachment === null;
  }

  /** Where this link is pinned (by pin(), or opened from), until unpin(). */
  get pinnedAt(): string | undefined {
    return this.#pinnedAt;
  }

  #use(op: string): Attachment {
    if (this.#attachment) return this.#attachment;
    const error = closedError(op, this.description);
    if (this.#closedBy !== 'object') throw error;
    throw new BpfError({
      code: 'CLOSED',
      op,
      target: this.description,
      detail: "its program's object was closed, which detached it",
    });
  }

  /** The link's fd (owned by the link); throws CLOSED after close, NOT_SUPPORTED for a clsact filter. */
  get fd(): number {
    const at = this.#use('use');
    if (at.fd === undefined) throw this.#notALink('use the fd of', at);
    return at.fd;
  }

  /** The kernel's view of the link: its id, its program's id and its type. */
  info(): LinkInfo {
    const fd = this.fd;
    const memory = new NativeBuffer(64);
    try {
      memory.view.setUint32(60, 56, true);
      const ret = native().objGetInfo(fd, memory.address, memory.address + 60);
      if (ret < 0) throw errnoError(ret, 'info', 'read the info of', this.description);
      const type = memory.view.getUint32(0, true);
      return {
        type: native().linkTypeName(type) ?? NEWER_LINK_TYPES[type] ?? `type ${type}`,
        id: memory.view.getUint32(4, true),
        programId: memory.view.getUint32(8, true),
      };
    } finally {
      memory.free();
    }
  }

  /**
   * Pins the link at `path` on a bpf filesystem: it stays attached after
   * this process closes it or exits, until the pin is removed. Throws
   * INVALID (a path off bpffs, a directory), EXISTS (something is pinned
   * there), NOT_SUPPORTED (a clsact filter, which is not a bpf link), CLOSED.
   */
  pin(path: string): void {
    const op = 'pin link';
    const at = this.#use(op);
    if (at.fd === undefined) throw this.#notALink(op, at);
    checkBpffs(path, op, `${this.description} at ${path}`);
    const ret = native().objPin(at.fd, path);
    if (ret < 0)
      throw errnoError(ret, 'pin', op, `${this.description} at ${path}`, {
        detail: pinDenial(ret, path, 'create'),
      });
    this.#pinnedAt = path;
  }

  /** Removes the pin; the link then lives as long as this handle (close() detaches it). */
  unpin(): void {
    const op = 'unpin link';
    this.#use(op);
    const path = this.#pinnedAt;
    if (path === undefined)
      throw new BpfError({
        code: 'INVALID',
        op,
        target: this.description,
        detail: 'it is not pinned (pin it first, or open it with Link.openPinned)',
      });
    try {
      unlinkSync(path);
    } catch (error) {
      const errno = (error as NodeJS.ErrnoException).errno ?? 0;
      throw errnoError(errno, 'unpin', op, `${this.description} at ${path}`, {
        detail: pinDenial(errno, path, 'remove'),
      });
    }
    this.#pinnedAt = undefined;
  }

  /** Detaches (a pinned link stays attached through its pin); harmless when already closed. */
  close(): void {
    const at = this.#attachment;
    if (!at) return;
    this.#attachment = null;
    this.#closedBy = 'link';
    this.#untrack();
    at.destroy();
  }

  /** Called by the program's object as it closes. */
  closeWithObject(): void {
    if (!this.#attachment) return;
    this.close();
    this.#closedBy = 'object';
  }

  [Symbol.dispose](): void {
    this.close();
  }

  #notALink(op: string, at: Attachment): BpfError {
    return new BpfError({
      code: 'NOT_SUPPORTED',
      op,
      target: this.description,
      detail: at.notPinnable ?? 'it is not a bpf link',
    });
  }
}

/** The name of the inode behind `fd` (`anon_inode:bpf_link`), from /proc. */
function inodeName(fd: number): string {
  try {
    return readlinkSync(`/proc/self/fd/${fd}`);
  } catch {
    return 'unknown';
  }
}
