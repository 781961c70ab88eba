/**
 * The bucket hydration state machine's worker: a few lines over src/runtime/s3/hydrate-batches.ts.
 * Called by the Distributed Map with a batch of listed objects; `step` says copy or verify.
 */
import { Logger } from '@aws-lambda-powertools/logger';
import { S3Client } from '@aws-sdk/client-s3';
import { HYDRATE_BUCKET_STEPS } from 'retention-kit/policy';
import { clientSettings } from '../runtime/clients';
import { type BucketBatch, copyBatch, type ItemReaderObject, verifyBatch } from '../runtime/s3/hydrate-batches';

const logger = new Logger({ serviceName: 'hydrate-bucket' });
const client = new S3Client(clientSettings());

export interface HydrateBucketEvent {
  readonly step: 'copy' | 'verify';
  readonly batch: BucketBatch;
  readonly items: ItemReaderObject[];
}

export const handler = async (input: unknown) => {
  const event = HYDRATE_BUCKET_STEPS.check<HydrateBucketEvent>(input);
  const result = event.step === 'copy' ? await copyBatch(client, event.batch, event.items) : await verifyBatch(client, event.batch, event.items);
  logger.info('batch', { step: event.step, objects: event.items.length, ...result });
  return result;
};
