/**
 * Saves a job's checkpoint to an object store as often as its state changes, but never two saves
 * at once: a request made while a save runs is folded into one save that starts after it and
 * writes the state as it is then. Parallel workers can ask after every page without queueing a
 * write per page.
 */
import type { ObjectStore } from './store';

export class CheckpointWriter<State> {
  private running: Promise<void> = Promise.resolve();
  private queued: Promise<void> | undefined;

  constructor(
    private readonly store: ObjectStore,
    private readonly key: string,
    private readonly snapshot: () => State,
  ) {}

  /** Resolves once a save that includes every change made before this call has finished. */
  save(): Promise<void> {
    if (this.queued) return this.queued;
    const queued = this.running.then(async () => {
      this.queued = undefined;
      await this.store.put(this.key, Buffer.from(JSON.stringify(this.snapshot(), null, 1)), 'application/json');
    });
    this.queued = queued;
    this.running = queued.catch(() => undefined);
    return queued;
  }

  /** The saved state, if any. */
  static async load<State>(store: ObjectStore, key: string): Promise<State | undefined> {
    const body = await store.get(key);
    return body ? (JSON.parse(body.toString('utf8')) as State) : undefined;
  }
}

/**
 * Ends a checkpointed run: writes its report (`<folder>/report.json`) and removes the checkpoint,
 * unless verification found a mismatch; then the checkpoint stays with the report as evidence.
 */
export async function finishRun(store: ObjectStore, folder: string, report: object, verified: boolean | undefined): Promise<void> {
  await store.put(`${folder}/report.json`, Buffer.from(JSON.stringify({ ...report, finishedAt: new Date().toISOString() }, null, 2)), 'application/json');
  if (verified !== false) await store.delete(`${folder}/checkpoint.json`);
}
