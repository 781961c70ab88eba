/**
 * Item-level search of indexed S3 recovery points with the AWS Backup search API, and restore of
 * the objects found. The search API is its own service (`backupsearch`, in the SDK's
 * `@aws-sdk/client-backupsearch`); the functions take its operations as an interface so the
 * command can load that client where it is installed, and tests can stand in for it.
 */
import { createHash } from 'node:crypto';
import { type BackupClient, StartRestoreJobCommand } from '@aws-sdk/client-backup';

/** The search job operations used here, as the SDK's BackupSearch client names them. */
export interface BackupSearchApi {
  startSearchJob(input: StartSearchJobInput): Promise<{ SearchJobIdentifier?: string; SearchJobArn?: string }>;
  getSearchJob(input: { SearchJobIdentifier: string }): Promise<{ Status?: string; StatusMessage?: string; CurrentSearchProgress?: { RecoveryPointsScannedCount?: number; ItemsMatchedCount?: number } }>;
  listSearchJobResults(input: { SearchJobIdentifier: string; NextToken?: string; MaxResults?: number }): Promise<{ Results?: { S3ResultItem?: S3ResultItem }[]; NextToken?: string }>;
}

export interface StartSearchJobInput {
  Name?: string;
  ClientToken?: string;
  SearchScope: {
    BackupResourceTypes: string[];
    SourceResourceArns?: string[];
    BackupResourceCreationTime?: { CreatedAfter?: Date; CreatedBefore?: Date };
  };
  ItemFilters?: { S3ItemFilters?: { ObjectKeys?: { FilterMode: string; Value: string }[] }[] };
}

/** One object version found in one recovery point. */
export interface S3ResultItem {
  BackupResourceArn?: string;
  SourceResourceArn?: string;
  BackupVaultName?: string;
  ObjectKey?: string;
  ObjectSize?: number;
  CreationTime?: Date;
  ETag?: string;
  VersionId?: string;
}

export interface S3SearchRequest {
  bucket: string;
  keyPrefix?: string;
  createdAfter?: Date;
  createdBefore?: Date;
}

export interface S3SearchHit {
  key: string;
  size?: number;
  versionId?: string;
  /** The recovery point that holds this version. */
  recoveryPointArn: string;
  vaultName?: string;
  /** When the object version was created. */
  created?: Date;
}

export interface SearchProgress {
  status: string;
  recoveryPointsScanned?: number;
  itemsMatched?: number;
}

/** Terminal states of a search job. */
const DONE = new Set(['COMPLETED', 'FAILED', 'STOPPED']);

/** The object keys AWS Backup takes in one S3 restore job's ItemsToRestore. */
export const ITEMS_PER_RESTORE_JOB = 5;

export class SearchJobFailedError extends Error {}

/**
 * Runs a search job over the bucket's indexed recovery points, waits for it, and returns every hit,
 * newest recovery point first for each key.
 */
export async function searchS3(
  api: BackupSearchApi,
  request: S3SearchRequest,
  options: { pollMs?: number; onProgress?: (p: SearchProgress) => void; sleep?: (ms: number) => Promise<void> } = {},
): Promise<{ searchJobId: string; hits: S3SearchHit[] }> {
  const sleep = options.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
  const started = await api.startSearchJob({
    Name: `retention-search-${request.bucket}`.slice(0, 100),
    SearchScope: {
      BackupResourceTypes: ['S3'],
      SourceResourceArns: [`arn:aws:s3:::${request.bucket}`],
      ...(request.createdAfter || request.createdBefore ? { BackupResourceCreationTime: { CreatedAfter: request.createdAfter, CreatedBefore: request.createdBefore } } : {}),
    },
    ...(request.keyPrefix ? { ItemFilters: { S3ItemFilters: [{ ObjectKeys: [{ FilterMode: 'BEGINS_WITH', Value: request.keyPrefix }] }] } } : {}),
  });
  const searchJobId = started.SearchJobIdentifier;
  if (!searchJobId) throw new SearchJobFailedError('the search API started no search job (no SearchJobIdentifier in its answer)');
  for (;;) {
    const job = await api.getSearchJob({ SearchJobIdentifier: searchJobId });
    const status = job.Status ?? 'UNKNOWN';
    options.onProgress?.({ status, recoveryPointsScanned: job.CurrentSearchProgress?.RecoveryPointsScannedCount, itemsMatched: job.CurrentSearchProgress?.ItemsMatchedCount });
    if (status === 'COMPLETED') break;
    if (DONE.has(status)) throw new SearchJobFailedError(`search job ${searchJobId} ended ${status}${job.StatusMessage ? `: ${job.StatusMessage}` : ''}`);
    await sleep(options.pollMs ?? 5000);
  }
  const hits: S3SearchHit[] = [];
  let token: string | undefined;
  do {
    const page = await api.listSearchJobResults({ SearchJobIdentifier: searchJobId, NextToken: token, MaxResults: 1000 });
    for (const result of page.Results ?? []) {
      const item = result.S3ResultItem;
      if (!item?.ObjectKey || !item.BackupResourceArn) continue;
      hits.push({ key: item.ObjectKey, size: item.ObjectSize, versionId: item.VersionId, recoveryPointArn: item.BackupResourceArn, vaultName: item.BackupVaultName, created: item.CreationTime });
    }
    token = page.NextToken;
  } while (token);
  hits.sort((a, b) => a.key.localeCompare(b.key) || (b.created?.getTime() ?? 0) - (a.created?.getTime() ?? 0));
  return { searchJobId, hits };
}

