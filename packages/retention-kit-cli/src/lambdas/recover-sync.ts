/**
 * The recovery state machine's sync function: the sync passes and the checksum of the repaired
 * table in slices that hand over before the function's time runs out, and the verification, over
 * the same runtime code as `retention recover dynamodb`. It may read the restored copy and read,
 * write and delete items of its one live table; it cannot restore, back up or delete tables.
 */
import { Logger } from '@aws-lambda-powertools/logger';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { Context } from 'aws-lambda';
import { RECOVER_SYNC_STEPS } from 'retention-kit/policy';
import { clientSettings } from '../runtime/clients';
import { runSlice, type SegmentTask } from '../runtime/dynamodb/hydrate-steps';
import { verifyRecovery } from '../runtime/dynamodb/recover-steps';
import type { SegmentPosition } from '../runtime/dynamodb/segment-copy';

const logger = new Logger({ serviceName: 'recover-sync' });
const client = new DynamoDBClient(clientSettings());

export type RecoverSyncEvent =
  | { step: 'sync' | 'checksum'; task: SegmentTask }
  | { step: 'verify'; source: string; target: string; synced: { pass: string; position: SegmentPosition }[]; readBack: { position: SegmentPosition }[] };

export const handler = async (input: unknown, context: Pick<Context, 'getRemainingTimeInMillis'>) => {
  const event = RECOVER_SYNC_STEPS.check<RecoverSyncEvent>(input);
  if (event.step === 'verify') {
    const verdict = verifyRecovery(event.synced, event.readBack, { source: event.source, target: event.target });
    (verdict.verified ? logger.info.bind(logger) : logger.error.bind(logger))('recovery verified', { ...verdict });
    return verdict;
  }
  const result = await runSlice(client, event.task, () => context.getRemainingTimeInMillis(), { readOnly: event.step === 'checksum' });
  logger.info('slice', { step: event.step, pass: event.task.pass, segment: event.task.segment, items: result.position.items, changes: result.position.changes, done: result.done });
  return result;
};
