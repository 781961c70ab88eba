import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { readBody } from './http';

export interface BackupStub {
  server: Server;
  endpoint: string;
  requests: { method: string; path: string; query: URLSearchParams; body: string }[];
}

/** AWS Backup answered by a stub server (no local AWS Backup server exists): what each test needs of it, by path. */
export function startBackupStub(answers: [RegExp, (match: RegExpExecArray, body: string, query: URLSearchParams) => unknown][]): Promise<BackupStub> {
  const requests: BackupStub['requests'] = [];
  const server = createServer((request, response) => {
    void readBody(request).then((raw) => {
      const url = new URL(request.url!, 'http://stub');
      const path = decodeURIComponent(url.pathname);
      requests.push({ method: request.method ?? 'GET', path, query: url.searchParams, body: raw.toString() });
      const answer = answers.map(([pattern, body]) => [pattern.exec(path), body] as const).find(([match]) => match);
      response.setHeader('content-type', 'application/json');
      response.statusCode = answer ? 200 : 404;
      response.end(JSON.stringify(answer ? answer[1](answer[0]!, raw.toString(), url.searchParams) : { message: `no stub for ${path}` }));
    });
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve({ server, endpoint: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, requests })));
}
