import { AdminCreateUserCommand, CognitoIdentityProviderClient, ListUsersCommand } from '@aws-sdk/client-cognito-identity-provider';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, describe, expect, it } from 'vitest';
import { sendInvitations } from '../../../packages/retention-kit-cli/src/runtime/cognito/invitations';
import { FolderStore } from '../../../packages/retention-kit-cli/src/runtime/store';
import { tempDir } from '../../support/apps';

const cognito = mockClient(CognitoIdentityProviderClient);
const POOL = 'us-east-1_restored';
const user = (Username: string, attributes: Record<string, string>, Enabled = true) => ({
  Username,
  Enabled,
  UserStatus: 'FORCE_CHANGE_PASSWORD' as const,
  Attributes: Object.entries(attributes).map(([Name, Value]) => ({ Name, Value })),
});

afterEach(() => cognito.reset());

describe('invitations after a restore (Cognito mocked with aws-sdk-client-mock: cognito-local does not support MessageAction RESEND)', () => {
  it('resends the invitation to enabled FORCE_CHANGE_PASSWORD users, by email or else SMS; a re-run does not invite them again', async () => {
    cognito.on(ListUsersCommand).resolves({
      Users: [user('ana', { email: 'ana@example.org' }), user('bo', { phone_number: '+12345550100' }), user('cy', { email: 'cy@example.org' }, false), user('di', {})],
    });
    cognito.on(AdminCreateUserCommand).resolves({});
    const state = new FolderStore(tempDir('invites-'));
    const client = new CognitoIdentityProviderClient({ region: 'us-east-1' });
    const first = await sendInvitations({ client, userPoolId: POOL, state });
    expect(first).toEqual({ sent: 2, alreadyInvited: 0, disabled: 1, failed: [{ username: 'di', reason: 'no email or phone number to send an invitation to' }] });
    expect(cognito.commandCalls(ListUsersCommand)[0].args[0].input).toMatchObject({ Filter: 'cognito:user_status = "FORCE_CHANGE_PASSWORD"', Limit: 60 });
    expect(cognito.commandCalls(AdminCreateUserCommand).map((call) => call.args[0].input)).toEqual([
      { UserPoolId: POOL, Username: 'ana', MessageAction: 'RESEND', DesiredDeliveryMediums: ['EMAIL'] },
      { UserPoolId: POOL, Username: 'bo', MessageAction: 'RESEND', DesiredDeliveryMediums: ['SMS'] },
    ]);

    const second = await sendInvitations({ client, userPoolId: POOL, state });
    expect(second).toMatchObject({ sent: 0, alreadyInvited: 2 });
    expect(cognito.commandCalls(AdminCreateUserCommand)).toHaveLength(2);
    const forced = await sendInvitations({ client, userPoolId: POOL, state, again: true });
    expect(forced.sent).toBe(2);
  });

  it('a dry run sends nothing and records nothing', async () => {
    cognito.on(ListUsersCommand).resolves({ Users: [user('ana', { email: 'ana@example.org' })] });
    const state = new FolderStore(tempDir('invites-'));
    const result = await sendInvitations({ client: new CognitoIdentityProviderClient({ region: 'us-east-1' }), userPoolId: POOL, state, dryRun: true });
    expect(result.sent).toBe(1);
    expect(cognito.commandCalls(AdminCreateUserCommand)).toHaveLength(0);
    expect(await state.list('')).toEqual([]);
  });
});
