import { formatTableHydration } from './hydrate-summary';
import type { RecoveryResult } from './recover-table';

/** The summary a person reads after an in-place recovery. */
export function formatRecovery(result: RecoveryResult): string {
  const minutes = (ms: number) => `${Math.floor(ms / 60_000)}m ${Math.round((ms % 60_000) / 1000)}s`;
  const changes = result.sync.changes ?? { written: 0, deleted: 0, unchanged: 0 };
  const lines = [
    `recovered ${result.table} to ${result.toTime} (incident ${result.incident})${result.resumed ? ', continued from a checkpoint' : ''}`,
    `  backup first:    ${result.backup.kind === 'none' ? `none — ${result.backup.reason}` : `${result.backup.kind} ${result.backup.arn}`}`,
    `  restored copy:   ${result.recoveryTable}${result.recoveryTableRemoved ? ' (removed)' : ' (kept; delete it when done)'}`,
    `  changes:         ${changes.written} written, ${changes.deleted} deleted, ${changes.unchanged} unchanged`,
    `  verification:    ${result.verified ? `${result.table} equals the restored copy (count and checksum)` : `MISMATCH — see below; the checkpoint is kept`}`,
  ];
  if (result.functions.length > 0) lines.push(`  recovery mode:   ${result.functions.map((saved) => `${saved.functionName} paused, restored to ${saved.previous ?? 'unreserved'}`).join('; ')}`);
  lines.push(`  time:            backup ${minutes(result.durationMs.backup)}, restore ${minutes(result.durationMs.restore)}, sync ${minutes(result.durationMs.sync)}, total ${minutes(result.durationMs.total)}`, `  report:          ${result.report}`, '', formatTableHydration(result.sync));
  return `${lines.join('\n')}`;
}
