import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import { join } from 'node:path';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { S3Client } from '@aws-sdk/client-s3';
import dynalite from 'dynalite';
import S3rver from 's3rver';
import { tempDir } from './apps';
import { listenOnLoopback } from './http';

/** A local server the tests started; `stop()` ends it. */
export interface LocalServer {
  readonly endpoint: string;
  readonly port: number;
  stop(): Promise<void>;
}

/** Credentials the local servers accept (s3rver checks them; the others ignore them). */
export const LOCAL_CREDENTIALS = { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' };

/** A free loopback port (the OS picks it; released before the server binds it). */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as AddressInfo;
      probe.close(() => resolve(port));
    });
  });
}

export interface CognitoLocalOptions {
  /**
   * The data folder (`.cognito` is created in it). Seed files written there before start are
   * served.
   * @default a new temporary folder
   */
  readonly dataDir?: string;
}

export interface CognitoLocal extends LocalServer {
  readonly dataDir: string;
}

/**
 * Starts cognito-local as a child process in its own data folder. New pools default to plain
 * usernames (no email/phone username attributes) unless created with `UsernameAttributes`.
 */
export async function startCognitoLocal(options: CognitoLocalOptions = {}): Promise<CognitoLocal> {
  const dataDir = options.dataDir ?? tempDir('cognito-local-');
  mkdirSync(join(dataDir, '.cognito'), { recursive: true });
  writeFileSync(
    join(dataDir, '.cognito', 'config.json'),
    JSON.stringify({ UserPoolDefaults: { UsernameAttributes: [] } }),
  );
  const port = await freePort();
  const child = spawn(process.execPath, [require.resolve('cognito-local/lib/bin/start.js')], {
    cwd: dataDir,
    env: { ...process.env, PORT: String(port), HOST: '127.0.0.1', DEBUG: '' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  await waitForOutput(child, /Cognito Local running/, 'cognito-local');
  // Its request log is verbose; drain it so the pipe never blocks the server.
  child.stdout?.resume();
  child.stderr?.resume();
  return {
    endpoint: `http://127.0.0.1:${port}`,
    port,
    dataDir,
    stop: () => stopChild(child),
  };
}

function waitForOutput(child: ChildProcess, pattern: RegExp, name: string): Promise<void> {
  return new Promise((resolve, reject) => {
    let seen = '';
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`${name} did not start within 30 s:\n${seen}`));
    }, 30_000);
    const onData = (chunk: Buffer): void => {
      seen += chunk.toString();
      if (pattern.test(seen)) {
        clearTimeout(timer);
        child.stdout?.off('data', onData);
        child.stderr?.off('data', onData);
        resolve();
      }
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', onData);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`${name} exited with ${code} before it started:\n${seen}`));
    });
  });
}

export function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    child.once('exit', () => resolve());
    child.kill('SIGTERM');
    setTimeout(() => child.kill('SIGKILL'), 5_000).unref();
  });
}

export interface S3Local extends LocalServer {
  readonly directory: string;
}

/** Starts s3rver in this process on a free loopback port, with the named buckets. */
export async function startS3rver(buckets: string[] = []): Promise<S3Local> {
  const directory = tempDir('s3rver-');
  const server = new S3rver({
    address: '127.0.0.1',
    port: 0,
    silent: !process.env.S3RVER_LOG,
    directory,
    configureBuckets: buckets.map((name) => ({ name })),
  });
  const { port } = await server.run();
  return { endpoint: `http://127.0.0.1:${port}`, port, directory, stop: () => server.close() };
}

/** An S3 client for s3rver: its credentials, path-style addressing. */
export function localS3Client(endpoint: string): S3Client {
  return new S3Client({ endpoint, region: 'us-east-1', credentials: LOCAL_CREDENTIALS, forcePathStyle: true });
}

/**
 * Starts dynalite (DynamoDB on LevelDB) in this process on a free loopback port, in memory unless
 * a folder is given. Tables become ACTIVE at once.
 */
export async function startDynalite(options: { path?: string } = {}): Promise<LocalServer> {
  return listenOnLoopback(dynalite({ path: options.path, createTableMs: 0, deleteTableMs: 0, updateTableMs: 0 }));
}

/**
 * dynalite for code that builds its own clients from the environment (Lambda handlers): the SDK's
 * standard endpoint and credential settings point at it until `stop`.
 */
export async function startDynaliteForHandlers(): Promise<LocalServer> {
  const server = await startDynalite();
  Object.assign(process.env, { AWS_ENDPOINT_URL_DYNAMODB: server.endpoint, AWS_REGION: 'us-east-1', AWS_ACCESS_KEY_ID: 'local', AWS_SECRET_ACCESS_KEY: 'local' });
  return {
    ...server,
    stop: async () => {
      delete process.env.AWS_ENDPOINT_URL_DYNAMODB;
      await server.stop();
    },
  };
}

/** A DynamoDB client for a local endpoint (dynalite or a proxy in front of it). */
export function localDynamoClient(endpoint: string, maxAttempts = 8): DynamoDBClient {
  return new DynamoDBClient({ endpoint, region: 'us-east-1', credentials: LOCAL_CREDENTIALS, retryMode: 'adaptive', maxAttempts });
}

export interface MotoServer extends LocalServer {
  /** Empties every service's state (`POST /moto-api/reset`), for a fresh start between tests. */
  reset(): Promise<void>;
}

/** The account moto answers for: every resource it creates is in it. */
export const MOTO_ACCOUNT = '123456789012';

/**
 * Starts moto's AWS emulator (`python3 -m moto.server`) on a free loopback port. It is installed on
 * every machine of this project; a test that needs it fails, never skips, when it is missing.
 */
export async function startMoto(): Promise<MotoServer> {
  const port = await freePort();
  const child = spawn('python3', ['-m', 'moto.server', '-H', '127.0.0.1', '-p', String(port)], { stdio: ['ignore', 'pipe', 'pipe'] });
  try {
    await waitForOutput(child, /Running on http/, 'moto (python3 -m moto.server)');
  } catch (e) {
    throw new Error(`${(e as Error).message}\nmoto's server is needed: install it with \`pip install 'moto[server]'\` (moto 5.2.1 is what this project tests with)`);
  }
  child.stdout?.resume();
  child.stderr?.resume();
  const endpoint = `http://127.0.0.1:${port}`;
  return {
    endpoint,
    port,
    reset: async () => {
      const response = await fetch(`${endpoint}/moto-api/reset`, { method: 'POST' });
      if (!response.ok) throw new Error(`moto reset failed: ${response.status}`);
    },
    stop: () => stopChild(child),
  };
}

/** SDK client settings for a moto server. */
export const motoClientConfig = (endpoint: string, region = 'us-east-1') => ({ endpoint, region, credentials: { accessKeyId: 'testing', secretAccessKey: 'testing' } });
