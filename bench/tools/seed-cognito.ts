import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { CreateGroupCommand, CreateUserPoolCommand } from '@aws-sdk/client-cognito-identity-provider';
import { localCognitoClient } from '../../test/support/cognito-seed';
import { startCognitoLocal } from '../../test/support/servers';

/** A pool of `users` users in `groups` groups (two memberships each), written straight into cognito-local's store: its API rewrites the whole store on every call. */
export async function seedCognitoStore(users: number, groups: number): Promise<{ dataDir: string; pool: string; memberships: number }> {
  const server = await startCognitoLocal();
  const client = localCognitoClient(server.endpoint);
  const pool = (await client.send(new CreateUserPoolCommand({ PoolName: 'bench', Schema: [{ Name: 'licence', AttributeDataType: 'String', Mutable: true }] }))).UserPool!.Id!;
  for (let g = 0; g < groups; g += 1) await client.send(new CreateGroupCommand({ UserPoolId: pool, GroupName: `group-${g}`, Precedence: g }));
  await server.stop();
  const file = join(server.dataDir, '.cognito', 'db', `${pool}.json`);
  const store = JSON.parse(readFileSync(file, 'utf8')) as { Users: Record<string, unknown>; Groups: Record<string, { members?: string[] }> };
  const now = new Date().toISOString();
  let memberships = 0;
  for (let i = 0; i < users; i += 1) {
    const username = `user-${String(i).padStart(6, '0')}`;
    const sub = `${(i * 2654435761 % 2 ** 32).toString(16).padStart(8, '0')}-${String(i % 10000).padStart(4, '0')}-4000-8000-${String(i).padStart(12, '0')}`;
    store.Users[username] = {
      Username: username,
      Password: 'x',
      Attributes: [
        { Name: 'sub', Value: sub },
        { Name: 'email', Value: `${username}@example.org` },
        { Name: 'email_verified', Value: 'true' },
        { Name: 'given_name', Value: ['Zoë', 'Łukasz', '美咲'][i % 3] },
        { Name: 'custom:licence', Value: `LIC-${i}` },
      ],
      Enabled: i % 50 !== 0,
      UserStatus: i % 3 === 0 ? 'FORCE_CHANGE_PASSWORD' : 'CONFIRMED',
      UserCreateDate: now,
      UserLastModifiedDate: now,
      RefreshTokens: [],
    };
    for (const g of new Set([i % groups, (i * 7 + 3) % groups])) {
      (store.Groups[`group-${g}`].members ??= []).push(username);
      memberships += 1;
    }
  }
  writeFileSync(file, JSON.stringify(store));
  return { dataDir: server.dataDir, pool, memberships };
}

