/**
 * A small emulation of the AWS calls in-place recovery makes that no local server answers:
 * DynamoDB's point-in-time calls (DescribeContinuousBackups, RestoreTableToPointInTime), AWS
 * Backup's StartBackupJob and DescribeBackupJob, and Lambda's reserved concurrency. Every other
 * DynamoDB call is forwarded to dynalite. A restore creates the recovery table on dynalite with the
 * items of the table that stands for the source "as it was" (`asOf`), so the sync that follows runs
 * on real tables. One endpoint serves all three services (set it as AWS_ENDPOINT_URL_DYNAMODB,
 * _BACKUP and _LAMBDA); requests are told apart by their target header or path.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { CreateTableCommand, DescribeTableCommand, type DynamoDBClient, paginateScan } from '@aws-sdk/client-dynamodb';
import { putItems } from '../../packages/retention-kit-cli/src/runtime/dynamodb/batch-writer';
import { forwardedHeaders, readBody } from './http';
import type { LocalServer } from './servers';

export interface RecoveryEmulation extends LocalServer {
  /** Reserved concurrency per function name; absent: unreserved. */
  readonly concurrency: Map<string, number>;
  /** Every emulated call, in order ("DynamoDB.RestoreTableToPointInTime", "Backup.StartBackupJob", "Lambda.PutFunctionConcurrency"...). */
  readonly calls: string[];
}

export interface RecoveryEmulationOptions {
  /** dynalite's endpoint. */
  readonly upstream: string;
  /** A client of dynalite, for the restore's copy. */
  readonly client: DynamoDBClient;
  /** Per live table, the table holding its items as they were at the restore time. */
  readonly asOf: Record<string, string>;
  /** The point-in-time window DescribeContinuousBackups reports. */
  readonly window: { earliest: Date; latest: Date };
}

const json = (res: ServerResponse, status: number, body: unknown, type = 'application/json') => {
  res.writeHead(status, { 'content-type': type });
  res.end(body === undefined ? '' : JSON.stringify(body));
};

const seconds = (date: Date) => date.getTime() / 1000;

