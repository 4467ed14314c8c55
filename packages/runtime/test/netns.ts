/**
 * A veth pair for network attach tests: one end (`host`) in this process's
 * network namespace, where programs attach, the other (`peer`) in a
 * namespace of its own, so traffic between them crosses the host end.
 * UDP datagrams go both ways; remove() undoes everything, even half-made.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { createSocket } from 'node:dgram';

export interface VethPair {
  /** The end in this namespace. */
  host: string;
  hostIp: string;
  /** The namespace of the other end. */
  netns: string;
  peerIp: string;
  remove(): void;
}

const ip = (...args: string[]) => execFileSync('ip', args, { stdio: 'pipe' });

/** A pair with a /30 between them; `tag` keeps names apart between test files running at once. */
export function vethPair(tag: string, subnet: number): VethPair {
  const id = `${tag}${process.pid % 10000}`;
  const pair: VethPair = {
    host: `bm${id}a`,
    hostIp: `10.231.${subnet}.1`,
    netns: `bpfmaps-${id}`,
    peerIp: `10.231.${subnet}.2`,
    remove: () => {
      spawnSync('ip', ['link', 'del', pair.host], { stdio: 'pipe' });
      spawnSync('ip', ['netns', 'del', pair.netns], { stdio: 'pipe' });
    },
  };
  try {
    pair.remove(); // what a crashed run left behind
    ip('netns', 'add', pair.netns);
    ip('link', 'add', pair.host, 'type', 'veth', 'peer', 'name', `bm${id}b`, 'netns', pair.netns);
    ip('addr', 'add', `${pair.hostIp}/30`, 'dev', pair.host);
    ip('link', 'set', pair.host, 'up');
    ip('-n', pair.netns, 'addr', 'add', `${pair.peerIp}/30`, 'dev', `bm${id}b`);
    ip('-n', pair.netns, 'link', 'set', `bm${id}b`, 'up');
    ip('-n', pair.netns, 'link', 'set', 'lo', 'up');
  } catch (error) {
    pair.remove();
    throw error;
  }
  return pair;
}

/** Sends `count` datagrams from the peer's namespace to host:port (a child node in the namespace). */
export function sendFromPeer(pair: VethPair, port: number, count: number): void {
  const script = `const s = require('dgram').createSocket('udp4');
    let left = ${count};
    const next = () => left-- > 0 ? s.send('bpfmaps', ${port}, '${pair.hostIp}', next) : s.close();
    next();`;
  execFileSync('ip', ['netns', 'exec', pair.netns, process.execPath, '-e', script], {
    stdio: 'pipe',
  });
}

/** Sends `count` datagrams from this process to the peer (they leave through the host end). */
export async function sendToPeer(pair: VethPair, port: number, count: number): Promise<void> {
  const socket = createSocket('udp4');
  try {
    for (let i = 0; i < count; i++)
      await new Promise<void>((resolve, reject) =>
        socket.send('bpfmaps', port, pair.peerIp, (e) => (e ? reject(e) : resolve())),
      );
  } finally {
    socket.close();
  }
}

/** Listens on host:port and counts what arrives while `traffic` runs (and shortly after). */
export async function received(
  pair: VethPair,
  port: number,
  traffic: () => void | Promise<void>,
): Promise<number> {
  const socket = createSocket('udp4');
  let n = 0;
  socket.on('message', () => n++);
  await new Promise<void>((resolve) => socket.bind(port, pair.hostIp, resolve));
  try {
    await traffic();
    await new Promise((r) => setTimeout(r, 200));
    return n;
  } finally {
    socket.close();
  }
}
