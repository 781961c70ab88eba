/**
 * Runs one Cognito user import job: CreateUserImportJob, upload of the CSV file to the job's
 * pre-signed URL (valid 15 minutes), StartUserImportJob, then DescribeUserImportJob until the job
 * ends. Cognito runs one import job at a time per account, so files go one after another.
 */
import {
  type CognitoIdentityProviderClient,
  CreateUserImportJobCommand,
  DescribeUserImportJobCommand,
  StartUserImportJobCommand,
  type UserImportJobType,
} from '@aws-sdk/client-cognito-identity-provider';

/** Puts the file to the pre-signed URL. */
export type ImportUploader = (url: string, body: Buffer) => Promise<void>;

/** The documented upload: an HTTP PUT with server-side encryption by KMS. */
export const uploadToPresignedUrl: ImportUploader = async (url, body) => {
  const response = await fetch(url, { method: 'PUT', body, headers: { 'x-amz-server-side-encryption': 'aws:kms' } });
  if (!response.ok) throw new Error(`upload of the import file failed: HTTP ${response.status} ${await response.text()}`);
};

export const TERMINAL_IMPORT_STATUSES: ReadonlySet<string> = new Set(['Succeeded', 'Failed', 'Stopped', 'Expired']);

export interface ImportJobOutcome {
  readonly jobId: string;
  readonly status: string;
  readonly imported: number;
  readonly skipped: number;
  readonly failed: number;
  readonly message?: string;
}

export interface UserImportJobOptions {
  readonly client: CognitoIdentityProviderClient;
  readonly userPoolId: string;
  readonly jobName: string;
  /** The role Cognito writes the job's CloudWatch Logs with (per-user results are there). */
  readonly cloudWatchLogsRoleArn: string;
  readonly file: Buffer;
  /** @default uploadToPresignedUrl */
  readonly upload?: ImportUploader;
  /** Seconds between DescribeUserImportJob calls. @default 10 */
  readonly pollSeconds?: number;
  /** Called with the job ID as soon as the job exists, so a checkpoint can record it. */
  readonly onCreated?: (jobId: string) => Promise<void> | void;
  readonly sleep?: (ms: number) => Promise<void>;
}

export async function runUserImportJob(options: UserImportJobOptions): Promise<ImportJobOutcome> {
  const { client, userPoolId } = options;
  const { UserImportJob: created } = await client.send(
    new CreateUserImportJobCommand({ UserPoolId: userPoolId, JobName: options.jobName, CloudWatchLogsRoleArn: options.cloudWatchLogsRoleArn }),
  );
  if (!created?.JobId || !created.PreSignedUrl) throw new Error(`CreateUserImportJob returned no job ID or pre-signed URL for ${userPoolId}`);
  await options.onCreated?.(created.JobId);
  await (options.upload ?? uploadToPresignedUrl)(created.PreSignedUrl, options.file);
  await client.send(new StartUserImportJobCommand({ UserPoolId: userPoolId, JobId: created.JobId }));
  return waitForUserImportJob(client, userPoolId, created.JobId, options);
}

/** Polls a started job until it ends (also used to wait for a job a stopped restore left running). */
export async function waitForUserImportJob(
  client: CognitoIdentityProviderClient,
  userPoolId: string,
  jobId: string,
  options: { pollSeconds?: number; sleep?: (ms: number) => Promise<void> } = {},
): Promise<ImportJobOutcome> {
  const sleep = options.sleep ?? ((ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)));
  for (;;) {
    const { UserImportJob: job } = await client.send(new DescribeUserImportJobCommand({ UserPoolId: userPoolId, JobId: jobId }));
    if (!job) throw new Error(`DescribeUserImportJob returned nothing for ${jobId}`);
    if (TERMINAL_IMPORT_STATUSES.has(job.Status ?? '')) return outcome(jobId, job);
    // A job created but never started (a restore stopped before StartUserImportJob) expires on its own.
    if (job.Status === 'Created') return outcome(jobId, job);
    await sleep((options.pollSeconds ?? 10) * 1000);
  }
}

function outcome(jobId: string, job: UserImportJobType): ImportJobOutcome {
  return {
    jobId,
    status: job.Status ?? 'unknown',
    imported: job.ImportedUsers ?? 0,
    skipped: job.SkippedUsers ?? 0,
    failed: job.FailedUsers ?? 0,
    ...(job.CompletionMessage ? { message: job.CompletionMessage } : {}),
  };
}
