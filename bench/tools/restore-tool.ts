/**
 * One restore, measured in its own process. Prints one JSON line: wall time, peak RSS, users
 * restored.
 *   tsx bench/tools/restore-tool.ts <ours|peer> <endpoint> <targetPoolId> <input>
 * `input` is our export folder (ours) or cognito-backup-restore's backup file (peer).
 */
import { readFileSync } from 'node:fs';
import Module from 'node:module';
import { CognitoIdentityProviderClient } from '@aws-sdk/client-cognito-identity-provider';
import AWS from 'aws-sdk';
import { tempDir } from '../../test/support/apps';
import { limitToQuotas, openExport, restoreUserPool, FolderStore } from 'retention-kit-cli';

const [tool, endpoint, targetPool, input] = process.argv.slice(2);
const credentials = { accessKeyId: 'local', secretAccessKey: 'local' };
const UNLIMITED = { UserCreation: 100_000, UserUpdate: 100_000, UserResourceUpdate: 100_000, UserList: 100_000, UserPoolRead: 100_000, UserPoolResourceRead: 100_000, UserPoolResourceUpdate: 100_000, UserRead: 100_000 };

async function ours(rates: Record<string, number>): Promise<number> {
  const client = new CognitoIdentityProviderClient({ endpoint, region: 'us-east-1', credentials, retryMode: 'adaptive', maxAttempts: 10 });
  // cognito-local has no quotas: lift the per-pool operation limit (CreateGroup 5/s) as well.
  limitToQuotas(client, rates, false);
  const run = await openExport(new FolderStore(input));
  const result = await restoreUserPool({ client, run, targetUserPoolId: targetPool, state: new FolderStore(tempDir('bench-restore-state-')) });
  const { users } = result.summary;
  if (users.failed.count > 0) throw new Error(`${users.failed.count} users failed: ${JSON.stringify(users.failed.items.slice(0, 3))}`);
  return users.created + users.alreadyPresent;
}

/**
 * cognito-backup-restore 1.3.2's restoreUsers spaces its calls 2 s apart with a hard-coded
 * bottleneck limiter (5,000 users would take 2.8 hours by construction). Its limiter is replaced
 * by a pass-through here, so what is measured is the rest of the tool.
 */
class PassThroughLimiter {
  wrap<T>(fn: T): T {
    return fn;
  }
}

async function peer(): Promise<number> {
  const load = (Module as unknown as { _load: (request: string, ...rest: unknown[]) => unknown })._load;
  (Module as unknown as { _load: (request: string, ...rest: unknown[]) => unknown })._load = (request, ...rest) =>
    request === 'bottleneck' ? { __esModule: true, default: PassThroughLimiter } : load(request, ...rest);
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- loaded after the limiter is swapped, which a static import would precede
  const { restoreUsers } = require('cognito-backup-restore') as { restoreUsers: (c: unknown, pool: string, file: string, password: string) => Promise<void> };
  const cognito = new AWS.CognitoIdentityServiceProvider({ endpoint, region: 'us-east-1', credentials });
  // It resolves once its reader is piped, before any user is created: count the creates that land.
  const expected = (JSON.parse(readFileSync(input, 'utf8')) as unknown[]).length;
  let settled = 0;
  const create = cognito.adminCreateUser.bind(cognito);
  cognito.adminCreateUser = ((params: AWS.CognitoIdentityServiceProvider.AdminCreateUserRequest) => {
    const promise = create(params).promise().finally(() => (settled += 1));
    return { promise: () => promise };
  }) as unknown as typeof cognito.adminCreateUser;
  await restoreUsers(cognito, targetPool, input, 'Temp-Passw0rd!');
  while (settled < expected) await new Promise((resolve) => setTimeout(resolve, 5));
  return settled;
}

async function main(): Promise<void> {
  const started = performance.now();
  const users = tool === 'ours' ? await ours(UNLIMITED) : tool === 'peer' ? await peer() : NaN;
  const ms = performance.now() - started;
  process.stdout.write(`${JSON.stringify({ tool, ms, users, maxRssMb: process.resourceUsage().maxRSS / 1024 })}\n`);
}

void main().catch((error: unknown) => {
  process.stderr.write(`${String(error)}\n`);
  process.exit(1);
});
