/** Names shared by the Cognito export's Lambda, its state machine and its alarms. Pure. */
import { z } from 'zod';

export const COGNITO_EXPORT_METRICS = {
  namespace: 'RetentionKit',
  service: 'cognito-export',
  dimension: 'UserPoolId',
  usersExported: 'UsersExported',
  poolsExported: 'PoolsExported',
  poolsFailed: 'PoolsFailed',
} as const;

/** What each call of the export function returns, and the next call receives. */
export interface CognitoExportState {
  /** `continue`: call again with this state. */
  readonly status: 'complete' | 'continue';
  /** Pools finished (exported, or failed with their checkpoint kept) in this scheduled run. */
  readonly completed: string[];
  /** Pools whose export failed in this scheduled run. */
  readonly failed: string[];
}

/** The status that makes the state machine call the function again. */
export const EXPORT_CONTINUES = 'continue';

/** The state the export function receives: nothing on a scheduled run's first call, then what it answered. */
export const COGNITO_EXPORT_STATE_SCHEMA = z
  .object({
    status: z.enum(['complete', EXPORT_CONTINUES]).optional(),
    completed: z.array(z.string()).optional(),
    failed: z.array(z.string()).optional(),
  })
  .nullish();
