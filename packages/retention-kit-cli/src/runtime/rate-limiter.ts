/**
 * A token bucket: `acquire()` resolves when a request may be sent without exceeding `ratePerSecond`
 * (bursts up to `burst`). Callers share one limiter per quota, so parallel streams together stay
 * within it. Written here rather than taken from a library because the popular limiters are
 * unmaintained and this is the whole of what is needed.
 */
export class RateLimiter {
  private tokens: number;
  private last: number;
  private queue: Promise<void> = Promise.resolve();

  constructor(
    readonly ratePerSecond: number,
    private readonly burst = Math.max(1, Math.floor(ratePerSecond)),
    private readonly clock: () => number = () => performance.now(),
  ) {
    if (!(ratePerSecond > 0)) throw new Error(`rate must be a positive number of requests per second, got ${ratePerSecond}`);
    this.tokens = this.burst;
    this.last = this.clock();
  }

  /**
   * Waits for `cost` tokens (a write of several capacity units costs several). Calls are served
   * in order. A cost above the burst waits for a full bucket and leaves it in debt, so the average
   * rate still holds.
   */
  acquire(cost = 1): Promise<void> {
    const turn = this.queue.then(() => this.take(cost));
    this.queue = turn;
    return turn;
  }

  private async take(cost: number): Promise<void> {
    const needed = Math.min(cost, this.burst);
    for (;;) {
      const now = this.clock();
      this.tokens = Math.min(this.burst, this.tokens + ((now - this.last) / 1000) * this.ratePerSecond);
      this.last = now;
      if (this.tokens >= needed) {
        this.tokens -= cost;
        return;
      }
      await new Promise((resolve) => setTimeout(resolve, ((needed - this.tokens) / this.ratePerSecond) * 1000));
    }
  }
}
