import type { IncomingMessage } from 'node:http';

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
