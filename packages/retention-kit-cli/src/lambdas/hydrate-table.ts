/**
 * The hydration state machine's worker: a few lines over src/runtime/dynamodb/hydrate-steps.ts,
 * the same code `retention hydrate dynamodb` runs. One function, four steps, chosen by `step`.
 */
import { Logger } from '@aws-lambda-powertools/logger';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { Context } from 'aws-lambda';
import { HYDRATE_TABLE_STEPS } from 'retention-kit/policy';
import { clientSettings } from '../runtime/clients';
import { type HydrationJob, planHydration, runSlice, type SegmentTask, type SliceResult, verifyHydration } from '../runtime/dynamodb/hydrate-steps';

const logger = new Logger({ serviceName: 'hydrate-table' });
const client = new DynamoDBClient(clientSettings());

export type HydrateTableEvent =
  | { step: 'plan'; job: HydrationJob }
  | { step: 'copy' | 'checksum'; task: SegmentTask }
  | { step: 'verify'; source: string; target: string; copied: Pick<SliceResult, 'position'>[]; readBack: Pick<SliceResult, 'position'>[] };

export const handler = async (input: unknown, context: Pick<Context, 'getRemainingTimeInMillis'>) => {
  const event = HYDRATE_TABLE_STEPS.check<HydrateTableEvent>(input);
  switch (event.step) {
    case 'plan':
      return planHydration(client, event.job);
    case 'copy':
    case 'checksum': {
      const result = await runSlice(client, event.task, () => context.getRemainingTimeInMillis(), { readOnly: event.step === 'checksum' });
      logger.info('slice', { step: event.step, segment: event.task.segment, items: result.position.items, done: result.done });
      return result;
    }
    case 'verify': {
      const verdict = verifyHydration(event.copied, event.readBack, { source: event.source, target: event.target });
      (verdict.verified ? logger.info.bind(logger) : logger.error.bind(logger))('hydration verified', { ...verdict });
      return verdict;
    }
  }
};
