import { defineConfig } from 'vitest/config';

/**
 * Four projects, by what a test needs (README, "Testing"):
 * - unit: nothing but this process; no subprocess, no server outside it. Seconds.
 * - cdk: CDK synth, cdk-nag, cfn-lint and the other offline tools run as subprocesses
 *   (kubectl kustomize, kubernetes-validate, docker-compose, java, the CLIs); no server.
 * - storage: S3 and DynamoDB only, on the project's own MinIO and moto (test/storage/global-setup.ts)
 *   on private ports, so it runs beside a running local stack.
 * - integration: the whole local stack, one file at a time.
 */
export default defineConfig({
  test: {
    projects: [
      {
        extends: true,
        test: {
          name: 'unit',
          include: ['test/unit/**/*.test.ts'],
          // One module graph per worker for all unit files: importing the layers again per file was
          // most of the project's time. A unit test therefore leaves no global state behind.
          isolate: false,
          testTimeout: 10_000,
        },
      },
      {
        extends: true,
        test: {
          name: 'cdk',
          include: ['test/cdk/**/*.test.ts', 'test/tools/**/*.test.ts'],
          testTimeout: 120_000,
        },
      },
      {
        extends: true,
        test: {
          name: 'storage',
          include: ['test/storage/**/*.test.ts'],
          globalSetup: ['test/storage/global-setup.ts'],
          setupFiles: ['test/storage/environment.ts'],
          testTimeout: 120_000,
          hookTimeout: 120_000,
        },
      },
      {
        extends: true,
        test: {
          name: 'integration',
          include: ['test/integration/**/*.test.ts'],
          globalSetup: ['test/integration/global-setup.ts'],
          fileParallelism: false,
          testTimeout: 600_000,
          hookTimeout: 600_000,
        },
      },
    ],
  },
});
