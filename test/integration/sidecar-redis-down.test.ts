/**
 * The relay is up but its Redis is not: Queue Prompt answers ComfyUI's error shape with a message
 * that tells the attendee to simply queue again (not "the service is unreachable"), and once Redis
 * returns the same sidecar queues and finishes a prompt without any restart.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  postRun,
  recordedRunBody,
  startStack,
  TabSocket,
  type Attendee,
  type Stack,
} from '../support/sidecar-stack';
import { eventually } from '../../kit/until';

const body = recordedRunBody;

let stack: Stack;
let alice: Attendee;

beforeAll(async () => {
  stack = await startStack();
  alice = await stack.attendee('user001');
});
afterAll(async () => {
  await stack?.redis.up();
  await stack?.close();
});

const post = (prompt: unknown, clientId: string) => postRun(alice.url, prompt, clientId);

describe('relay up, Redis down', () => {
  it('tells the attendee to queue again in a moment, and queues again once Redis is back', async () => {
    const tab = await TabSocket.open(alice.url);
    const ok = await post(body.prompt, tab.sid);
    expect(ok.status).toBe(200);
    await tab.untilEnd(String(ok.json.prompt_id));

    await stack.redis.down();
    await eventually(
      async () => ((await fetch(`${stack.relayUrl}/health`)).status === 503 ? true : undefined),
      10_000,
      'relay sees Redis down',
    );
    const prompt = structuredClone(body.prompt) as Record<
      string,
      { inputs: Record<string, unknown> }
    >;
    prompt['1']!.inputs.color = 4242;
    const refused = await post(prompt, tab.sid);
    expect(refused.status).toBe(503);
    expect(refused.json).toEqual({
      error: {
        type: 'redis_unavailable',
        message:
          'The GPU queue cannot store jobs for a moment (its database is restarting), so this prompt was not queued. ' +
          'Nothing queued before is lost; press Queue Prompt again in a few seconds.',
        details: '',
        extra_info: {},
      },
      node_errors: {},
    });

    await stack.redis.up();
    const again = await eventually(
      async () => {
        const r = await post(prompt, tab.sid);
        return r.status === 200 ? r : undefined;
      },
      30_000,
      'queued again after Redis returned',
    );
    await tab.untilEnd(String(again.json.prompt_id));
  });
});
