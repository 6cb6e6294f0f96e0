/**
 * @fileoverview The strict schemas reject what the stock frontend would reject (one bad job
 * empties the queue panel) and what ComfyUI never sends; plus Python formatting checks.
 */
import { describe, expect, it } from 'vitest';
import {
  ComfyJob,
  ComfyJobDetail,
  ComfyJobsListResponse,
  ComfyJobsListResponseLoose,
} from './http-jobs';
import { ComfyPostPromptResponse, ComfyPromptErrorBody } from './http';
import { pyFloatRepr, pyJsonDumps, pyRepr } from './py-format';
import { ComfyWsMessage, ComfyWsMessageLoose, encodeComfyWsText, parseComfyWsText } from './ws';

const job = {
  id: '5d1f0e4c-9a53-4c55-8a3e-2f4c6b1e7a10',
  status: 'completed',
  priority: 1,
  create_time: 1767225599950,
  execution_start_time: 1767225600000,
  execution_end_time: 1767225600040,
  outputs_count: 1,
  preview_output: {
    filename: 'a.png',
    subfolder: '',
    type: 'output',
    nodeId: '2',
    mediaType: 'images',
  },
};
const list = (jobs: unknown[], limit: number | null = 64) => ({
  jobs,
  pagination: { offset: 0, limit, total: jobs.length, has_more: false },
});
const execError = {
  node_id: '1',
  node_type: 'EmptyImage',
  exception_message: 'boom',
  exception_type: 'RuntimeError',
  traceback: [],
  current_inputs: {},
  current_outputs: [],
};

describe('jobs: as strict as ComfyUI_frontend jobTypes.ts', () => {
  it('accepts a well-formed list', () => {
    expect(ComfyJobsListResponse.safeParse(list([job])).success).toBe(true);
  });

  it.each([
    ['a job without create_time', { ...job, create_time: undefined }],
    ['a string create_time', { ...job, create_time: '1767225599950' }],
    ['an unknown status', { ...job, status: 'queued' }],
    [
      'execution_error.node_id null',
      { ...job, status: 'failed', execution_error: { ...execError, node_id: null } },
    ],
    [
      'execution_error without traceback',
      { ...job, status: 'failed', execution_error: { ...execError, traceback: undefined } },
    ],
    [
      "preview_output.type 'foo'",
      { ...job, preview_output: { ...job.preview_output, type: 'foo' } },
    ],
    [
      'preview_output without nodeId',
      { ...job, preview_output: { ...job.preview_output, nodeId: undefined } },
    ],
    ['a numeric id', { ...job, id: 5 }],
  ])('rejects a list holding %s (the whole list fails)', (_what, bad) => {
    expect(ComfyJob.safeParse(bad).success).toBe(false);
    expect(ComfyJobsListResponse.safeParse(list([job, bad])).success).toBe(false);
  });

  it('accepts execution_error.node_id "" for job-level failures and null execution times', () => {
    const failed = {
      ...job,
      status: 'failed',
      execution_error: { ...execError, node_id: '' },
      execution_end_time: null,
    };
    expect(ComfyJobsListResponse.safeParse(list([failed])).success).toBe(true);
  });

  it('rejects pagination.limit null (ComfyUI sends it; the frontend never asks without a limit)', () => {
    expect(ComfyJobsListResponse.safeParse(list([job], null)).success).toBe(false);
    expect(ComfyJobsListResponseLoose.safeParse(list([job], null)).success).toBe(true);
  });

  it('checks job detail outputs like zTaskOutput', () => {
    expect(
      ComfyJobDetail.safeParse({ ...job, outputs: { '2': { images: [{ type: 'foo' }] } } }).success,
    ).toBe(false);
    expect(
      ComfyJobDetail.safeParse({ ...job, outputs: { '2': { text: 'hi', custom: [1] } } }).success,
    ).toBe(true);
  });
});

