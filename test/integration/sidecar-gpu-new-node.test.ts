/**
 * A node installed on the GPU after the relay and the sidecars copied its node set: the sidecar's one
 * look again, on a prompt naming it, makes the relay ask the GPU itself (not answer from its copy),
 * so the prompt is accepted and runs there. Those looks are limited per user: an attendee who just
 * looked is answered from the relay's newest copy until the limit passes, whichever user's look
 * stored it. Real Redis, relay, sidecars and simulated ComfyUIs over HTTP, the GPU reached as a
 * direct ComfyUI and as a serverless endpoint.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startStack, TabSocket, type Attendee, type Stack } from '../support/sidecar-stack';
import { blurPrompt } from '../support/prompts';

const blur = blurPrompt('installed');

const post = async (a: Attendee, clientId: string) => {
  const res = await fetch(`${a.url}/api/prompt`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ client_id: clientId, prompt: blur, extra_data: {} }),
  });
  return {
    status: res.status,
    body: (await res.json()) as { prompt_id?: string; error?: { type?: string } },
  };
};

const nodeList = async (a: Attendee) =>
  Object.keys((await (await fetch(`${a.url}/api/object_info`)).json()) as object);

describe.each([{ serverless: false }, { serverless: true }])('serverless: $serverless', (mode) => {
  let stack: Stack;
  let alice: Attendee;
  let bob: Attendee;

  beforeAll(async () => {
    // A limit longer than the test: alice's second look is answered from a copy, never the GPU.
    stack = await startStack({
      ...mode,
      relayEnv: { OBJECT_INFO_REFRESH_PER_USER_MS: '600000' },
    });
    alice = await stack.attendee('user001');
    bob = await stack.attendee('user002');
  });
  afterAll(async () => {
    await stack?.close();
  });

  it('a node installed on the GPU after the copies were made is accepted through the sidecar look again, once per user per interval', async () => {
    // The GPU starts without ImageBlur (its custom node not installed yet); the attendees' own ComfyUIs have it.
    const registry = stack.gpu.replicas[0]!.context.registry;
    const impl = registry.nodes.get('ImageBlur')!;
    registry.nodes.delete('ImageBlur');
    expect(await nodeList(alice)).not.toContain('ImageBlur'); // the relay and alice's sidecar copy the set
    expect(await nodeList(bob)).not.toContain('ImageBlur'); // and bob's sidecar

    // alice's prompt: refused after her one look at the GPU, which still lacks the node.
    const refused = await post(alice, 'alice-tab');
    expect(refused.status, JSON.stringify(refused.body)).toBe(400);
    expect(refused.body.error?.type).toBe('missing_node_type');

    registry.nodes.set('ImageBlur', impl); // the operator installs the custom node on the GPU

    // alice again at once: within her limit her look gets the relay's copy, and the GPU is not asked.
    const limited = await post(alice, 'alice-tab');
    expect(limited.status, JSON.stringify(limited.body)).toBe(400);
    expect(limited.body.error?.type).toBe('missing_node_type');

    // bob, whose sidecar and relay copies both lack the node: his look reaches the GPU, and the job runs.
    const tab = await TabSocket.open(bob.url);
    const accepted = await post(bob, tab.sid);
    expect(accepted.status, JSON.stringify(accepted.body)).toBe(200);
    const id = accepted.body.prompt_id!;
    await tab.untilEnd(id);
    expect(tab.texts().some((m) => m.type === 'execution_success' && m.data.prompt_id === id)).toBe(
      true,
    );
    tab.close();
    expect(await nodeList(bob)).toContain('ImageBlur'); // the node list bob's page loads has it too

    // alice, still within her limit: her look is answered from the copy bob's look stored.
    const after = await post(alice, 'alice-tab');
    expect(after.status, JSON.stringify(after.body)).toBe(200);
    expect(await nodeList(alice)).toContain('ImageBlur');
  });
});
