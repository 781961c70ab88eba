import {
  AdminAddUserToGroupCommand,
  AdminCreateUserCommand,
  AdminDisableUserCommand,
  AdminSetUserPasswordCommand,
  CognitoIdentityProviderClient,
  CreateGroupCommand,
  CreateUserPoolClientCommand,
  CreateUserPoolCommand,
  ListGroupsCommand,
  ListUsersCommand,
  ListUsersInGroupCommand,
  SignUpCommand,
  type UsernameAttributeType,
} from '@aws-sdk/client-cognito-identity-provider';
import { LOCAL_CREDENTIALS } from './servers';

/** A client for a local server: no retries hide a fault unless a test asks for them. */
export function localCognitoClient(endpoint: string, maxAttempts = 1): CognitoIdentityProviderClient {
  return new CognitoIdentityProviderClient({ endpoint, region: 'us-east-1', credentials: LOCAL_CREDENTIALS, maxAttempts });
}

export interface SeedOptions {
  /** Users beyond the fixed set of one user per state. */
  readonly users: number;
  /** Groups and how many of the users each holds (the first n users). */
  readonly groups: readonly { name: string; members: number; precedence?: number }[];
  /** Email as username (the pool's UsernameAttributes). @default plain usernames */
  readonly emailUsernames?: boolean;
}

export interface SeededPool {
  readonly userPoolId: string;
  readonly clientId: string;
  readonly usernames: string[];
}

export const CUSTOM_ATTRIBUTES = ['licence_number', 'jurisdiction'];

/** An empty pool; by default with the seeded pools' settings and custom attributes. */
export async function createPool(
  client: CognitoIdentityProviderClient,
  options: { emailUsernames?: boolean; customAttributes?: readonly string[]; autoVerifiedAttributes?: ('email' | 'phone_number')[] } = {},
): Promise<string> {
  const usernameAttributes: UsernameAttributeType[] = options.emailUsernames ? ['email'] : [];
  const { UserPool } = await client.send(
    new CreateUserPoolCommand({
      PoolName: `pool-${Math.random().toString(36).slice(2, 8)}`,
      UsernameAttributes: usernameAttributes,
      ...(options.autoVerifiedAttributes ? { AutoVerifiedAttributes: options.autoVerifiedAttributes } : {}),
      Schema: (options.customAttributes ?? CUSTOM_ATTRIBUTES).map((name) => ({ Name: name, AttributeDataType: 'String', Mutable: true })),
    }),
  );
  return UserPool!.Id!;
}

/**
 * A pool shaped like a real one: users in every status (CONFIRMED, UNCONFIRMED,
 * FORCE_CHANGE_PASSWORD, one disabled), standard and custom attributes with non-ASCII values,
 * and groups with more than one page of members.
 */
export async function seedPool(client: CognitoIdentityProviderClient, options: SeedOptions): Promise<SeededPool> {
  const userPoolId = await createPool(client, { emailUsernames: options.emailUsernames });
  const { UserPoolClient } = await client.send(new CreateUserPoolClientCommand({ UserPoolId: userPoolId, ClientName: 'app' }));
  const clientId = UserPoolClient!.ClientId!;
  const usernames: string[] = [];
  const nameOf = (i: number): string => (options.emailUsernames ? `user${i}@example.org` : `user-${String(i).padStart(5, '0')}`);

  for (let i = 0; i < options.users; i += 1) {
    const username = nameOf(i);
    await client.send(
      new AdminCreateUserCommand({
        UserPoolId: userPoolId,
        Username: username,
        MessageAction: 'SUPPRESS',
        UserAttributes: [
          { Name: 'email', Value: options.emailUsernames ? username : `${username}@example.org` },
          { Name: 'email_verified', Value: i % 2 === 0 ? 'true' : 'false' },
          { Name: 'given_name', Value: ['Zoë', 'Łukasz', '美咲', 'José', 'Ana'][i % 5] },
          { Name: 'family_name', Value: ['Müller', 'Ødegård', '山田', 'Nuñez', 'Smith'][i % 5] },
          { Name: 'custom:licence_number', Value: `LIC-${i}-ß` },
          { Name: 'custom:jurisdiction', Value: ['oh', 'ky', 'ne'][i % 3] },
        ],
      }),
    );
    usernames.push(username);
    if (i % 3 === 0) {
      // CONFIRMED: an administrator set a permanent password.
      await client.send(new AdminSetUserPasswordCommand({ UserPoolId: userPoolId, Username: username, Password: 'Corr3ct-Horse!', Permanent: true }));
    }
    if (i % 17 === 5) await client.send(new AdminDisableUserCommand({ UserPoolId: userPoolId, Username: username }));
  }
  // UNCONFIRMED: signed up and never confirmed.
  const unconfirmed = options.emailUsernames ? 'signup@example.org' : 'signed-up-only';
  await client.send(
    new SignUpCommand({
      ClientId: clientId,
      Username: unconfirmed,
      Password: 'Corr3ct-Horse!',
      UserAttributes: [{ Name: 'email', Value: options.emailUsernames ? unconfirmed : 'signup@example.org' }, { Name: 'name', Value: 'Søren Kierkegaard' }],
    }),
  );
  usernames.push(unconfirmed);

  for (const [index, group] of options.groups.entries()) {
    await client.send(
      new CreateGroupCommand({
        UserPoolId: userPoolId,
        GroupName: group.name,
        Description: `Group ${group.name} — Ωmega`,
        Precedence: group.precedence ?? index,
        RoleArn: `arn:aws:iam::111111111111:role/${group.name}-role`,
      }),
    );
    for (const username of usernames.slice(0, group.members)) {
      await client.send(new AdminAddUserToGroupCommand({ UserPoolId: userPoolId, GroupName: group.name, Username: username }));
    }
  }
  return { userPoolId, clientId, usernames };
}

/**
 * What the server holds, read straight from cognito-local (not through the proxy: it answers
 * everything in one response).
 */
export async function serverState(client: CognitoIdentityProviderClient, userPoolId: string) {
  const { Users = [] } = await client.send(new ListUsersCommand({ UserPoolId: userPoolId }));
  const { Groups = [] } = await client.send(new ListGroupsCommand({ UserPoolId: userPoolId }));
  const memberships: { group: string; username: string }[] = [];
  for (const group of Groups) {
    const { Users: members = [] } = await client.send(new ListUsersInGroupCommand({ UserPoolId: userPoolId, GroupName: group.GroupName }));
    for (const member of members) memberships.push({ group: group.GroupName!, username: member.Username! });
  }
  return { users: Users, groups: Groups, memberships };
}

/** A client as the exporter gets it in the CLI and Lambda: adaptive retry, generous attempts. */
export function retryingCognitoClient(endpoint: string): CognitoIdentityProviderClient {
  return new CognitoIdentityProviderClient({ endpoint, region: 'us-east-1', credentials: LOCAL_CREDENTIALS, retryMode: 'adaptive', maxAttempts: 10 });
}
