import { readFileSync } from 'node:fs';
import { join } from 'node:path';

/** The `context` block of a CDK app's cdk.json, as `cdk synth` would pass it. */
export function cdkJsonContext(appDir: string): Record<string, unknown> {
  const cdkJson = JSON.parse(readFileSync(join(appDir, 'cdk.json'), 'utf8')) as { context?: Record<string, unknown> };
  return cdkJson.context ?? {};
}
