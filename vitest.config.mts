import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // Synthesizing CDK apps takes seconds; these limits catch hangs, not slowness.
    testTimeout: 120_000,
    hookTimeout: 120_000,
    pool: 'forks',
    // s3rver encrypts ListObjectsV2 continuation tokens with DES, which Node's OpenSSL 3 keeps in
    // its legacy provider; without it any listing past 1,000 keys fails inside s3rver.
    execArgv: ['--openssl-legacy-provider'],
    reporters: ['default', './test/support/summary-reporter.ts'],
  },
});
