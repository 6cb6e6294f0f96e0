/**
 * The relay goes away: POST /prompt answers a clear ComfyUI-shaped error, everything else of the
 * attendee's ComfyUI keeps working (proxy, history from the last known list), the tab is told,
 * and when the relay returns the sidecar reconnects by itself and queues again.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ComfyJobsListResponse } from '../../protocol/src/comfy/http-jobs';
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
  await stack?.close();
});

const post = (prompt: unknown, clientId: string) => postRun(alice.url, prompt, clientId);

describe('relay unreachable', () => {
  it('clear error on queue, the rest works, reconnects and queues again when it returns', async () => {
    const tab = await TabSocket.open(alice.url);
    // The page runs our extension: it says so, and only then gets our comfyume.* messages.
    tab.ws.send(JSON.stringify({ type: 'comfyume.hello', data: { extension: 'comfyume' } }));
    await tab.until(() => tab.texts().some((m) => m.type === 'comfyume.relay'));
    const ok = await post(body.prompt, tab.sid);
    expect(ok.status).toBe(200);
    await tab.untilEnd(String(ok.json.prompt_id));
    await eventually(() => alice.sidecar.relayConnected, 10_000, 'relay connected');
    const historyUrl = `${alice.url}/api/jobs?status=completed,failed,cancelled&limit=64&offset=0`;
    const before = (await (await fetch(historyUrl)).json()) as { jobs: { id: string }[] }; // the UI refetches on every status
    expect(before.jobs.map((j) => j.id)).toContain(ok.json.prompt_id);

    await stack.stopRelay();
    await eventually(() => !alice.sidecar.relayConnected, 30_000, 'sidecar notices');
    await tab.until(() =>
      tab.texts().some((m) => m.type === 'comfyume.relay' && m.data.connected === false),
    );

    const refused = await post(body.prompt, tab.sid);
    expect(refused.status).toBe(503);
    expect(refused.json).toEqual({
      error: {
        type: 'relay_unavailable',
        message:
          'The GPU queue service is unreachable; your ComfyUI still works — try again in a moment.',
        details: '',
        extra_info: {},
      },
      node_errors: {},
    });

    // The attendee's own ComfyUI is still there, through the sidecar.
    expect((await fetch(`${alice.url}/api/object_info/EmptyImage`)).status).toBe(200);
    expect((await fetch(`${alice.url}/api/system_stats`)).status).toBe(200);
    // History keeps the last list the relay gave, instead of emptying the panel.
    const history = (await (await fetch(historyUrl)).json()) as { jobs: { id: string }[] };
    expect(ComfyJobsListResponse.safeParse(history).success).toBe(true);
    expect(history.jobs.map((j) => j.id)).toContain(ok.json.prompt_id);

    await stack.startRelay();
    await eventually(() => alice.sidecar.relayConnected, 60_000, 'sidecar reconnects');
    const down = tab
      .texts()
      .findIndex((m) => m.type === 'comfyume.relay' && m.data.connected === false);
    await tab.until(() =>
      tab
        .texts()
        .some((m, i) => i > down && m.type === 'comfyume.relay' && m.data.connected === true),
    );
    const prompt = structuredClone(body.prompt) as Record<
      string,
      { inputs: Record<string, unknown> }
    >;
    prompt['1']!.inputs.color = 12345;
    const again = await eventually(
      async () => {
        const r = await post(prompt, tab.sid);
        return r.status === 200 ? r : undefined;
      },
      30_000,
      'queue accepted again',
    );
    await tab.untilEnd(String(again.json.prompt_id));
    expect(
      tab
        .texts()
        .some((m) => m.type === 'execution_success' && m.data.prompt_id === again.json.prompt_id),
    ).toBe(true);
    tab.close();
  });
});
