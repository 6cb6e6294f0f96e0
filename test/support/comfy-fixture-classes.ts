/**
 * @fileoverview Test-only: which schema checks each recorded `.json` fixture, chosen by path
 * (and for exchanges `{request, response}` by method + route). `classifyJson` returns null for
 * a file nobody classified, so a new recording fails the sweep until it is added here.
 */
import { expect } from 'vitest';
import { z } from 'zod';
import {
  ComfyApiPrompt,
  ComfyExtraData,
  ComfyHistoryMap,
  ComfyJobsErrorBody,
  ComfyObjectInfo,
  ComfyPostPromptRequest,
  ComfyPostPromptResponse,
  ComfyPromptErrorBody,
  ComfyPromptInfo,
  ComfyQueueMutation,
  ComfyQueueResponse,
  ComfyServerFeatureFlags,
  ComfyStringList,
  ComfySystemStats,
} from '../../protocol/src/comfy/http';
import {
  ComfyFeHistoryResponse,
  ComfyFeQueueResponse,
  ComfyJobDetail,
  ComfyJobsCancelResponse,
  ComfyJobsListResponse,
  ComfyJobsListResponseLoose,
} from '../../protocol/src/comfy/http-jobs';
import { malformedJsonResponse } from '../../protocol/src/comfy/validate';
import {
  ComfyClientFeatureFlags,
  ComfyWsClientMessage,
  ComfyWsMessage,
} from '../../protocol/src/comfy/ws';
import type { Exchange } from './comfy-fixtures';

/** Parses and fails the test with zod's message (and the file) when the schema rejects. */
export function must(schema: z.ZodTypeAny, value: unknown, where: string): void {
  const r = schema.safeParse(value);
  if (!r.success) expect.fail(`${where}: ${r.error.message}`);
}

type Check = (data: unknown, file: string) => void;

const capture = {
  summary: z.object({
    client_id: z.string(),
    prompt_id: z.string(),
    http_status: z.number(),
    files: z.array(z.record(z.string(), z.unknown())),
    ws_types: z.array(z.string()),
  }),
  pageInfo: z
    .object({ title: z.string(), frontendVersion: z.string(), registeredNodeDefs: z.number() })
    .passthrough(),
  result: z
    .object({
      prompt_id: z.string(),
      prompt_status: z.number(),
      prompt_response: ComfyPostPromptResponse,
    })
    .passthrough(),
  toasts: z.array(z.string()),
};

const strip = (o: unknown) =>
  Object.fromEntries(Object.entries(o as object).filter(([k]) => !k.startsWith('_')));

/** ws-sequences.example.json: annotated message lists; `_binary` entries only describe a frame. */
const wsSequences: Check = (data, file) => {
  for (const [name, seq] of Object.entries(strip(data))) {
    for (const [i, m] of (seq as Record<string, unknown>[]).entries()) {
      if ('_binary' in m) continue;
      const toServer = String(m['_dir'] ?? '').startsWith('client->server');
      must(toServer ? ComfyWsClientMessage : ComfyWsMessage, strip(m), `${file} ${name}[${i}]`);
    }
  }
};

const examples: [RegExp, Check][] = [
  [/^api-workflow-.*\.json$/, (d, f) => must(ComfyApiPrompt, d, f)],
  [
    /^feature-flags\.example\.json$/,
    (d, f) =>
      must(
        z
          .object({ client: ComfyClientFeatureFlags, server: ComfyServerFeatureFlags })
          .passthrough(),
        d,
        f,
      ),
  ],
  [
    /^history-entry\.example\.json$/,
    (d, f) => (must(ComfyHistoryMap, res(d), f), must(ComfyFeHistoryResponse, res(d), f)),
  ],
  [/^job-detail\.example\.json$/, (d, f) => must(ComfyJobDetail, res(d), f)],
  [/^jobs-list\.example\.json$/, (d, f) => must(ComfyJobsListResponse, res(d), f)],
  [/^object_info-core-snippets\.json$/, (d, f) => must(ComfyObjectInfo, strip(d), f)],
  [/^post-prompt-request\.example\.json$/, (d, f) => must(ComfyPostPromptRequest, strip(d), f)],
  [
    /^post-prompt-responses\.example\.json$/,
    (d, f) => {
      for (const [k, v] of Object.entries(strip(d)))
        must(k.startsWith('200') ? ComfyPostPromptResponse : ComfyPromptErrorBody, v, `${f} ${k}`);
    },
  ],
  [
    /^queue\.example\.json$/,
    (d, f) => (must(ComfyQueueResponse, res(d), f), must(ComfyFeQueueResponse, res(d), f)),
  ],
  [
    /^ui-workflow-default\.json$/,
    (d, f) => must(ComfyExtraData, { extra_pnginfo: { workflow: d } }, f),
  ],
  [/^ws-sequences\.example\.json$/, wsSequences],
  [/\/object_info\/[^/]+\.json$/, (d, f) => must(ComfyObjectInfo, d, f)],
  [/\/workflows\/[^/]+\.api\.json$/, (d, f) => must(ComfyApiPrompt, d, f)],
  [/\/summary\.json$/, (d, f) => must(capture.summary, d, f)],
  [/\/frontend\/page_info\.json$/, (d, f) => must(capture.pageInfo, d, f)],
  [/\/frontend\/result\.json$/, (d, f) => must(capture.result, d, f)],
  [/\/frontend\/toasts_seen\.json$/, (d, f) => must(capture.toasts, d, f)],
  [
    /\/frontend\/post_prompt_\d+\.json$/,
    (d, f) => {
      const ex = d as { request: { body: unknown }; response: { body: unknown } };
      must(ComfyPostPromptRequest, ex.request.body, `${f} request`);
      must(ComfyPostPromptResponse, ex.response.body, `${f} response`);
    },
  ],
];

