import type { HydrateTableResult } from './hydrate-table';

/** The summary a person reads after a table hydration. */
export function formatTableHydration(result: HydrateTableResult): string {
  const seconds = (ms: number) => `${(ms / 1000).toFixed(1)} s`;
  const rate = result.durationMs.copy > 0 ? Math.round(result.sourceDigest.items / (result.durationMs.copy / 1000)) : 0;
  const lines = [
    `${result.mode === 'sync' ? 'synced' : 'hydrated'} ${result.target} from ${result.source}${result.resumed ? ' (continued from a checkpoint)' : ''}`,
    `  source items:  ${result.sourceDigest.items}  checksum ${result.sourceDigest.digest.slice(0, 16)}`,
  ];
  if (result.changes) lines.push(`  changes:       ${result.changes.written} written, ${result.changes.deleted} deleted, ${result.changes.unchanged} unchanged`);
  if (result.targetDigest) lines.push(`  target items:  ${result.targetDigest.items}  checksum ${result.targetDigest.digest.slice(0, 16)}`);
  lines.push(
    result.verified === undefined
      ? '  verification:  skipped (--no-verify)'
      : result.verified
        ? '  verification:  target equals source (count and checksum)'
        : `  verification:  MISMATCH — ${mismatch(result)}`,
    `  segments:      ${result.totalSegments}${result.syncMethod ? ` (${result.syncMethod === 'merge' ? 'merging a scan of each table' : 'scanning one table, reading the other by key'})` : ''}`,
    `  ${result.mode === 'sync' ? 'sync: ' : 'copy: '}         ${seconds(result.durationMs.copy)} (${rate} items/s this run)   verify: ${seconds(result.durationMs.verify)}`,
    `  calls:         Scan ${result.calls.scan}, ${result.mode === 'sync' ? `BatchGetItem ${result.calls.batchGet} (${result.calls.unprocessedKeyRetries} for unprocessed keys), ` : ''}BatchWriteItem ${result.calls.batchWrite} (${result.calls.unprocessedRetries} for unprocessed items), verification Scan ${result.calls.verifyScan}`,
    `  report:        ${result.report}`,
  );
  return `${lines.join('\n')}\n`;
}

function mismatch(result: HydrateTableResult): string {
  const target = result.targetDigest!;
  const writers = result.mode === 'sync' ? ' — something else wrote to the target during the sync; stop its writers (recovery mode) and run again' : '';
  if (target.items > result.sourceDigest.items) return `the target has ${target.items - result.sourceDigest.items} item(s) more than the source (${result.mode === 'sync' ? 'written since' : 'items it held before, or written since'})${writers}`;
  if (target.items < result.sourceDigest.items) return `the target has ${result.sourceDigest.items - target.items} item(s) fewer than the source${writers}`;
  return `same count, different content: at least one item differs (changed in the target while it was written, or an extra item stands in for a missing one)${writers}`;
}
