import { createHash } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { type CallRecorder, callRecorder, type FaultPlanOf, forwardedHeaders, listenOnLoopback, readBody } from './http';
import type { LocalServer } from './servers';

/**
 * A proxy between the SDK and cognito-local that behaves like Cognito where cognito-local does
 * not: list operations return documented page sizes with opaque pagination tokens (cognito-local
 * returns everything at once), and faults (throttling, 5xx) can be injected on demand.
 */

/** The list operations Cognito pages, with their documented page limits and token fields. */
export const PAGED_OPERATIONS: Record<string, PagedOperation> = {
  ListUsers: { limitField: 'Limit', maxLimit: 60, tokenField: 'PaginationToken', itemsField: 'Users' },
  ListUsersInGroup: { limitField: 'Limit', maxLimit: 60, tokenField: 'NextToken', itemsField: 'Users' },
  ListGroups: { limitField: 'Limit', maxLimit: 60, tokenField: 'NextToken', itemsField: 'Groups' },
  AdminListGroupsForUser: { limitField: 'Limit', maxLimit: 60, tokenField: 'NextToken', itemsField: 'Groups' },
  ListUserPools: { limitField: 'MaxResults', maxLimit: 60, tokenField: 'NextToken', itemsField: 'UserPools', limitRequired: true },
};

interface PagedOperation {
  readonly limitField: string;
  readonly maxLimit: number;
  readonly tokenField: string;
  readonly itemsField: string;
  readonly limitRequired?: boolean;
}

/**
 * A fault to answer a call with: `throttle` and `server-error` instead of forwarding it;
 * `lost-response` forwards it (the write happens) and then answers 500, as when a response is lost.
 */
export type Fault = 'throttle' | 'server-error' | 'lost-response';

/** Decides, per call, whether to inject a fault. `index` counts calls of that operation from 1. */
export type FaultPlan = FaultPlanOf<Fault>;

export interface CognitoPagingProxy extends LocalServer, CallRecorder<Fault> {
  /** Answers an operation cognito-local lacks, instead of forwarding it (undefined removes the handler). */
  handle(operation: string, handler: OperationHandler | undefined): void;
}

/** Answers one call; a thrown error becomes a 400 with the error's name as its type. */
export type OperationHandler = (request: Record<string, unknown>) => Promise<Record<string, unknown>>;

/** Fault plan: every `n`th call of the named operations (all when none) fails with `fault`. */
export function everyNth(n: number, fault: Fault, operations: string[] = []): FaultPlan {
  return ({ operation, index }) =>
    (operations.length === 0 || operations.includes(operation)) && index % n === 0 ? fault : undefined;
}

