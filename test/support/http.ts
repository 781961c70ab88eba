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

/** Decides, per call, whether to inject a fault. `index` counts calls of that operation from 1. */
export type FaultPlanOf<Fault> = (call: { operation: string; index: number; total: number }) => Fault | undefined;

/** What every test proxy keeps of its calls: counts per operation, injected faults, and a listener. */
export interface CallRecorder<Fault> extends CallObserver {
  /** Calls received per operation, faulted ones included. */
  readonly calls: Map<string, number>;
  /** Faults answered per operation. */
  readonly faults: Map<string, number>;
  /** Sets (or clears) the fault plan. */
  setFaults(plan: FaultPlanOf<Fault> | undefined): void;
  /** Total calls, or calls of the named operations. */
  callCount(...operations: string[]): number;
  /** Counts a call, tells the listener, and returns the fault the plan gives it (counted too). */
  record(operation: string): Fault | undefined;
}

export function callRecorder<Fault>(): CallRecorder<Fault> {
  const calls = new Map<string, number>();
  const faults = new Map<string, number>();
  let plan: FaultPlanOf<Fault> | undefined;
  let listener: ((operation: string, total: number) => void) | undefined;
  let total = 0;
  return {
    calls,
    faults,
    setFaults: (next) => {
      plan = next;
    },
    onCall: (next) => {
      listener = next;
    },
    callCount: (...operations) => countCalls(calls, operations),
    resetCounts: () => {
      calls.clear();
      faults.clear();
      total = 0;
    },
    record: (operation) => {
      const index = (calls.get(operation) ?? 0) + 1;
      calls.set(operation, index);
      total += 1;
      listener?.(operation, total);
      const fault = plan?.({ operation, index, total });
      if (fault !== undefined) faults.set(operation, (faults.get(operation) ?? 0) + 1);
      return fault;
    },
  };
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
