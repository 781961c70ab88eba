/** Names shared by the Cognito export's Lambda, its state machine and its alarms. Pure. */
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