export async function startRecoveryEmulation(options: RecoveryEmulationOptions): Promise<RecoveryEmulation> {
  const concurrency = new Map<string, number>();
  const calls: string[] = [];
  const jobs = new Map<string, { ResourceArn: string; BackupVaultName: string }>();

  async function restore(input: { SourceTableArn?: string; SourceTableName?: string; TargetTableName: string }): Promise<unknown> {
    const source = input.SourceTableName ?? String(input.SourceTableArn).split('/')[1];
    const asOf = options.asOf[source];
    if (!asOf) throw Object.assign(new Error(`no as-of table for ${source}`), { type: 'ResourceNotFoundException' });
    const described = (await options.client.send(new DescribeTableCommand({ TableName: source }))).Table!;
    await options.client.send(
      new CreateTableCommand({ TableName: input.TargetTableName, KeySchema: described.KeySchema, AttributeDefinitions: described.AttributeDefinitions, BillingMode: 'PAY_PER_REQUEST' }),
    );
    for await (const page of paginateScan({ client: options.client }, { TableName: asOf })) {
      if (page.Items?.length) await putItems(page.Items, { client: options.client, table: input.TargetTableName, parallelCalls: 4 });
    }
    return { TableDescription: { TableName: input.TargetTableName, TableStatus: 'CREATING' } };
  }

  async function dynamodb(target: string, body: Buffer, req: IncomingMessage, res: ServerResponse): Promise<void> {
    const operation = target.split('.')[1];
    const input = JSON.parse(body.toString() || '{}');
    if (operation === 'DescribeContinuousBackups') {
      calls.push(`DynamoDB.${operation}`);
      return json(res, 200, {
        ContinuousBackupsDescription: {
          ContinuousBackupsStatus: 'ENABLED',
          PointInTimeRecoveryDescription: { PointInTimeRecoveryStatus: 'ENABLED', EarliestRestorableDateTime: seconds(options.window.earliest), LatestRestorableDateTime: seconds(options.window.latest) },
        },
      }, 'application/x-amz-json-1.0');
    }
    if (operation === 'RestoreTableToPointInTime') {
      calls.push(`DynamoDB.${operation}`);
      try {
        return json(res, 200, await restore(input), 'application/x-amz-json-1.0');
      } catch (error) {
        return json(res, 400, { __type: `com.amazonaws.dynamodb.v20120810#${(error as { type?: string }).type ?? 'ValidationException'}`, message: (error as Error).message }, 'application/x-amz-json-1.0');
      }
    }
    // Everything else is dynalite's.
    const upstream = await fetch(options.upstream, { method: 'POST', headers: forwardedHeaders(req), body: new Uint8Array(body) });
    res.writeHead(upstream.status, Object.fromEntries([...upstream.headers.entries()].filter(([name]) => !['content-length', 'transfer-encoding', 'connection'].includes(name))));
    res.end(Buffer.from(await upstream.arrayBuffer()));
  }

  function backup(method: string, path: string, body: Buffer, res: ServerResponse): void {
    if (method === 'PUT' && path === '/backup-jobs') {
      const input = JSON.parse(body.toString());
      const id = `job-${jobs.size + 1}`;
      jobs.set(id, input);
      calls.push('Backup.StartBackupJob');
      return json(res, 200, { BackupJobId: id, CreationDate: seconds(new Date()), RecoveryPointArn: `arn:aws:backup:us-east-1:111111111111:recovery-point:${id}` });
    }
    const described = /^\/backup-jobs\/([^/]+)$/.exec(path);
    if (method === 'GET' && described) {
      calls.push('Backup.DescribeBackupJob');
      const job = jobs.get(decodeURIComponent(described[1]));
      if (!job) return json(res, 404, { __type: 'ResourceNotFoundException', message: 'no such job' });
      return json(res, 200, { BackupJobId: described[1], State: 'COMPLETED', ResourceArn: job.ResourceArn, BackupVaultName: job.BackupVaultName, RecoveryPointArn: `arn:aws:backup:us-east-1:111111111111:recovery-point:${described[1]}` });
    }
    return json(res, 404, { message: `the emulation does not answer ${method} ${path}` });
  }

  function lambda(method: string, path: string, body: Buffer, res: ServerResponse): void {
    const match = /^\/(2017-10-31|2019-09-30)\/functions\/([^/]+)\/concurrency$/.exec(path);
    if (!match) return json(res, 404, { message: `the emulation does not answer ${method} ${path}` });
    const name = decodeURIComponent(match[2]);
    if (method === 'GET') {
      calls.push('Lambda.GetFunctionConcurrency');
      return json(res, 200, concurrency.has(name) ? { ReservedConcurrentExecutions: concurrency.get(name) } : {});
    }
    if (method === 'PUT') {
      const value = JSON.parse(body.toString()).ReservedConcurrentExecutions as number;
      calls.push(`Lambda.PutFunctionConcurrency ${name}=${value}`);
      concurrency.set(name, value);
      return json(res, 200, { ReservedConcurrentExecutions: value });
    }
    if (method === 'DELETE') {
      calls.push(`Lambda.DeleteFunctionConcurrency ${name}`);
      concurrency.delete(name);
      res.writeHead(204);
      return void res.end();
    }
    return json(res, 405, { message: method });
  }

  const server = createServer((req, res) => {
    void (async () => {
      const body = await readBody(req);
      const path = new URL(req.url ?? '/', 'http://local').pathname;
      const target = req.headers['x-amz-target'];
      if (typeof target === 'string' && target.startsWith('DynamoDB_20120810.')) return dynamodb(target, body, req, res);
      if (path.startsWith('/backup-jobs')) return backup(req.method ?? 'GET', path, body, res);
      if (/^\/\d{4}-\d{2}-\d{2}\/functions\//.test(path)) return lambda(req.method ?? 'GET', path, body, res);
      json(res, 404, { message: `the emulation does not answer ${req.method} ${path}` });
    })().catch((error: Error) => json(res, 500, { message: error.message }));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    port,
    concurrency,
    calls,
    stop: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
