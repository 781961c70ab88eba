import { ListGroupsCommand, ListUsersCommand, ListUsersInGroupCommand, paginateListUsers } from '@aws-sdk/client-cognito-identity-provider';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type CognitoPagingProxy, everyNth, startCognitoPagingProxy } from '../support/cognito-proxy';
import { localCognitoClient, seedPool } from '../support/cognito-seed';
import { type CognitoLocal, startCognitoLocal } from '../support/servers';

describe('the paging and fault-injecting proxy in front of cognito-local', () => {
  let server: CognitoLocal;
  let proxy: CognitoPagingProxy;
  let userPoolId: string;

  beforeAll(async () => {
    server = await startCognitoLocal();
    proxy = await startCognitoPagingProxy(server.endpoint);
    ({ userPoolId } = await seedPool(localCognitoClient(server.endpoint), { users: 130, groups: [{ name: 'big', members: 125 }] }));
  });
  afterAll(async () => {
    await proxy?.stop();
    await server?.stop();
  });

  it('cognito-local itself ignores Limit: the reason the proxy exists', async () => {
    const direct = await localCognitoClient(server.endpoint).send(new ListUsersCommand({ UserPoolId: userPoolId, Limit: 10 }));
    expect(direct.Users).toHaveLength(131);
    expect(direct.PaginationToken).toBeUndefined();
  });

  it('answers ListUsers in pages of at most 60 with a token, and the pages add up to every user once', async () => {
    const client = localCognitoClient(proxy.endpoint);
    const first = await client.send(new ListUsersCommand({ UserPoolId: userPoolId }));
    expect(first.Users).toHaveLength(60);
    expect(first.PaginationToken).toBeTruthy();
    const seen: string[] = [];
    for await (const page of paginateListUsers({ client, pageSize: 25 }, { UserPoolId: userPoolId })) {
      expect(page.Users!.length).toBeLessThanOrEqual(25);
      seen.push(...page.Users!.map((u) => u.Username!));
    }
    expect(seen).toHaveLength(131);
    expect(new Set(seen).size).toBe(131);
  });

  it('pages ListUsersInGroup and ListGroups with NextToken', async () => {
    const client = localCognitoClient(proxy.endpoint);
    const page = await client.send(new ListUsersInGroupCommand({ UserPoolId: userPoolId, GroupName: 'big', Limit: 60 }));
    expect(page.Users).toHaveLength(60);
    const rest = await client.send(new ListUsersInGroupCommand({ UserPoolId: userPoolId, GroupName: 'big', Limit: 60, NextToken: page.NextToken }));
    const last = await client.send(new ListUsersInGroupCommand({ UserPoolId: userPoolId, GroupName: 'big', Limit: 60, NextToken: rest.NextToken }));
    expect([rest.Users!.length, last.Users!.length, last.NextToken]).toEqual([60, 5, undefined]);
    const groups = await client.send(new ListGroupsCommand({ UserPoolId: userPoolId, Limit: 1 }));
    expect(groups.Groups).toHaveLength(1);
    expect(groups.NextToken).toBeUndefined();
  });

  it('refuses a Limit above 60 and a token from another query, as Cognito does', async () => {
    const client = localCognitoClient(proxy.endpoint);
    await expect(client.send(new ListUsersCommand({ UserPoolId: userPoolId, Limit: 61 }))).rejects.toMatchObject({ name: 'InvalidParameterException' });
    const page = await client.send(new ListUsersCommand({ UserPoolId: userPoolId, Limit: 10 }));
    await expect(
      client.send(new ListUsersCommand({ UserPoolId: userPoolId, Limit: 10, Filter: 'sub ^= "a"', PaginationToken: page.PaginationToken })),
    ).rejects.toMatchObject({ name: 'InvalidParameterException', message: 'Invalid pagination token.' });
  });

  it('injects TooManyRequestsException and 5xx on the planned calls, and counts every call', async () => {
    const client = localCognitoClient(proxy.endpoint);
    proxy.resetCounts();
    proxy.setFaults(({ index }) => (index === 2 ? 'throttle' : index === 3 ? 'server-error' : undefined));
    try {
      await expect(client.send(new ListUsersCommand({ UserPoolId: userPoolId, Limit: 1 }))).resolves.toBeTruthy();
      await expect(client.send(new ListUsersCommand({ UserPoolId: userPoolId, Limit: 1 }))).rejects.toMatchObject({
        name: 'TooManyRequestsException',
        $metadata: { httpStatusCode: 400 },
      });
      await expect(client.send(new ListUsersCommand({ UserPoolId: userPoolId, Limit: 1 }))).rejects.toMatchObject({ $metadata: { httpStatusCode: 500 } });
      expect(proxy.callCount('ListUsers')).toBe(3);
      expect(proxy.faults.get('ListUsers')).toBe(2);
    } finally {
      proxy.setFaults(undefined);
    }
  });

  it('an SDK client with retries gets through every other call failing', async () => {
    const client = localCognitoClient(proxy.endpoint, 4);
    proxy.resetCounts();
    proxy.setFaults(everyNth(2, 'throttle'));
    try {
      const page = await client.send(new ListUsersCommand({ UserPoolId: userPoolId, Limit: 5 }));
      expect(page.Users).toHaveLength(5);
    } finally {
      proxy.setFaults(undefined);
    }
  });
});