export interface ItemRestoreRequest {
  bucket: string;
  /** Keys to restore, each from the newest recovery point that holds it (or from `recoveryPointArn`). */
  keys: string[];
  hits: S3SearchHit[];
  /** Restore from this recovery point only. */
  recoveryPointArn?: string;
  /** The bucket the objects are restored into. */
  destinationBucket: string;
  /** The role AWS Backup restores with. */
  iamRoleArn: string;
}

export interface PlannedItemRestore {
  recoveryPointArn: string;
  keys: string[];
  metadata: Record<string, string>;
}

/** The restore jobs for chosen keys: grouped by recovery point, five keys a job. Throws naming each key no hit holds. */
export function planItemRestores(request: ItemRestoreRequest): PlannedItemRestore[] {
  const byPoint = new Map<string, string[]>();
  const missing: string[] = [];
  for (const key of [...new Set(request.keys)]) {
    const hit = request.hits.find((h) => h.key === key && (!request.recoveryPointArn || h.recoveryPointArn === request.recoveryPointArn));
    if (!hit) {
      missing.push(key);
      continue;
    }
    byPoint.set(hit.recoveryPointArn, [...(byPoint.get(hit.recoveryPointArn) ?? []), key]);
  }
  if (missing.length > 0) {
    throw new SearchJobFailedError(`no indexed recovery point${request.recoveryPointArn ? ` (${request.recoveryPointArn})` : ''} holds ${missing.map((k) => JSON.stringify(k)).join(', ')}: search with a prefix that finds them first`);
  }
  const plans: PlannedItemRestore[] = [];
  for (const [recoveryPointArn, keys] of byPoint) {
    for (let i = 0; i < keys.length; i += ITEMS_PER_RESTORE_JOB) {
      const chunk = keys.slice(i, i + ITEMS_PER_RESTORE_JOB);
      plans.push({
        recoveryPointArn,
        keys: chunk,
        metadata: {
          DestinationBucketName: request.destinationBucket,
          NewBucket: 'false',
          ItemsToRestore: JSON.stringify(chunk.map((k) => `s3://${request.bucket}/${k}`)),
        },
      });
    }
  }
  return plans;
}

/**
 * The SDK's BackupSearch client, where `@aws-sdk/client-backupsearch` is installed beside the CLI
 * (an optional dependency: install it to search). Throws saying so where it is not.
 */
export async function loadBackupSearchClient(settings: { region: string; profile?: string }): Promise<BackupSearchApi> {
  const name = '@aws-sdk/client-backupsearch';
  type Constructor = new (input: unknown) => { send(command: unknown): Promise<unknown> };
  let sdk: Record<string, Constructor>;
  try {
    sdk = (await import(name)) as Record<string, Constructor>;
  } catch {
    throw new Error(`retention search needs the AWS SDK's Backup Search client: npm install ${name} (beside retention-kit-cli)`);
  }
  const client = new sdk.BackupSearchClient(settings);
  const call = (command: string) => (input: unknown) => client.send(new sdk[command](input));
  return { startSearchJob: call('StartSearchJobCommand'), getSearchJob: call('GetSearchJobCommand'), listSearchJobResults: call('ListSearchJobResultsCommand') } as unknown as BackupSearchApi;
}

/** Starts the planned restore jobs; returns their ids in plan order. */
export async function startItemRestores(backup: BackupClient, plans: PlannedItemRestore[], iamRoleArn: string): Promise<string[]> {
  const ids: string[] = [];
  for (const plan of plans) {
    const job = await backup.send(
      new StartRestoreJobCommand({ RecoveryPointArn: plan.recoveryPointArn, IamRoleArn: iamRoleArn, ResourceType: 'S3', Metadata: plan.metadata, IdempotencyToken: createHash('sha256').update(`${plan.recoveryPointArn}\n${plan.keys.join('\n')}`).digest('hex') }),
    );
    ids.push(job.RestoreJobId ?? '?');
  }
  return ids;
}
