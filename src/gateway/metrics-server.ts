import { createServer, type Server } from 'node:http';
import type { Registry } from 'prom-client';
import { log } from '../log.js';

/** Serves GET /metrics in the Prometheus text format on host:port; resolves with the bound address. */
export async function startMetricsServer(listen: string, registry: Registry): Promise<{ address: string; close: () => Promise<void> }> {
  const server: Server = createServer((request, response) => {
    if (request.method !== 'GET' || request.url !== '/metrics') {
      response.writeHead(404, { 'content-type': 'text/plain' }).end('only GET /metrics is served here\n');
      return;
    }
    registry.metrics().then(
      (text) => response.writeHead(200, { 'content-type': registry.contentType }).end(text),
      (error: unknown) => {
        log('error', 'collecting metrics failed', { error: (error as Error).message });
        response.writeHead(500, { 'content-type': 'text/plain' }).end('collecting metrics failed\n');
      },
    );
  });
  const separator = listen.lastIndexOf(':');
  const host = listen.slice(0, separator).replace(/^\[|\]$/g, '');
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(Number(listen.slice(separator + 1)), host, () => resolve());
  });
  const bound = server.address();
  const port = typeof bound === 'object' && bound !== null ? bound.port : 0;
  return {
    address: `${listen.slice(0, separator)}:${port}`,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}
