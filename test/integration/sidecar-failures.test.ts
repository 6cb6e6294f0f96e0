/**
 * Runtime failures seen through the sidecar: a node failing on the GPU (simulator failNodeTypes)
 * against the real run3 recording. (The recorded escape attempt itself, failed without a GPU, is in
 * sidecar-fidelity-cache.test.ts.)
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ComfyFeHistoryResponse, ComfyJobsListResponse } from '../../protocol/src/comfy/http-jobs';
import { startStack, TabSocket, type Attendee, type Stack } from '../support/sidecar-stack';
import { jobSegment, readJson, recordedIncoming, signature } from '../support/recorded-ws';

type Body = {
  client_id: string;
  prompt: Record<string, { class_type: string; inputs: Record<string, unknown> }>;
};
const run3 = readJson<{ request: { body: Body } }>(
  'real-0.8.0/run3_execution_error/post_prompt.json',
).request.body;

let stack: Stack;
let alice: Attendee;

beforeAll(async () => {
  stack = await startStack({ gpu: { failures: { failNodeTypes: ['SaveImage'] } } });
  alice = await stack.attendee('user001');
});
afterAll(async () => {
  await stack?.close();
});

async function post(body: unknown) {
  const response = await fetch(`${alice.url}/prompt`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  return { status: response.status, json: (await response.json()) as Record<string, unknown> };
}

async function jobsOf(status: string) {
  const body = (await (
    await fetch(`${alice.url}/api/jobs?status=${status}&limit=64&offset=0`)
  ).json()) as Record<string, unknown>;
  expect(ComfyJobsListResponse.safeParse(body).success).toBe(true);
  return body.jobs as { id: string; status: string; execution_error?: Record<string, unknown> }[];
}

describe('runtime errors', () => {
  it('a node failing on the GPU: same sequence as the real run3 execution_error', async () => {
    const clientId = 'capture-run3_execution_error-sidecar';
    const tab = await TabSocket.open(alice.url, clientId);
    const handshake = tab.texts().length;
    const prompt = structuredClone(run3.prompt);
    prompt['2']!.inputs.filename_prefix = 'fails_on_gpu';
    const res = await post({ prompt, client_id: clientId });
    expect(res.status).toBe(200);
    const promptId = String(res.json.prompt_id);
    await tab.untilEnd(promptId);
    const ours = tab
      .texts()
      .slice(handshake)
      .filter((m) => !m.type.startsWith('comfyume.'));
    const real = jobSegment(recordedIncoming('real-0.8.0/run3_execution_error/ws.jsonl'));
    expect(signature(ours)).toEqual(signature(real));
    const error = ours.find((m) => m.type === 'execution_error')?.data;
    expect(error).toMatchObject({
      prompt_id: promptId,
      node_id: '2',
      node_type: 'SaveImage',
      executed: ['1'],
    });

    const failed = (await jobsOf('completed,failed,cancelled')).find((j) => j.id === promptId);
    expect(failed?.status).toBe('failed');
    expect(failed?.execution_error).toMatchObject({ node_id: '2', node_type: 'SaveImage' });
    const history = await (await fetch(`${alice.url}/api/history?max_items=64`)).json();
    expect(ComfyFeHistoryResponse.safeParse(history).success).toBe(true);
    expect(
      (history as Record<string, { status: { status_str: string } }>)[promptId]?.status.status_str,
    ).toBe('error');
    tab.close();
  });
});
