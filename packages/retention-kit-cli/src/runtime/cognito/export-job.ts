/**
 * One scheduled export of several pools, as the Lambda and the CLI run it. Pools go one after
 * another (they share the account's quotas). A job that must stop (the Lambda's time is nearly
 * up) returns `continue` with the pools already done; called again with that state it carries on,
 * and the pool it was in the middle of continues from its checkpoint.
 */
import type { CognitoIdentityProviderClient } from '@aws-sdk/client-cognito-identity-provider';
import type { ObjectStore } from '../store';
import type { QuotaOverrides } from './client';
import type { ExportManifest } from './export-format';
import { CognitoExportError, type ExportProgress, exportUserPool } from './exporter';

export interface ExportJobOptions {
  readonly client: CognitoIdentityProviderClient;
  readonly store: ObjectStore;
  readonly userPoolIds: readonly string[];
  readonly prefix?: string;
  /** Pools finished by earlier invocations of this job. */
  readonly completed?: readonly string[];
  readonly shouldStop?: () => boolean;
  readonly rates?: QuotaOverrides;
  readonly pageSize?: number;
  readonly segmentUsers?: boolean;
  readonly onPoolStart?: (userPoolId: string) => void;
  readonly onProgress?: (userPoolId: string, progress: ExportProgress) => void;
}

export interface PoolExported {
  readonly userPoolId: string;
  readonly location: string;
  readonly manifest: ExportManifest;
}

export interface ExportJobResult {
  /** `continue`: call again with `completed` to finish. */
  readonly status: 'complete' | 'continue';
  readonly completed: string[];
  readonly exported: PoolExported[];
  /** Pools that failed, with the reason; their checkpoints are kept for the next run. */
  readonly failed: { userPoolId: string; error: string }[];
}

export async function runExportJob(options: ExportJobOptions): Promise<ExportJobResult> {
  if (options.userPoolIds.length === 0) throw new Error('no user pools to export: name at least one user pool ID');
  const completed = [...(options.completed ?? [])];
  const exported: PoolExported[] = [];
  const failed: ExportJobResult['failed'] = [];
  for (const userPoolId of options.userPoolIds) {
    if (completed.includes(userPoolId)) continue;
    if (options.shouldStop?.()) return { status: 'continue', completed, exported, failed };
    options.onPoolStart?.(userPoolId);
    try {
      const result = await exportUserPool({
        client: options.client,
        store: options.store,
        userPoolId,
        prefix: options.prefix,
        rates: options.rates,
        pageSize: options.pageSize,
        segmentUsers: options.segmentUsers,
        shouldStop: options.shouldStop,
        onProgress: (progress) => options.onProgress?.(userPoolId, progress),
      });
      if (result.status === 'paused') return { status: 'continue', completed, exported, failed };
      completed.push(userPoolId);
      exported.push({ userPoolId, location: result.location, manifest: result.manifest });
    } catch (error) {
      if (!(error instanceof CognitoExportError) && !isServiceError(error)) throw error;
      failed.push({ userPoolId, error: (error as Error).message });
      completed.push(userPoolId);
    }
  }
  return { status: 'complete', completed, exported, failed };
}

function isServiceError(error: unknown): boolean {
  return typeof error === 'object' && error !== null && '$metadata' in error;
}
