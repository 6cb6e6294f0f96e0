/** Client-chosen prompt ids: relay job ids never show above the relay client, in either direction. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { afterAll, describe, expect, it } from 'vitest';
import {
  decodeBinaryFrame,
  encodePreviewWithMetadata,
} from '../../../protocol/src/comfy/ws-binary';
import type { JobView } from '../../../protocol/src/relay/job';
import { openStateStore } from '../state/state-store';
import { createPromptIds } from './prompt-ids';

const dir = mkdtempSync(join(tmpdir(), 'prompt-ids-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const jobId = '11111111-2222-4333-8444-555555555555';
const job = {
  id: jobId,
  promptId: 'my-job',
  statusMessages: [['execution_start', { prompt_id: jobId, timestamp: 1 }]],
} as unknown as JobView;

describe('prompt ids', () => {
  it('views, events and previews carry the client name; the name leads back to the job; it survives a restart', async () => {
    const state = openStateStore(dir, pino({ level: 'silent' }));
    const ids = createPromptIds(state);
    const seen = ids.view(job);
    expect(seen.id).toBe('my-job');
    expect(seen.statusMessages[0]![1].prompt_id).toBe('my-job');
    expect(ids.jobIdFor('my-job')).toBe(jobId);
    expect(ids.jobIdFor('not-known')).toBe('not-known');
    const event = ids.event({
      id: '1-0',
      type: 'comfy',
      jobId,
      clientId: 'c',
      message: { type: 'executing', data: { node: '1', prompt_id: jobId } },
    });
    expect(event).toMatchObject({ jobId: 'my-job', message: { data: { prompt_id: 'my-job' } } });
    const frame = encodePreviewWithMetadata(new Uint8Array([0xff, 0xd8, 0xff]), {
      node_id: '3',
      prompt_id: jobId,
      display_node_id: '3',
      parent_node_id: null,
      real_node_id: '3',
    });
    const decoded = decodeBinaryFrame(ids.preview(frame));
    expect(decoded.kind === 'preview_with_metadata' && decoded.meta.prompt_id).toBe('my-job');
    // A minted id (no promptId) passes untouched.
    const plain = { ...job, id: '99999999-2222-4333-8444-555555555555', promptId: undefined };
    expect(ids.view(plain)).toBe(plain);
    await state.close();
    const again = createPromptIds(openStateStore(dir, pino({ level: 'silent' })));
    expect(again.jobIdFor('my-job')).toBe(jobId);
    expect(again.clientFacing(jobId)).toBe('my-job');
  });
});
