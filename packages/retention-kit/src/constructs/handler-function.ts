/**
 * A Lambda function running one of the handlers the library ships prebuilt. `npm run build` bundles
 * each handler once, with esbuild, into `assets/handlers/<name>`; a user's synth only points at the
 * folder, so it needs neither esbuild nor Docker and bundles nothing.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { Duration } from 'aws-cdk-lib';
import type * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import type * as logs from 'aws-cdk-lib/aws-logs';
import type { Construct } from 'constructs';
import type { HandlerName } from '../policy/handler-contracts';

/** Where the prebuilt handler bundles are: the package's `assets/handlers`, beside `lib/` and `src/`. */
export const HANDLER_ASSETS_DIR = join(__dirname, '..', '..', 'assets', 'handlers');

export interface HandlerFunctionProps {
  readonly handler: HandlerName;
  readonly role: iam.IRole;
  readonly logGroup: logs.ILogGroup;
  readonly description: string;
  readonly memorySize: number;
  readonly timeout: Duration;
  /** The handler's own variables, encoded by its contract in src/policy/handler-contracts.ts. */
  readonly environment?: Record<string, string>;
  readonly reservedConcurrentExecutions?: number;
  /** Powertools' service name (the `service` dimension of its metrics). Default: the handler's name. */
  readonly serviceName?: string;
}

/** The asset folder of a prebuilt handler; an error that says how to build it when it is missing. */
export function handlerAssetPath(handler: HandlerName): string {
  const dir = join(HANDLER_ASSETS_DIR, handler);
  if (!existsSync(join(dir, 'index.js'))) {
    throw new Error(`the prebuilt handler ${handler} is missing (${join(dir, 'index.js')}): the package was not built; run \`npm run build\` in its repository`);
  }
  return dir;
}

export function handlerFunction(scope: Construct, id: string, props: HandlerFunctionProps): lambda.Function {
  return new lambda.Function(scope, id, {
    code: lambda.Code.fromAsset(handlerAssetPath(props.handler)),
    handler: 'index.handler',
    runtime: lambda.Runtime.NODEJS_24_X,
    architecture: lambda.Architecture.ARM_64,
    memorySize: props.memorySize,
    timeout: props.timeout,
    role: props.role,
    logGroup: props.logGroup,
    description: props.description,
    reservedConcurrentExecutions: props.reservedConcurrentExecutions,
    environment: {
      ...props.environment,
      POWERTOOLS_SERVICE_NAME: props.serviceName ?? props.handler,
      // Stack traces name the TypeScript source lines (the bundles carry their source maps).
      NODE_OPTIONS: '--enable-source-maps',
    },
  });
}
