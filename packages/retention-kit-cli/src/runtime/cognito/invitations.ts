/**
 * Tells restored users they can sign in: for every enabled user still in FORCE_CHANGE_PASSWORD,
 * AdminCreateUser with MessageAction RESEND, which sends the pool's invitation message with a new
 * temporary password (by email when the user has one, else by SMS). Each invitation replaces the
 * previous temporary password, so users already invited (recorded in the state store after each
 * page) are not sent another unless asked.
 */
import { AdminCreateUserCommand, type CognitoIdentityProviderClient, type DeliveryMediumType, paginateListUsers } from '@aws-sdk/client-cognito-identity-provider';
import type { ObjectStore } from '../store';
import { limitToQuotas, type QuotaOverrides } from './client';
import { joinKey } from './export-format';
import { attributesOf } from './restore-model';

export interface InvitationOptions {
  readonly client: CognitoIdentityProviderClient;
  readonly userPoolId: string;
  /** Records who was invited, so that a re-run does not invalidate their temporary passwords. */
  readonly state: ObjectStore;
  /** Invite again users an earlier run invited. @default false */
  readonly again?: boolean;
  /** Count only; send nothing. @default false */
  readonly dryRun?: boolean;
  readonly rates?: QuotaOverrides;
  readonly onProgress?: (sent: number) => void;
}

export interface InvitationResult {
  sent: number;
  alreadyInvited: number;
  disabled: number;
  failed: { username: string; reason: string }[];
}

export async function sendInvitations(options: InvitationOptions): Promise<InvitationResult> {
  const { client, userPoolId, state } = options;
  limitToQuotas(client, options.rates);
  const key = joinKey(userPoolId, 'invited.json');
  const invited = new Set<string>(options.again ? [] : (JSON.parse((await state.get(key))?.toString('utf8') ?? '[]') as string[]));
  const result: InvitationResult = { sent: 0, alreadyInvited: 0, disabled: 0, failed: [] };
  const pages = paginateListUsers({ client, pageSize: 60 }, { UserPoolId: userPoolId, Filter: 'cognito:user_status = "FORCE_CHANGE_PASSWORD"' });
  for await (const page of pages) {
    for (const user of page.Users ?? []) {
      const username = user.Username ?? '';
      if (user.Enabled === false) {
        result.disabled += 1;
        continue;
      }
      if (invited.has(username)) {
        result.alreadyInvited += 1;
        continue;
      }
      const attributes = attributesOf(user.Attributes);
      const mediums: DeliveryMediumType[] = attributes.email ? ['EMAIL'] : attributes.phone_number ? ['SMS'] : [];
      if (mediums.length === 0) {
        result.failed.push({ username, reason: 'no email or phone number to send an invitation to' });
        continue;
      }
      if (options.dryRun) {
        result.sent += 1;
        continue;
      }
      try {
        await client.send(new AdminCreateUserCommand({ UserPoolId: userPoolId, Username: username, MessageAction: 'RESEND', DesiredDeliveryMediums: mediums }));
        invited.add(username);
        result.sent += 1;
        options.onProgress?.(result.sent);
      } catch (error) {
        result.failed.push({ username, reason: `${(error as Error).name}: ${(error as Error).message}` });
      }
    }
    if (!options.dryRun) await state.put(key, Buffer.from(JSON.stringify([...invited])), 'application/json');
  }
  return result;
}
