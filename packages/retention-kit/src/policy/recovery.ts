/**
 * The guard rails of an in-place recovery, as pure rules shared by `retention recover dynamodb`
 * and the recovery state machine: the confirmation must repeat the table's name, the incident ID
 * must make a valid table name, and the time must be a past ISO 8601 instant.
 */

/** DynamoDB table names: 3 to 255 of these characters. */
const TABLE_NAME = /^[A-Za-z0-9_.-]{3,255}$/;
/** What an incident ID may be: it becomes part of table and backup names. */
export const INCIDENT_ID = /^[A-Za-z0-9_.-]{1,64}$/;
const ISO_INSTANT = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:\d{2})$/;

/** The temporary table the point-in-time restore creates. */
export function recoveryTableName(table: string, incident: string): string {
  return `${table}-recovery-${incident}`;
}

/** The name of the on-demand backup taken before anything changes (DynamoDB backup names are 3 to 255 characters). */
export function preRecoveryBackupName(table: string, incident: string): string {
  return `${table}-before-${incident}`.slice(0, 255);
}

export interface RecoveryRequest {
  readonly table: string;
  readonly toTime: string;
  readonly incident: string;
  readonly confirmTableName?: string;
}

/** Every problem with the request, before any AWS call: an empty list means it may go on. */
export function checkRecoveryRequest(request: RecoveryRequest, now: Date = new Date()): string[] {
  const problems: string[] = [];
  if (request.confirmTableName !== request.table) {
    problems.push(
      request.confirmTableName === undefined
        ? `--confirm-table-name is required and must repeat the table's name (${request.table}): the recovery overwrites and deletes items in it`
        : `--confirm-table-name is "${request.confirmTableName}" but the table is "${request.table}"; repeat the table's name exactly to confirm`,
    );
  }
  if (!TABLE_NAME.test(request.table)) problems.push(`table "${request.table}" is not a DynamoDB table name (3 to 255 of A-Z a-z 0-9 _ . -)`);
  if (!INCIDENT_ID.test(request.incident)) problems.push(`--incident "${request.incident}" must be 1 to 64 of A-Z a-z 0-9 _ . - (it becomes part of the recovery table's name)`);
  else if (!TABLE_NAME.test(recoveryTableName(request.table, request.incident))) problems.push(`the recovery table's name ${recoveryTableName(request.table, request.incident)} would be longer than 255 characters; use a shorter --incident`);
  const at = new Date(request.toTime);
  if (!ISO_INSTANT.test(request.toTime) || Number.isNaN(at.getTime())) problems.push(`--to-time "${request.toTime}" is not an ISO 8601 time with a zone, such as 2026-11-20T14:05:00Z`);
  else if (at.getTime() > now.getTime()) problems.push(`--to-time ${request.toTime} is in the future`);
  return problems;
}

/** Problems with the time against the table's point-in-time recovery window. */
export function checkRestoreWindow(toTime: Date, table: string, window: { status?: string; earliest?: Date; latest?: Date }): string[] {
  if (window.status !== 'ENABLED') return [`point-in-time recovery is ${window.status ?? 'not enabled'} on ${table}; it can only be recovered from a backup`];
  if (window.earliest && toTime < window.earliest) return [`${toTime.toISOString()} is before the earliest restorable time of ${table}, ${window.earliest.toISOString()}`];
  if (window.latest && toTime > window.latest) return [`${toTime.toISOString()} is after the latest restorable time of ${table}, ${window.latest.toISOString()} (about 5 minutes ago); wait or choose an earlier time`];
  return [];
}
