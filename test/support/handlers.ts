import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { HANDLER_ASSETS_DIR } from '../../packages/retention-kit/src/constructs/handler-function';
import type { HandlerName } from 'retention-kit/policy';

const nodeRequire = createRequire(__filename);

export type Handler = (event: any, context?: { getRemainingTimeInMillis(): number }) => Promise<any>;

/**
 * The handler of a prebuilt bundle, the very file the construct deploys (assets/handlers/<name>),
 * loaded by Node itself: with its own bundled AWS SDK, none of the test's modules. Load it after
 * the test has set the environment it reads.
 */
export function builtHandler(name: HandlerName): Handler {
  const file = join(HANDLER_ASSETS_DIR, name, 'index.js');
  if (!existsSync(file)) throw new Error(`${file} is missing: run \`npm run build:handlers\``);
  return (nodeRequire(file) as { handler: Handler }).handler;
}
