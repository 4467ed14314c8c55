/**
 * `bpfmaps export`: the maps a schema marks `export: true` (or those named)
 * as Prometheus metrics on `/metrics`, opened from their pins or from an
 * object loaded (and, with --attach, attached) for the purpose.
 */
import { join } from 'node:path';
import { BpfError, BpfObject, mapTypeOf, type Link } from '@bpfmaps/runtime';
import type { Catalog } from '@bpfmaps/schema';
import { Registry, registerMaps, serve, type CollectorOptions } from '@bpfmaps/exporter';
import { ToolError } from './errors.js';
import { openMap, type Opened } from './source.js';

export interface ExportOptions extends CollectorOptions {
  maps?: readonly string[];
  pinDir?: string;
  object?: string;
  attach: boolean;
  port: number;
  host?: string;
}

/** Starts serving; returns how to stop (close every map, link and the server). */
export async function startExport(
  schema: Catalog,
  file: string,
  options: ExportOptions,
  say: (line: string) => void,
): Promise<{ port: number; close(): Promise<void> }> {
  if ((options.pinDir === undefined) === (options.object === undefined))
    throw new ToolError(
      'name where the maps are with exactly one of --pin DIR or --object FILE',
      64,
    );
  const wanted = options.maps
    ? options.maps.map((name) => {
        const found = schema.maps.find((m) => m.decl.name === name || m.exportName === name);
        if (!found) throw new ToolError(`${file} declares no map ${name}`);
        return found.decl;
      })
    : schema.maps.filter((m) => m.decl.export).map((m) => m.decl);
  if (wanted.length === 0)
    throw new ToolError(
      `${file} marks no map for export: declare one with export: true, or name them with --maps`,
    );
  const opened: Opened[] = [];
  const links: Link[] = [];
  let obj: BpfObject | undefined;
  try {
    if (options.object !== undefined) {
      obj = BpfObject.load(options.object);
      for (const decl of wanted) opened.push(openFrom(obj, decl));
      if (options.attach)
        for (const name of obj.programNames()) {
          try {
            links.push(obj.program(name).attach());
            say(`attached ${links.at(-1)!.description}`);
          } catch (error) {
            // An XDP, TC or cgroup program names no hook in its section: what it attaches to is chosen at run time.
            if (!(error instanceof BpfError)) throw error;
            say(`note: program ${name} not attached: ${error.message}`);
          }
        }
    } else {
      for (const decl of wanted)
        opened.push(openMap(decl, { pin: join(options.pinDir!, decl.name) }));
    }
    const registry = new Registry();
    const collectors = registerMaps(
      registry,
      wanted.map((decl, i) => ({ decl, map: opened[i]!.map })),
      options,
    );
    for (const c of collectors)
      if (c.plan.skipped.length)
        say(`note: map ${c.plan.map}: ${c.plan.skipped.join(', ')} not exported (not numbers)`);
    const { server, port } = await serve(registry, {
      port: options.port,
      host: options.host,
    }).catch((error: NodeJS.ErrnoException) => {
      const where = `${options.host ?? 'every interface'}, port ${options.port}`;
      const why =
        error.code === 'EADDRINUSE'
          ? 'the port is in use (--port)'
          : error.code === 'EACCES'
            ? 'not allowed to listen there (a port below 1024 needs CAP_NET_BIND_SERVICE)'
            : error.code === 'ENOTFOUND' || error.code === 'EADDRNOTAVAIL'
              ? 'no such address here (--host)'
              : error.message;
      throw new ToolError(`cannot serve on ${where}: ${why}`);
    });
    return {
      port,
      close: async () => {
        await new Promise((resolve) => server.close(resolve));
        for (const l of links) l.close();
        for (const o of opened) o.close();
        obj?.close();
      },
    };
  } catch (error) {
    for (const l of links) l.close();
    for (const o of opened) o.close();
    obj?.close();
    throw error;
  }
}

function openFrom(obj: BpfObject, decl: Catalog['maps'][number]['decl']): Opened {
  const map = mapTypeOf(decl).open(obj.map(decl.name)) as Opened['map'];
  return { map, close: () => map.close() };
}
