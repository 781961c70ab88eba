import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { type CallRecorder, callRecorder, type FaultPlanOf, forwardedHeaders, listenOnLoopback, readBody } from './http';
import type { LocalServer } from './servers';

/**
 * A proxy between the SDK and dynalite that behaves like DynamoDB under load, which dynalite never
 * is: it can throttle a call (ProvisionedThroughputExceededException), accept only part of a
 * BatchWriteItem and return the rest as UnprocessedItems (of a BatchGetItem, as UnprocessedKeys),
 * fail with a 500, or apply a write and then lose its response.
 */
export type DynamoFault = 'throttle' | 'unprocessed' | 'server-error' | 'lost-response';

export type DynamoFaultPlan = FaultPlanOf<DynamoFault>;

export interface DynamoProxy extends LocalServer, CallRecorder<DynamoFault> {
  /** Items (or keys) held back as unprocessed, in total. */
  readonly withheldItems: () => number;
}

/** Every `n`th call of the named operations (all when none) gets `fault`. */
export function everyNthCall(n: number, fault: DynamoFault, operations: string[] = []): DynamoFaultPlan {
  return ({ operation, index }) => ((operations.length === 0 || operations.includes(operation)) && index % n === 0 ? fault : undefined);
}

/** Combines plans: the first that answers wins. */
export function firstOf(...plans: DynamoFaultPlan[]): DynamoFaultPlan {
  return (call) => plans.map((plan) => plan(call)).find((fault) => fault !== undefined);
}

const JSON_TYPE = 'application/x-amz-json-1.0';

export async function startDynamoProxy(upstream: string): Promise<DynamoProxy> {
  const recorder = callRecorder<DynamoFault>();
  let withheld = 0;

  const server = createServer((req, res) => {
    handle(req, res).catch((error: unknown) => send(res, 500, { __type: 'com.amazonaws.dynamodb.v20120810#InternalServerError', message: `proxy: ${String(error)}` }));
  });

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const body = await readBody(req);
    const operation = String(req.headers['x-amz-target'] ?? '').split('.').pop() ?? '';
    const fault = recorder.record(operation);
    if (fault === 'throttle') {
      return send(res, 400, { __type: 'com.amazonaws.dynamodb.v20120810#ProvisionedThroughputExceededException', message: 'The level of configured provisioned throughput for the table was exceeded.' });
    }
    if (fault === 'server-error') return send(res, 500, { __type: 'com.amazonaws.dynamodb.v20120810#InternalServerError', message: 'Internal server error' });
    if (fault === 'lost-response') {
      await callUpstream(req, body);
      return send(res, 500, { __type: 'com.amazonaws.dynamodb.v20120810#InternalServerError', message: 'Internal server error (after the call was applied)' });
    }
    if (fault === 'unprocessed' && operation === 'BatchWriteItem') {
      const request = JSON.parse(body.toString('utf8')) as { RequestItems: Record<string, unknown[]> };
      const forwarded: Record<string, unknown[]> = {};
      const held: Record<string, unknown[]> = {};
      for (const [table, requests] of Object.entries(request.RequestItems)) {
        const keep = Math.floor(requests.length / 2);
        if (keep > 0) forwarded[table] = requests.slice(0, keep);
        held[table] = requests.slice(keep);
        withheld += requests.length - keep;
      }
      let upstreamUnprocessed: Record<string, unknown[]> = {};
      if (Object.keys(forwarded).length > 0) {
        const response = await callUpstream(req, Buffer.from(JSON.stringify({ ...request, RequestItems: forwarded })));
        if (response.status !== 200) return relay(res, response);
        upstreamUnprocessed = (JSON.parse(response.body.toString('utf8')) as { UnprocessedItems?: Record<string, unknown[]> }).UnprocessedItems ?? {};
      }
      for (const [table, requests] of Object.entries(upstreamUnprocessed)) held[table] = [...requests, ...(held[table] ?? [])];
      return send(res, 200, { UnprocessedItems: held });
    }
    if (fault === 'unprocessed' && operation === 'BatchGetItem') {
      const request = JSON.parse(body.toString('utf8')) as { RequestItems: Record<string, { Keys: unknown[] }> };
      const forwarded: Record<string, { Keys: unknown[] }> = {};
      const held: Record<string, { Keys: unknown[] }> = {};
      for (const [table, read] of Object.entries(request.RequestItems)) {
        const keep = Math.floor(read.Keys.length / 2);
        if (keep > 0) forwarded[table] = { ...read, Keys: read.Keys.slice(0, keep) };
        held[table] = { ...read, Keys: read.Keys.slice(keep) };
        withheld += read.Keys.length - keep;
      }
      let responses: Record<string, unknown[]> = {};
      if (Object.keys(forwarded).length > 0) {
        const response = await callUpstream(req, Buffer.from(JSON.stringify({ ...request, RequestItems: forwarded })));
        if (response.status !== 200) return relay(res, response);
        responses = (JSON.parse(response.body.toString('utf8')) as { Responses?: Record<string, unknown[]> }).Responses ?? {};
      }
      return send(res, 200, { Responses: responses, UnprocessedKeys: held });
    }
    relay(res, await callUpstream(req, body));
  }

  async function callUpstream(req: IncomingMessage, body: Buffer): Promise<{ status: number; body: Buffer }> {
    const response = await fetch(upstream + (req.url ?? '/'), { method: req.method, headers: forwardedHeaders(req), body });
    return { status: response.status, body: Buffer.from(await response.arrayBuffer()) };
  }

  const listening = await listenOnLoopback(server);
  return {
    ...listening,
    ...recorder,
    withheldItems: () => withheld,
    resetCounts: () => {
      recorder.resetCounts();
      withheld = 0;
    },
  };
}

function relay(res: ServerResponse, response: { status: number; body: Buffer }): void {
  // The body may be rewritten, so dynalite's x-amz-crc32 is not passed on.
  res.writeHead(response.status, { 'content-type': JSON_TYPE });
  res.end(response.body);
}

function send(res: ServerResponse, status: number, body: Record<string, unknown> & { __type?: string }): void {
  const headers: Record<string, string> = { 'content-type': JSON_TYPE };
  if (body.__type) headers['x-amzn-errortype'] = body.__type.split('#').pop()!;
  res.writeHead(status, headers);
  res.end(JSON.stringify(body));
}
