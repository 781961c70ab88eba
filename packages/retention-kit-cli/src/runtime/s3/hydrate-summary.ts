import type { BucketVerification, HydrateBucketResult } from './hydrate-bucket';

/** The summary a person reads after a bucket hydration. */
export function formatBucketHydration(result: HydrateBucketResult): string {
  const where = `s3://${result.target}/${result.prefix}`;
  const lines = [
    `hydrated ${where} from s3://${result.source}/${result.prefix}${result.resumed ? ' (continued from a checkpoint)' : ''}`,
    `  copied:        ${result.copied} object(s), ${formatBytes(result.bytesCopied)}${result.multipart > 0 ? ` (${result.multipart} in parts)` : ''}`,
    `  already there: ${result.alreadyThere} (same size and ETag)`,
  ];
  const verification = result.verification;
  if (!verification) lines.push('  verification:  skipped (--no-verify)');
  else {
    lines.push(
      `  verification:  ${result.verified ? 'every source object is in the target with the same size and content, and nothing else is' : 'MISMATCH'}`,
      `                 ${verification.compared} compared: ${verification.byEtag} by ETag, ${verification.byChecksum} by checksum, ${verification.byContent} by reading both`,
    );
    for (const [label, problem] of problems(verification)) {
      if (problem.count > 0) lines.push(`  ${label}: ${problem.count}: ${problem.keys.join(', ')}${problem.count > problem.keys.length ? ', …' : ''}`);
    }
  }
  const calls = Object.entries(result.calls)
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([operation, n]) => `${operation} ${n}`)
    .join(', ');
  lines.push(`  time:          copy ${(result.durationMs.copy / 1000).toFixed(1)} s, verify ${(result.durationMs.verify / 1000).toFixed(1)} s`, `  calls:         ${calls}`, `  report:        ${result.report}`);
  return `${lines.join('\n')}\n`;
}

function problems(verification: BucketVerification): [string, BucketVerification['missing']][] {
  return [
    ['missing in target', verification.missing],
    ['size differs', verification.sizeDiffers],
    ['content differs', verification.contentDiffers],
    ['only in target', verification.extra],
  ];
}

function formatBytes(bytes: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit += 1;
  }
  return `${unit === 0 ? value : value.toFixed(1)} ${units[unit]}`;
}
