/**
 * The HTTP side: `/metrics` in Prometheus' text format (prom-client's
 * registry renders it), read from the maps on each scrape.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Registry } from 'prom-client';
import { renderMetricsBytes } from './render.js';

export interface ServeOptions {
  /** Default 9435 (the port ebpf_exporter uses); 0 picks a free one. */
  port?: number;
  /** Default every interface. */
  host?: string;
}

/**
 * Serves `registry` at `/metrics` until close(); resolves once listening,
 * with the server and the port it got. A scrape that fails (the map was
 * closed, unpinned) answers 500 with the error's message.
 */
export async function serve(
  registry: Registry,
  options: ServeOptions = {},
): Promise<{ server: Server; port: number }> {
  const server = createServer((req, res) => {
    if (req.method !== 'GET' || (req.url ?? '/').split('?')[0] !== '/metrics') {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('not found: scrape /metrics\n');
      return;
    }
    renderMetricsBytes(registry).then(
      ({ bytes, release }) => {
        // The buffer is reused by a later scrape once this response is done with it.
        res.once('close', release);
        res
          .writeHead(200, { 'content-type': registry.contentType, 'content-length': bytes.length })
          .end(bytes);
      },
      (error: unknown) =>
        res
          .writeHead(500, { 'content-type': 'text/plain' })
          .end(`${(error as Error).message ?? String(error)}\n`),
    );
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 9435, options.host, () => resolve());
  });
  return { server, port: (server.address() as AddressInfo).port };
}