export async function startCognitoPagingProxy(upstream: string): Promise<CognitoPagingProxy> {
  const recorder = callRecorder<Fault>();
  const handlers = new Map<string, OperationHandler>();

  const server = createServer((req, res) => {
    handle(req, res).catch((error: unknown) => {
      send(res, 500, { __type: 'InternalErrorException', message: `proxy: ${String(error)}` });
    });
  });

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const body = await readBody(req);
    const target = String(req.headers['x-amz-target'] ?? '');
    const operation = target.split('.').pop() ?? '';
    const fault = recorder.record(operation);
    if (fault) {
      if (fault === 'throttle') {
        send(res, 400, { __type: 'TooManyRequestsException', message: 'Rate exceeded' });
      } else if (fault === 'lost-response') {
        await callUpstream(req, body);
        send(res, 500, { __type: 'InternalErrorException', message: 'Internal server error (after the call was applied)' });
      } else {
        send(res, 500, { __type: 'InternalErrorException', message: 'Internal server error' });
      }
      return;
    }
    const handler = handlers.get(operation);
    if (handler) {
      try {
        send(res, 200, await handler(JSON.parse(body.toString('utf8') || '{}') as Record<string, unknown>));
      } catch (error) {
        send(res, 400, { __type: (error as Error).name, message: (error as Error).message });
      }
      return;
    }
    const paged = PAGED_OPERATIONS[operation];
    if (!paged) {
      await forward(req, res, body);
      return;
    }
    const request = JSON.parse(body.toString('utf8') || '{}') as Record<string, unknown>;
    const limitValue = request[paged.limitField];
    if (limitValue === undefined && paged.limitRequired) {
      return invalid(res, `1 validation error detected: Value null at '${lowerFirst(paged.limitField)}' failed to satisfy constraint: Member must not be null`);
    }
    const limit = limitValue === undefined ? paged.maxLimit : Number(limitValue);
    if (!Number.isInteger(limit) || limit < 0 || limit > paged.maxLimit) {
      return invalid(res, `1 validation error detected: Value '${String(limitValue)}' at '${lowerFirst(paged.limitField)}' failed to satisfy constraint: Member must have value less than or equal to ${paged.maxLimit}`);
    }
    const { [paged.tokenField]: token, [paged.limitField]: _limit, ...query } = request;
    const queryKey = fingerprint(operation, query);
    let offset = 0;
    if (token !== undefined) {
      const decoded = decodeToken(String(token));
      if (!decoded || decoded.key !== queryKey) return invalid(res, 'Invalid pagination token.');
      offset = decoded.offset;
    }
    const upstreamResponse = await callUpstream(req, Buffer.from(JSON.stringify(query)));
    if (upstreamResponse.status !== 200) {
      res.writeHead(upstreamResponse.status, { 'content-type': 'application/x-amz-json-1.1' });
      res.end(upstreamResponse.body);
      return;
    }
    const everything = JSON.parse(upstreamResponse.body.toString('utf8')) as Record<string, unknown>;
    const items = (everything[paged.itemsField] as unknown[] | undefined) ?? [];
    const page = items.slice(offset, offset + limit);
    const next = offset + limit;
    const answer: Record<string, unknown> = { ...everything, [paged.itemsField]: page };
    delete answer.PaginationToken;
    delete answer.NextToken;
    if (next < items.length) answer[paged.tokenField] = encodeToken({ key: queryKey, offset: next });
    send(res, 200, answer);
  }

  async function callUpstream(req: IncomingMessage, body: Buffer): Promise<{ status: number; body: Buffer }> {
    const response = await fetch(upstream + (req.url ?? '/'), {
      method: req.method,
      headers: forwardedHeaders(req),
      body: req.method === 'GET' || req.method === 'HEAD' ? undefined : body,
    });
    return { status: response.status, body: Buffer.from(await response.arrayBuffer()) };
  }

  async function forward(req: IncomingMessage, res: ServerResponse, body: Buffer): Promise<void> {
    const response = await callUpstream(req, body);
    res.writeHead(response.status, { 'content-type': 'application/x-amz-json-1.1' });
    res.end(response.body);
  }

  const listening = await listenOnLoopback(server);
  return {
    ...listening,
    ...recorder,
    handle: (operation, handler) => {
      if (handler) handlers.set(operation, handler);
      else handlers.delete(operation);
    },
  };
}

function send(res: ServerResponse, status: number, body: unknown): void {
  const payload = JSON.stringify(body);
  const headers: Record<string, string> = { 'content-type': 'application/x-amz-json-1.1' };
  const type = (body as { __type?: string }).__type;
  if (type) headers['x-amzn-errortype'] = type;
  res.writeHead(status, headers);
  res.end(payload);
}

function invalid(res: ServerResponse, message: string): void {
  send(res, 400, { __type: 'InvalidParameterException', message });
}

function lowerFirst(text: string): string {
  return text.charAt(0).toLowerCase() + text.slice(1);
}

/** Ties a token to the exact query it continues, as Cognito's tokens are. */
function fingerprint(operation: string, query: Record<string, unknown>): string {
  const canonical = JSON.stringify(Object.keys(query).sort().map((key) => [key, query[key]]));
  return createHash('sha256').update(`${operation}\n${canonical}`).digest('hex').slice(0, 16);
}

function encodeToken(token: { key: string; offset: number }): string {
  return Buffer.from(JSON.stringify(token)).toString('base64');
}

function decodeToken(token: string): { key: string; offset: number } | undefined {
  try {
    const value = JSON.parse(Buffer.from(token, 'base64').toString('utf8')) as { key?: unknown; offset?: unknown };
    if (typeof value.key !== 'string' || typeof value.offset !== 'number') return undefined;
    return { key: value.key, offset: value.offset };
  } catch {
    return undefined;
  }
}