function res(d: unknown): unknown {
  return (d as { response: unknown }).response;
}

const emptyOk = (ex: Exchange, f: string) => {
  expect(ex.response.status, f).toBe(200);
  expect(ex.response.text, f).toBe('');
};

/** Routes of recorded exchanges → the check of their request and response. */
const routes: [string, RegExp, (ex: Exchange, f: string) => void][] = [
  [
    'POST',
    /^(\/api)?\/prompt$/,
    (ex, f) => {
      if (ex.request.body !== undefined)
        must(ComfyPostPromptRequest.or(z.record(z.unknown())), ex.request.body, `${f} request`);
      const s = ex.response.status;
      if (s === 500) expect(ex.response.text, f).toBe(malformedJsonResponse().body);
      else must(s === 200 ? ComfyPostPromptResponse : ComfyPromptErrorBody, ex.response.json, f);
    },
  ],
  ['GET', /^(\/api)?\/prompt$/, (ex, f) => must(ComfyPromptInfo, ex.response.json, f)],
  [
    'GET',
    /^(\/api)?\/queue$/,
    (ex, f) => (
      must(ComfyQueueResponse, ex.response.json, f),
      must(ComfyFeQueueResponse, ex.response.json, f)
    ),
  ],
  [
    'POST',
    /^(\/api)?\/queue$/,
    (ex, f) => (must(ComfyQueueMutation, ex.request.body, f), emptyOk(ex, f)),
  ],
  [
    'POST',
    /^(\/api)?\/interrupt$/,
    (ex, f) => (
      must(z.object({ prompt_id: z.string() }).partial(), ex.request.body, f),
      emptyOk(ex, f)
    ),
  ],
  [
    'GET',
    /^(\/api)?\/history(\/[^/]+)?$/,
    (ex, f) => (
      must(ComfyHistoryMap, ex.response.json, f),
      must(ComfyFeHistoryResponse, ex.response.json, f)
    ),
  ],
  [
    'GET',
    /^\/api\/jobs$/,
    (ex, f) => {
      if (ex.response.status !== 200) return must(ComfyJobsErrorBody, ex.response.json, f);
      must(ComfyJobsListResponseLoose, ex.response.json, f);
      const limited =
        (ex.response.json as { pagination: { limit: unknown } }).pagination.limit !== null;
      expect(
        ComfyJobsListResponse.safeParse(ex.response.json).success,
        `${f} frontend-strict`,
      ).toBe(limited);
    },
  ],
  [
    'GET',
    /^\/api\/jobs\/[^/]+$/,
    (ex, f) =>
      must(ex.response.status === 200 ? ComfyJobDetail : ComfyJobsErrorBody, ex.response.json, f),
  ],
  [
    'POST',
    /^\/api\/jobs(\/[^/]+)?\/cancel$/,
    (ex, f) =>
      must(
        ex.response.status === 200 ? ComfyJobsCancelResponse : ComfyJobsErrorBody,
        ex.response.json,
        f,
      ),
  ],
  ['GET', /^(\/api)?\/system_stats$/, (ex, f) => must(ComfySystemStats, ex.response.json, f)],
  ['GET', /^(\/api)?\/features$/, (ex, f) => must(ComfyServerFeatureFlags, ex.response.json, f)],
  [
    'GET',
    /^(\/api)?\/(embeddings|extensions|models(\/[^/]+)?)$/,
    (ex, f) => must(ComfyStringList, ex.response.json, f),
  ],
];

/** The check for one fixture file (path relative to fixtures/comfyui), or null if unclassified. */
export function classifyJson(file: string, data: unknown): Check | null {
  for (const [re, check] of examples) if (re.test(file)) return check;
  if (typeof data === 'object' && data !== null && 'request' in data && 'response' in data) {
    const ex = data as Exchange;
    const pathOnly = (ex.request.path ?? '').split('?')[0] ?? '';
    const route = routes.find(([m, re]) => m === ex.request.method && re.test(pathOnly));
    return route ? (_d, f) => route[2](ex, f) : null;
  }
  return null;
}
