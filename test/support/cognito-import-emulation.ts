import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { AdminCreateUserCommand, type CognitoIdentityProviderClient, DescribeUserPoolCommand } from '@aws-sdk/client-cognito-identity-provider';
import { parseCsvLine } from '../../packages/retention-kit-cli/src/runtime/cognito/import-csv';
import type { CognitoPagingProxy } from './cognito-proxy';

/** The standard columns of GetCSVHeader, as the Developer Guide lists them. */
const STANDARD_COLUMNS = [
  'name', 'given_name', 'family_name', 'middle_name', 'nickname', 'preferred_username', 'profile', 'picture', 'website',
  'email', 'email_verified', 'gender', 'birthdate', 'zoneinfo', 'locale', 'phone_number', 'phone_number_verified',
  'address', 'updated_at', 'cognito:mfa_enabled', 'cognito:username',
];

export interface EmulatedJob {
  readonly id: string;
  status: string;
  readonly roleArn: string;
  body?: Buffer;
  encryptionHeader?: string;
  imported: number;
  skipped: number;
  failed: number;
  describes: number;
}

export interface ImportJobEmulation {
  readonly jobs: Map<string, EmulatedJob>;
  stop(): Promise<void>;
}

/**
 * cognito-local has no user import jobs. This emulates their API in the test proxy, as the
 * Developer Guide documents it (GetCSVHeader, CreateUserImportJob with a pre-signed upload URL,
 * StartUserImportJob, DescribeUserImportJob), creating each row's user in cognito-local. What it
 * cannot reproduce: imported users there are FORCE_CHANGE_PASSWORD, where Cognito makes them
 * RESET_REQUIRED.
 */
export async function emulateImportJobs(proxy: CognitoPagingProxy, upstream: CognitoIdentityProviderClient): Promise<ImportJobEmulation> {
  const jobs = new Map<string, EmulatedJob>();
  const uploads = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const job = jobs.get((req.url ?? '').slice(1));
      if (req.method !== 'PUT' || !job) {
        res.writeHead(403).end();
        return;
      }
      job.body = Buffer.concat(chunks);
      job.encryptionHeader = String(req.headers['x-amz-server-side-encryption'] ?? '');
      res.writeHead(200).end();
    });
  });
  await new Promise<void>((resolve) => uploads.listen(0, '127.0.0.1', resolve));
  const uploadBase = `http://127.0.0.1:${(uploads.address() as AddressInfo).port}`;
  const answer = (job: EmulatedJob) => ({
    UserImportJob: { JobId: job.id, Status: job.status, PreSignedUrl: `${uploadBase}/${job.id}`, CloudWatchLogsRoleArn: job.roleArn, ImportedUsers: job.imported, SkippedUsers: job.skipped, FailedUsers: job.failed },
  });
  const find = (request: Record<string, unknown>) => {
    const job = jobs.get(String(request.JobId));
    if (!job) throw Object.assign(new Error(`no import job ${String(request.JobId)}`), { name: 'ResourceNotFoundException' });
    return job;
  };

  proxy.handle('GetCSVHeader', async (request) => {
    const { UserPool } = await upstream.send(new DescribeUserPoolCommand({ UserPoolId: String(request.UserPoolId) }));
    const custom = (UserPool?.SchemaAttributes ?? []).map((a) => a.Name ?? '').filter((name) => name.startsWith('custom:'));
    return { UserPoolId: request.UserPoolId, CSVHeader: [...STANDARD_COLUMNS, ...custom] };
  });
  proxy.handle('CreateUserImportJob', async (request) => {
    if (!request.CloudWatchLogsRoleArn) throw Object.assign(new Error('CloudWatchLogsRoleArn is required'), { name: 'InvalidParameterException' });
    const job: EmulatedJob = { id: `import-${jobs.size + 1}`, status: 'Created', roleArn: String(request.CloudWatchLogsRoleArn), imported: 0, skipped: 0, failed: 0, describes: 0 };
    jobs.set(job.id, job);
    return answer(job);
  });
  proxy.handle('StartUserImportJob', async (request) => {
    const job = find(request);
    if (!job.body) throw Object.assign(new Error('no file was uploaded'), { name: 'PreconditionNotMetException' });
    job.status = 'InProgress';
    const [headerLine, ...rows] = job.body.toString('utf8').split('\n').filter(Boolean);
    const header = headerLine.split(',');
    for (const row of rows) {
      const values = parseCsvLine(row);
      const cells = Object.fromEntries(header.map((column, i) => [column, values[i].trim()]));
      const attributes = Object.entries(cells)
        .filter(([column, value]) => !column.startsWith('cognito:') && value !== '')
        .map(([Name, Value]) => ({ Name, Value: Name.endsWith('_verified') ? Value.toLowerCase() : Value }));
      try {
        await upstream.send(new AdminCreateUserCommand({ UserPoolId: String(request.UserPoolId), Username: cells['cognito:username'], MessageAction: 'SUPPRESS', UserAttributes: attributes }));
        job.imported += 1;
      } catch (error) {
        if ((error as Error).name === 'UsernameExistsException') job.skipped += 1;
        else job.failed += 1;
      }
    }
    return { UserImportJob: { ...answer(job).UserImportJob, Status: 'Pending' } };
  });
  proxy.handle('DescribeUserImportJob', async (request) => {
    const job = find(request);
    // In progress at the first look, done at the second: the restore has to poll.
    job.describes += 1;
    if (job.status === 'InProgress' && job.describes >= 2) job.status = 'Succeeded';
    return answer(job);
  });

  return {
    jobs,
    stop: async () => {
      for (const operation of ['GetCSVHeader', 'CreateUserImportJob', 'StartUserImportJob', 'DescribeUserImportJob']) proxy.handle(operation, undefined);
      await new Promise<void>((resolve) => uploads.close(() => resolve()));
    },
  };
}