describe('POST /prompt bodies we emit are strict', () => {
  it('rejects extra keys and a missing node_errors', () => {
    expect(ComfyPostPromptResponse.safeParse({ prompt_id: 'x', number: 1 }).success).toBe(false);
    expect(
      ComfyPostPromptResponse.safeParse({ prompt_id: 'x', number: 1, node_errors: {}, extra: 1 })
        .success,
    ).toBe(false);
    const err = { type: 't', message: 'm', details: 'd', extra_info: {} };
    expect(ComfyPromptErrorBody.safeParse({ error: err, node_errors: {} }).success).toBe(true);
    expect(
      ComfyPromptErrorBody.safeParse({ error: { ...err, details: undefined }, node_errors: {} })
        .success,
    ).toBe(false);
  });
});

describe('WS messages', () => {
  const pid = '5d1f0e4c-9a53-4c55-8a3e-2f4c6b1e7a10';
  const node = {
    value: 0,
    max: 1,
    state: 'running',
    node_id: '1',
    prompt_id: pid,
    display_node_id: '1',
    parent_node_id: null,
    real_node_id: '1',
  };

  it.each([
    [
      'executing without prompt_id for a node',
      { type: 'executing', data: { node: '1', display_node: '1' } },
    ],
    [
      'executed without display_node',
      { type: 'executed', data: { node: '1', output: {}, prompt_id: pid } },
    ],
    [
      'progress_state without parent_node_id',
      {
        type: 'progress_state',
        data: { prompt_id: pid, nodes: { '1': { ...node, parent_node_id: undefined } } },
      },
    ],
    [
      'progress_state with state "done"',
      {
        type: 'progress_state',
        data: { prompt_id: pid, nodes: { '1': { ...node, state: 'done' } } },
      },
    ],
    [
      'status with a misspelt key',
      { type: 'status', data: { status: { exec_info: { queue_remaning: 1 } } } },
    ],
    [
      'execution_start with a float timestamp',
      { type: 'execution_start', data: { prompt_id: pid, timestamp: 1.5 } },
    ],
    ['an unknown type', { type: 'comfyume.job', data: {} }],
  ])('strict rejects %s', (_what, bad) => {
    expect(ComfyWsMessage.safeParse(bad).success).toBe(false);
  });

  it('loose keeps unknown types and extra keys', () => {
    const parsed = ComfyWsMessageLoose.parse({ type: 'comfyume.job', data: { a: 1 }, extra: true });
    expect(parsed).toEqual({ type: 'comfyume.job', data: { a: 1 }, extra: true });
    expect(parseComfyWsText('not json')).toBeNull();
    expect(parseComfyWsText('{"type":"x","data":{}}')).toEqual({ type: 'x', data: {} });
  });

  it('encodes like aiohttp send_json and refuses malformed messages', () => {
    expect(encodeComfyWsText('executing', { node: null, prompt_id: pid })).toBe(
      `{"type": "executing", "data": {"node": null, "prompt_id": "${pid}"}}`,
    );
    const bad = { node: 1, display_node: '1', prompt_id: pid } as unknown as {
      node: string;
      display_node: string;
      prompt_id: string;
    };
    expect(() => encodeComfyWsText('executing', bad)).toThrow();
  });
});

describe('Python formatting', () => {
  it.each([
    [0.1, '0.1'],
    [10, '10.0'],
    [1e-5, '1e-05'],
    [0.0001, '0.0001'],
    [1e16, '1e+16'],
    [123456789012345.6, '123456789012345.6'],
    [-2.5e-7, '-2.5e-07'],
  ])('repr(float %s) is %s', (x, text) => expect(pyFloatRepr(x)).toBe(text));

  it('repr picks quotes as CPython does', () => {
    expect(pyRepr(["it's", 'a"b', 'x\'y"z', null, true, 1.5])).toBe(
      `["it's", 'a"b', 'x\\'y"z', None, True, 1.5]`,
    );
  });

  it('json.dumps escapes non-ASCII (ensure_ascii) and uses ", " / ": "', () => {
    expect(pyJsonDumps({ a: 'é✓😀\n', b: [1, 2.5] })).toBe(
      '{"a": "\\u00e9\\u2713\\ud83d\\ude00\\n", "b": [1, 2.5]}',
    );
  });
});
