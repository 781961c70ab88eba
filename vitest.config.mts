import { availableParallelism } from 'node:os';
import { resolve } from 'node:path';
import { defineConfig } from 'vitest/config';

const source = (path: string) => resolve(import.meta.dirname, path);

export default defineConfig({
  resolve: {
    // Tests, and the apps they synthesize, import the packages by name, as users do; here the names
    // point at the source, so one test run covers a change without a rebuild. The consumer test
    // covers the packed build, and the handler tests run the built bundles.
    alias: [
      { find: /^retention-kit\/policy$/, replacement: source('packages/retention-kit/src/policy/index.ts') },
      { find: /^retention-kit$/, replacement: source('packages/retention-kit/src/index.ts') },
      { find: /^retention-kit-cli$/, replacement: source('packages/retention-kit-cli/src/index.ts') },
    ],
  },
  test: {
    include: ['test/**/*.test.ts'],
    // Synthesizing CDK apps takes seconds; these limits catch hangs, not slowness.
    testTimeout: 120_000,
    hookTimeout: 120_000,
    pool: 'forks',
    // Vitest leaves one core to itself by default; the test files wait on their local servers and
    // child processes much of the time, so one worker per core finishes sooner.
    maxWorkers: Math.max(2, availableParallelism()),
    // s3rver encrypts ListObjectsV2 continuation tokens with DES, which Node's OpenSSL 3 keeps in
    // its legacy provider; without it any listing past 1,000 keys fails inside s3rver.
    execArgv: ['--openssl-legacy-provider'],
    reporters: ['default', './test/support/summary-reporter.ts'],
  },
});
