import { createServer, request, type IncomingMessage, type ServerResponse } from 'node:http';
import { type CallRecorder, callRecorder, type FaultPlanOf, listenOnLoopback } from './http';
import type { LocalServer } from './servers';

/**
 * A proxy between the SDK and s3rver that counts calls by S3 operation and can answer one with
 * S3's `503 SlowDown` (S3's throttling), a 500, or apply it and then lose the response. Requests
 * pass through untouched, Host header included, so s3rver's signature check still holds.
 */
export type S3Fault = 'slow-down' | 'server-error' | 'lost-response';
export type S3FaultPlan = FaultPlanOf<S3Fault>;

export interface S3Proxy extends LocalServer, CallRecorder<S3Fault> {}

/** The S3 operation a path-style request is. */
export function s3Operation(req: IncomingMessage): string {
  const url = new URL(req.url ?? '/', 'http://local');
  const query = url.searchParams;
  const objectPath = url.pathname.split('/').filter(Boolean).length > 1;
  const method = req.method ?? 'GET';
  if (query.has('tagging')) return `${method === 'GET' ? 'Get' : method === 'PUT' ? 'Put' : 'Delete'}ObjectTagging`;
  if (query.has('uploads')) return 'CreateMultipartUpload';
  if (query.has('uploadId')) return method === 'PUT' ? (req.headers['x-amz-copy-source'] ? 'UploadPartCopy' : 'UploadPart') : method === 'POST' ? 'CompleteMultipartUpload' : 'AbortMultipartUpload';
  if (!objectPath) return method === 'GET' ? (query.get('list-type') === '2' ? 'ListObjectsV2' : 'ListObjects') : `${method}Bucket`;
  if (method === 'PUT') return req.headers['x-amz-copy-source'] ? 'CopyObject' : 'PutObject';
  return { GET: 'GetObject', HEAD: 'HeadObject', DELETE: 'DeleteObject' }[method] ?? method;
}

export async function startS3Proxy(upstream: string): Promise<S3Proxy> {
  const target = new URL(upstream);
  const recorder = callRecorder<S3Fault>();

  const server = createServer((req, res) => {
    const fault = recorder.record(s3Operation(req));
    if (fault && fault !== 'lost-response') req.resume();
    if (fault === 'slow-down') return sendError(res, 503, 'SlowDown', 'Please reduce your request rate.');
    if (fault === 'server-error') return sendError(res, 500, 'InternalError', 'We encountered an internal error. Please try again.');
    forward(req, res, fault === 'lost-response');
  });

  function forward(req: IncomingMessage, res: ServerResponse, loseResponse: boolean): void {
    const upstreamRequest = request(
      { host: target.hostname, port: target.port, method: req.method, path: req.url, headers: req.headers },
      (upstreamResponse) => {
        if (loseResponse) {
          upstreamResponse.resume();
          upstreamResponse.on('end', () => sendError(res, 500, 'InternalError', 'We encountered an internal error (after the call was applied).'));
          return;
        }
        res.writeHead(upstreamResponse.statusCode ?? 500, upstreamResponse.headers);
        upstreamResponse.pipe(res);
      },
    );
    upstreamRequest.on('error', (error) => sendError(res, 500, 'InternalError', `proxy: ${error.message}`));
    req.pipe(upstreamRequest);
  }

  const listening = await listenOnLoopback(server);
  return { ...listening, ...recorder };
}

function sendError(res: ServerResponse, status: number, code: string, message: string): void {
  if (res.headersSent) return void res.destroy();
  res.writeHead(status, { 'content-type': 'application/xml' });
  res.end(`<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>${code}</Code><Message>${message}</Message></Error>`);
}
