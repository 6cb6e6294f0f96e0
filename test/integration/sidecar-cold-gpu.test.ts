/**
 * The first job on a serverless GPU that has never been warm: Queue Prompt does not wait for it.
 * POST /prompt answers 200 while the GPU is still cold (checked against the attendee's own
 * ComfyUI), the tab is told "warming up" from the GPU's first refusal, and the job runs once the
 * GPU is warm. A node the attendee's ComfyUI has but the GPU lacks is accepted the same way and
 * then failed by the GPU's own check, as ComfyUI's `execution_error` naming the node.
 *
 * The cold start lasts until the test ends it (`gate.warmNow()`), so every assertion is on a state
 * — "answered while not warm" — never on how long something took.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { startStack, TabSocket, type Attendee, type Stack } from '../support/sidecar-stack';
import { eventually } from '../../kit/until';
import type { SimulatorOptions } from '../../simulator/src/app';
import { txt2img } from '../e2e/support/workflows';
import { blurPrompt } from '../support/prompts';

const HELD_COLD_MS = 10 * 60_000; // longer than any test: only warmNow() ends it

const invert = {
  '1': {
    inputs: { width: 64, height: 48, batch_size: 1, color: 3381759 },
    class_type: 'EmptyImage',
    _meta: { title: 'EmptyImage' },
  },
  '2': { inputs: { image: ['1', 0] }, class_type: 'ImageInvert', _meta: { title: 'Invert Image' } },
  '3': {
    inputs: { filename_prefix: 'cold', images: ['2', 0] },
    class_type: 'SaveImage',
    _meta: { title: 'Save Image' },
  },
};
const blur = blurPrompt('cold-blur');

let stack: Stack | undefined;
afterEach(async () => {
  await stack?.close();
  stack = undefined;
});

async function coldStack(
  gpuLacks: string[] = [],
  local: Partial<SimulatorOptions> = {},
): Promise<{ gpu: Stack['gpu']; alice: Attendee; tab: TabSocket }> {
  stack = await startStack({
    serverless: true,
    gpu: { coldStartMs: HELD_COLD_MS, withoutNodeTypes: gpuLacks },
  });
  // A sidecar allowed to wait out the whole cold start for the GPU's node set (the relay's answer
  // included): answering while the GPU is still cold then proves Queue Prompt never waited for it.
  const alice = await stack.attendee(
    'user001',
    { SIDECAR_GPU_WAIT_MS: String(HELD_COLD_MS), SIDECAR_RELAY_TIMEOUT_MS: String(HELD_COLD_MS) },
    local,
  );
  const tab = await TabSocket.open(alice.url);
  tab.ws.send(JSON.stringify({ type: 'comfyume.hello', data: { extension: 'comfyume' } }));
  await tab.until(() => tab.texts().some((m) => m.type === 'comfyume.relay'));
  return { gpu: stack.gpu, alice, tab };
}

async function queue(
  alice: Attendee,
  tab: TabSocket,
  prompt: Record<string, unknown>,
): Promise<string> {
  const response = await fetch(`${alice.url}/api/prompt`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ client_id: tab.sid, prompt, extra_data: {} }),
  });
  const text = await response.text();
  expect(response.status, text).toBe(200);
  const body = JSON.parse(text) as { prompt_id: unknown; node_errors: unknown };
  expect(typeof body.prompt_id).toBe('string');
  expect(body.node_errors).toEqual({});
  return body.prompt_id as string;
}

const jobStates = (tab: TabSocket, id: string) =>
  tab
    .texts()
    .filter((m) => m.type === 'comfyume.job' && m.data.id === id)
    .map((m) => String(m.data.state));

const ending = (tab: TabSocket, id: string) =>
  tab
    .texts()
    .find(
      (m) =>
        ['execution_success', 'execution_error', 'execution_interrupted'].includes(m.type) &&
        m.data.prompt_id === id,
    );

describe('the first job on a never-warm serverless GPU', () => {
  it('is queued while the GPU is cold, shows "warming up", and runs once the GPU is warm', async () => {
    const { gpu, alice, tab } = await coldStack();
    const id = await queue(alice, tab, invert);
    expect(gpu.gate.warm).toBe(false); // answered before the GPU could have said anything

    // The GPU's first 503 at submit reaches the tab as warming_up, while it is still cold.
    await tab.until(() => jobStates(tab, id).includes('warming_up'));
    expect(gpu.gate.warm).toBe(false);

    gpu.gate.warmNow();
    await tab.untilEnd(id);
    expect(ending(tab, id)?.type).toBe('execution_success');
    expect(jobStates(tab, id).at(-1)).toBe('done');
  });

  it("a model only the GPU has (the attendee's ComfyUI lists none) is queued while cold and runs once warm", async () => {
    const { gpu, alice, tab } = await coldStack([], { models: { checkpoints: [] } });
    const id = await queue(alice, tab, txt2img(3, 42)); // its checkpoint is one the simulated GPU lists
    expect(gpu.gate.warm).toBe(false);
    gpu.gate.warmNow();
    await tab.untilEnd(id);
    expect(ending(tab, id)?.type).toBe('execution_success');
  });

  it("a node the GPU lacks (the attendee's ComfyUI has it) is accepted, then failed by the GPU's check as ComfyUI's execution_error", async () => {
    const { gpu, alice, tab } = await coldStack(['ImageBlur']);
    const blurred = await queue(alice, tab, blur); // the local ComfyUI knows ImageBlur: 200 while the GPU is cold
    const inverted = await queue(alice, tab, invert);
    expect(gpu.gate.warm).toBe(false);
    await tab.until(
      () =>
        jobStates(tab, blurred).includes('warming_up') ||
        jobStates(tab, inverted).includes('warming_up'),
    );

    gpu.gate.warmNow();
    await tab.untilEnd(blurred);
    const error = ending(tab, blurred);
    expect(error?.type).toBe('execution_error');
    expect(error?.data).toMatchObject({
      prompt_id: blurred,
      node_id: '2',
      node_type: 'ImageBlur',
      exception_type: 'missing_node_type',
      exception_message:
        "the GPU refused the prompt: Node 'Image Blur' not found. The custom node may not be installed. (Node ID '#2')",
    });
    // The next job is not held up by the refused one.
    await tab.untilEnd(inverted);
    expect(ending(tab, inverted)?.type).toBe('execution_success');
    // Once the GPU's node set is known, the sidecar refuses the node before queueing, as ComfyUI does.
    await eventually(
      async () => {
        const again = await fetch(`${alice.url}/api/prompt`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ client_id: tab.sid, prompt: blur, extra_data: {} }),
        });
        const body = (await again.json()) as { error?: { type?: string } };
        return again.status === 400 && body.error?.type === 'missing_node_type';
      },
      30_000,
      'the GPU node set to reach the sidecar',
    );
    tab.close();
  });
});
