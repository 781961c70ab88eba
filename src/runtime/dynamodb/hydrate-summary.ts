import type { HydrateTableResult } from './hydrate-table';

/** The summary a person reads after a table hydration. */
export function formatTableHydration(result: HydrateTableResult): string {
  const seconds = (ms: number) => `${(ms / 1000).toFixed(1)} s`;
  const rate = result.durationMs.copy > 0 ? Math.round(result.sourceDigest.items / (result.durationMs.copy / 1000)) : 0;
  const lines = [
    `hydrated ${result.target} from ${result.source}${result.resumed ? ' (continued from a checkpoint)' : ''}`,
    `  source items:  ${result.sourceDigest.items}  checksum ${result.sourceDigest.digest.slice(0, 16)}`,
  ];
  if (result.targetDigest) lines.push(`  target items:  ${result.targetDigest.items}  checksum ${result.targetDigest.digest.slice(0, 16)}`);
  lines.push(
    result.verified === undefined
      ? '  verification:  skipped (--no-verify)'
      : result.verified
        ? '  verification:  target equals source (count and checksum)'
        : `  verification:  MISMATCH — ${mismatch(result)}`,
    `  segments:      ${result.totalSegments}`,
    `  copy:          ${seconds(result.durationMs.copy)} (${rate} items/s this run)   verify: ${seconds(result.durationMs.verify)}`,
    `  calls:         Scan ${result.calls.scan}, BatchWriteItem ${result.calls.batchWrite} (${result.calls.unprocessedRetries} for unprocessed items), verification Scan ${result.calls.verifyScan}`,
    `  report:        ${result.report}`,
  );
  return `${lines.join('\n')}\n`;
}

function mismatch(result: HydrateTableResult): string {
  const target = result.targetDigest!;
  if (target.items > result.sourceDigest.items) return `the target has ${target.items - result.sourceDigest.items} item(s) more than the source (items it held before, or written since)`;
  if (target.items < result.sourceDigest.items) return `the target has ${result.sourceDigest.items - target.items} item(s) fewer than the source`;
  return 'same count, different content: at least one item differs (changed in the target while it was written, or an extra item stands in for a missing one)';
}
