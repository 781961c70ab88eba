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

  /** Waits for a token. Calls are served in order. */
  acquire(): Promise<void> {
    const turn = this.queue.then(() => this.take());
    this.queue = turn;
    return turn;
  }

  private async take(): Promise<void> {
    for (;;) {
      const now = this.clock();
      this.tokens = Math.min(this.burst, this.tokens + ((now - this.last) / 1000) * this.ratePerSecond);
      this.last = now;
      if (this.tokens >= 1) {
        this.tokens -= 1;
        return;
      }
      await new Promise((resolve) => setTimeout(resolve, ((1 - this.tokens) / this.ratePerSecond) * 1000));
    }
  }
}
