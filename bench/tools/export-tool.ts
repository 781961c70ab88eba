/**
 * One export, measured in its own process (so peak memory is that tool's alone). Prints one JSON
 * line: wall time, peak RSS, users written.
 *   tsx bench/tools/export-tool.ts <ours|ours-quota|peer|ours-synthetic> <endpoint|users> <poolId> <outDir>
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { CognitoIdentityProviderClient } from '@aws-sdk/client-cognito-identity-provider';
import AWS from 'aws-sdk';
import { backupUsers } from 'cognito-backup-restore';
import { limitToQuotas, runExportJob, FolderStore } from 'retention-kit-cli';

const [tool, target, poolId, outDir] = process.argv.slice(2);
const credentials = { accessKeyId: 'local', secretAccessKey: 'local' };
const UNLIMITED = { UserList: 100_000, UserPoolRead: 100_000, UserPoolResourceRead: 100_000 };

async function ours(rates?: Record<string, number>): Promise<number> {
  const client = new CognitoIdentityProviderClient({ endpoint: target, region: 'us-east-1', credentials, retryMode: 'adaptive', maxAttempts: 10 });
  limitToQuotas(client, rates);
  const result = await runExportJob({ client, store: new FolderStore(outDir), userPoolIds: [poolId] });
  return result.exported[0].manifest.counts.users;
}

async function peer(): Promise<number> {
  const cognito = new AWS.CognitoIdentityServiceProvider({ endpoint: target, region: 'us-east-1', credentials });
  await backupUsers(cognito, poolId, outDir);
  // Its file stream may still be flushing when the promise resolves.
  await new Promise((resolve) => setTimeout(resolve, 200));
  return (JSON.parse(readFileSync(join(outDir, `${poolId}.json`), 'utf8')) as unknown[]).length;
}

/**
 * Memory only: Cognito pages made up in process (no server here can hold a pool this large). A
 * middleware answers each call before it is sent, so nothing but the exporter holds memory.
 */
async function synthetic(): Promise<number> {
  const users = Number(target);
  const client = new CognitoIdentityProviderClient({ region: 'us-east-1', credentials });
  const page = (token: string | undefined, limit = 60) => {
    const offset = Number(token ?? 0);
    const Users = Array.from({ length: Math.max(0, Math.min(limit, users - offset)) }, (_, i) => ({
      Username: `user-${offset + i}`,
      Attributes: [{ Name: 'sub', Value: `${(offset + i).toString(16).padStart(8, '0')}-0000-4000-8000-000000000000` }, { Name: 'email', Value: `user-${offset + i}@example.org` }, { Name: 'given_name', Value: 'Zoë' }],
      UserStatus: 'CONFIRMED',
      Enabled: true,
      UserCreateDate: new Date(0),
      UserLastModifiedDate: new Date(0),
    }));
    return { Users, PaginationToken: offset + limit < users ? String(offset + limit) : undefined };
  };
  client.middlewareStack.add(
    (_next, context) => async (args) => {
      const input = args.input as { PaginationToken?: string; Limit?: number };
      const answers: Record<string, () => unknown> = {
        DescribeUserPoolCommand: () => ({ UserPool: { Id: poolId, EstimatedNumberOfUsers: users } }),
        GetUserPoolMfaConfigCommand: () => ({ MfaConfiguration: 'OFF' }),
        ListGroupsCommand: () => ({ Groups: [] }),
        ListUsersCommand: () => page(input.PaginationToken, input.Limit),
      };
      return { output: { $metadata: {}, ...(answers[String(context.commandName)]() as object) }, response: {} };
    },
    { step: 'initialize', name: 'syntheticCognito', priority: 'low' },
  );
  limitToQuotas(client, UNLIMITED);
  const result = await runExportJob({ client, store: new FolderStore(outDir), userPoolIds: [poolId], segmentUsers: false });
  return result.exported[0].manifest.counts.users;
}

async function main(): Promise<void> {
  const started = performance.now();
  const users =
    tool === 'ours' ? await ours(UNLIMITED) : tool === 'ours-quota' ? await ours() : tool === 'peer' ? await peer() : tool === 'ours-synthetic' ? await synthetic() : NaN;
  const ms = performance.now() - started;
  process.stdout.write(`${JSON.stringify({ tool, ms, users, maxRssMb: process.resourceUsage().maxRSS / 1024 })}\n`);
}

void main();
