/** compose.users.yaml carries the instructor's workflows folder into the relay, only when given. */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { composeUsersDocument } from './compose-users';

const template = {
  image: 'comfyume/attendee:local',
  environment: { RELAY_URL: 'http://relay:3000' },
};

describe('composeUsersDocument', () => {
  it('mounts --workflows read-only into the relay and points WORKSHOP_WORKFLOWS_DIR at it', async () => {
    const root = await mkdtemp(join(tmpdir(), 'comfyume-compose-users-'));
    try {
      const doc = composeUsersDocument(template, {
        userIds: ['user001'],
        dockerDir: join(root, 'repo/docker'),
        outDir: join(root, 'repo/data/users'),
        workflowsDir: join(root, 'class/workflows'),
      }) as { services: Record<string, { volumes?: string[]; environment?: object }> };
      expect(doc.services.relay).toEqual({
        environment: { WORKSHOP_WORKFLOWS_DIR: '/workshop/workflows' },
        volumes: ['../../class/workflows:/workshop/workflows:ro'],
      });
      const without = composeUsersDocument(template, {
        userIds: ['user001'],
        dockerDir: join(root, 'repo/docker'),
        outDir: join(root, 'repo/data/users'),
      }) as { services: Record<string, unknown> };
      expect(without.services.relay).toBeUndefined();
    } finally {
      await rm(root, { recursive: true, force: true });
    }
  });
});
