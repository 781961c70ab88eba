import type { IncomingMessage, Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/** Request headers to pass upstream (hop-by-hop and length headers are recomputed). */
export function forwardedHeaders(req: IncomingMessage): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(req.headers)) {
    if (value === undefined || ['host', 'content-length', 'connection'].includes(name)) continue;
    headers[name] = Array.isArray(value) ? value.join(', ') : value;
  }
  return headers;
}

export function readBody(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

/** What the CLI runner needs of a proxy: to count calls and to observe each one. */
export interface CallObserver {
  onCall(listener: ((operation: string, total: number) => void) | undefined): void;
  resetCounts(): void;
}

/** Calls of the named operations (all when none name). */
export function countCalls(calls: ReadonlyMap<string, number>, operations: readonly string[]): number {
  return operations.length === 0 ? [...calls.values()].reduce((sum, n) => sum + n, 0) : operations.reduce((sum, op) => sum + (calls.get(op) ?? 0), 0);
}

/** Starts `server` on a free loopback port; `stop` also closes kept-alive connections. */
export async function listenOnLoopback(server: Server): Promise<{ endpoint: string; port: number; stop: () => Promise<void> }> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    port,
    stop: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
