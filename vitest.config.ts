// One vitest config, six projects: unit tests sit next to their code; test/ holds cross-process suites.
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    reporters: ['default'],
    // Tests never read the developer's <checkout>/.env: every `comfyume` child gets an empty home.
    env: { COMFYUME_HOME: join(tmpdir(), 'comfyume-test-home-unused') },
    projects: [
      {
        extends: true,
        test: {
          name: 'unit',
          include: ['{protocol,kit,simulator,relay,sidecar,cli}/**/*.test.ts'],
          environment: 'node',
          testTimeout: 20_000,
        },
      },
      {
        extends: true,
        test: {
          name: 'extensions',
          include: ['extensions/**/*.test.ts'],
          environment: 'happy-dom',
        },
      },
      {
        extends: true,
        test: {
          // The dashboard's pure state and api modules run in Node, as the relay's tests did.
          name: 'admin-ui',
          include: ['admin-ui/**/*.test.ts'],
          environment: 'node',
        },
      },
      {
        extends: true,
        test: {
          name: 'ui-kit',
          include: ['ui-kit/**/*.test.ts'],
          environment: 'happy-dom',
        },
      },
      {
        extends: true,
        test: {
          name: 'integration',
          include: ['test/integration/**/*.test.ts'],
          environment: 'node',
          testTimeout: 120_000,
          hookTimeout: 60_000,
        },
      },
      {
        extends: true,
        test: {
          name: 'e2e',
          include: ['test/e2e/**/*.test.ts'],
          environment: 'node',
          testTimeout: 180_000,
          hookTimeout: 120_000,
          fileParallelism: false,
        },
      },
    ],
  },
});
