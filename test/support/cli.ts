import { spawn } from 'node:child_process';
import { join } from 'node:path';
import type { CallObserver } from './http';
import { LOCAL_CREDENTIALS } from './servers';

export const CLI = join(__dirname, '..', '..', 'packages', 'retention-kit-cli', 'bin', 'retention.js');

export interface CliRun {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

export interface CliOptions {
  /** Calls go through this proxy; `killAt` counts its calls. */
  readonly proxy: CallObserver & { readonly endpoint: string };
  /** The proxy's service: its endpoint is given to the SDK as this service's endpoint. */
  readonly service?: 'cognito' | 'dynamodb' | 's3';
  /** S3 endpoint, when the run reads or writes S3. */
  readonly s3Endpoint?: string;
  /** Kills the CLI (SIGKILL) when the proxy has received this many calls. */
  readonly killAt?: number;
  readonly cwd?: string;
}

/** Runs the CLI as a separate process against local servers, with the SDK's standard endpoint settings. */
export function runCli(args: string[], options: CliOptions): Promise<CliRun> {
  const { proxy, killAt } = options;
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [CLI, ...args], {
      cwd: options.cwd,
      env: {
        ...process.env,
        AWS_REGION: 'us-east-1',
        AWS_ACCESS_KEY_ID: LOCAL_CREDENTIALS.accessKeyId,
        AWS_SECRET_ACCESS_KEY: LOCAL_CREDENTIALS.secretAccessKey,
        ...(options.service === 'dynamodb' ? { AWS_ENDPOINT_URL_DYNAMODB: proxy.endpoint } : options.service === 's3' ? { AWS_ENDPOINT_URL_S3: proxy.endpoint } : { AWS_ENDPOINT_URL_COGNITO_IDENTITY_PROVIDER: proxy.endpoint }),
        ...(options.s3Endpoint ? { AWS_ENDPOINT_URL_S3: options.s3Endpoint } : {}),
      },
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    if (killAt !== undefined) {
      proxy.resetCounts();
      proxy.onCall((_operation, total) => {
        if (total >= killAt) child.kill('SIGKILL');
      });
    }
    child.on('exit', (code, signal) => {
      proxy.onCall(undefined);
      resolve({ code, signal, stdout, stderr });
    });
  });
}
