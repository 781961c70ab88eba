import {
  CognitoIdentityProviderClient,
  CreateUserImportJobCommand,
  DescribeUserImportJobCommand,
  StartUserImportJobCommand,
  type UserImportJobStatusType,
} from '@aws-sdk/client-cognito-identity-provider';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, describe, expect, it } from 'vitest';
import { runUserImportJob, waitForUserImportJob } from '../../../packages/retention-kit-cli/src/runtime/cognito/user-import-job';

const cognito = mockClient(CognitoIdentityProviderClient);
const POOL = 'us-east-1_target';
const ROLE = 'arn:aws:iam::111111111111:role/CognitoImportLogs';
const job = (Status: UserImportJobStatusType, extra: Record<string, unknown> = {}) => ({ UserImportJob: { JobId: 'import-1', Status, PreSignedUrl: 'https://upload.example/import-1', ...extra } });

afterEach(() => cognito.reset());

describe('user import job (Cognito API mocked with aws-sdk-client-mock: no local server has import jobs)', () => {
  it('creates the job, uploads the file, starts it, and polls until it ends, in that order', async () => {
    const order: string[] = [];
    cognito.on(CreateUserImportJobCommand).callsFake(() => (order.push('create'), job('Created')));
    cognito.on(StartUserImportJobCommand).callsFake(() => (order.push('start'), job('Pending')));
    let describes = 0;
    cognito.on(DescribeUserImportJobCommand).callsFake(() => {
      order.push('describe');
      describes += 1;
      return describes < 3 ? job('InProgress') : job('Succeeded', { ImportedUsers: 98, SkippedUsers: 1, FailedUsers: 1 });
    });
    const uploads: { url: string; body: string }[] = [];
    const sleeps: number[] = [];
    const recorded: string[] = [];
    const outcome = await runUserImportJob({
      client: new CognitoIdentityProviderClient({ region: 'us-east-1' }),
      userPoolId: POOL,
      jobName: 'restore-1',
      cloudWatchLogsRoleArn: ROLE,
      file: Buffer.from('cognito:username\nana\n'),
      upload: async (url, body) => {
        order.push('upload');
        uploads.push({ url, body: body.toString() });
      },
      onCreated: (jobId) => {
        recorded.push(jobId);
      },
      pollSeconds: 2,
      sleep: async (ms) => {
        sleeps.push(ms);
      },
    });
    expect(order).toEqual(['create', 'upload', 'start', 'describe', 'describe', 'describe']);
    expect(cognito.commandCalls(CreateUserImportJobCommand)[0].args[0].input).toEqual({ UserPoolId: POOL, JobName: 'restore-1', CloudWatchLogsRoleArn: ROLE });
    expect(uploads).toEqual([{ url: 'https://upload.example/import-1', body: 'cognito:username\nana\n' }]);
    expect(recorded).toEqual(['import-1']);
    expect(sleeps).toEqual([2000, 2000]);
    expect(outcome).toEqual({ jobId: 'import-1', status: 'Succeeded', imported: 98, skipped: 1, failed: 1 });
  });

  it('reports a failed job with its completion message', async () => {
    cognito.on(DescribeUserImportJobCommand).resolves(job('Failed', { CompletionMessage: 'Too many users have failed or been skipped during the import.', FailedUsers: 5 }));
    const outcome = await waitForUserImportJob(new CognitoIdentityProviderClient({ region: 'us-east-1' }), POOL, 'import-1', { sleep: async () => {} });
    expect(outcome).toMatchObject({ status: 'Failed', failed: 5, message: 'Too many users have failed or been skipped during the import.' });
  });

  it('a job left created but never started is not waited for (it expires on its own)', async () => {
    cognito.on(DescribeUserImportJobCommand).resolves(job('Created'));
    const outcome = await waitForUserImportJob(new CognitoIdentityProviderClient({ region: 'us-east-1' }), POOL, 'import-1', { sleep: async () => {} });
    expect(outcome.status).toBe('Created');
    expect(cognito.commandCalls(DescribeUserImportJobCommand)).toHaveLength(1);
  });

  it('a failed upload stops before the job is started', async () => {
    cognito.on(CreateUserImportJobCommand).resolves(job('Created'));
    const run = runUserImportJob({
      client: new CognitoIdentityProviderClient({ region: 'us-east-1' }),
      userPoolId: POOL,
      jobName: 'restore-1',
      cloudWatchLogsRoleArn: ROLE,
      file: Buffer.from('x'),
      upload: async () => {
        throw new Error('upload of the import file failed: HTTP 403');
      },
    });
    await expect(run).rejects.toThrow('HTTP 403');
    expect(cognito.commandCalls(StartUserImportJobCommand)).toHaveLength(0);
  });
});
