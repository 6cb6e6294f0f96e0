/**
 * @fileoverview Every recorded ComfyUI fixture must parse with our schemas: every `.json` file
 * (classified by path in test/support/comfy-fixture-classes.ts) and every line of every
 * `ws.jsonl`. A fixture that nobody classified fails here until it is.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { classifyJson, must } from '../../../test/support/comfy-fixture-classes';
import { FIXTURES, listFixtures, readJson } from '../../../test/support/comfy-fixtures';
import { ComfyJobsListResponse } from './http-jobs';
import { pyJsonDumps } from './py-format';
import { decodeBinaryFrame } from './ws-binary';
import { ComfyWsClientMessage, ComfyWsMessage, ComfyWsMessageLoose } from './ws';

const jsonFiles = listFixtures('.json');
const wsFiles = listFixtures('ws.jsonl');
/** Other JSONL captures: browser logs that are not protocol, plus the frontend's /api/jobs bodies. */
const otherJsonl = listFixtures('.jsonl').filter((f) => !f.endsWith('ws.jsonl'));
const logJsonl = /\/(network|console|steps|blocked_external)\.jsonl$/;

describe('recorded .json fixtures', () => {
  it('are all classified', () => {
    expect(jsonFiles.length).toBeGreaterThan(150);
    const unclassified = jsonFiles.filter((f) => classifyJson(f, readJson(f)) === null);
    expect(unclassified).toEqual([]);
    // A new kind of recording is not silently accepted.
    expect(classifyJson('real-9.9.9/new_capture.json', { some: 'thing' })).toBeNull();
    expect(
      classifyJson('real-9.9.9/x.json', {
        request: { method: 'GET', path: '/new_route' },
        response: {},
      }),
    ).toBeNull();
  });

  it.each(jsonFiles)('%s parses', (file) => {
    const data = readJson(file);
    const check = classifyJson(file, data);
    expect(check, `${file} is not classified`).not.toBeNull();
    check?.(data, file);
  });

  it('frontend POST /api/prompt bodies have the recorded byte length (Python json.dumps)', () => {
    for (const file of jsonFiles.filter((f) => f.endsWith('post_prompt_1.json'))) {
      const ex = readJson<{ response: { headers: Record<string, string>; body: unknown } }>(file);
      const bytes = new TextEncoder().encode(pyJsonDumps(ex.response.body)).length;
      expect(String(bytes), file).toBe(ex.response.headers['content-length']);
    }
  });
});

/** One ws.jsonl line: API captures use `{kind, msg}`, browser captures `{event}` or `{payload}`. */
const WsLine = z.union([
  z
    .object({
      t: z.number(),
      dir: z.enum(['in', 'out']),
      kind: z.literal('text'),
      msg: z.unknown(),
    })
    .strict(),
  z
    .object({
      t: z.number(),
      dir: z.enum(['in', 'out']),
      kind: z.literal('binary'),
      b64: z.string(),
    })
    .passthrough(),
  z
    .object({
      t: z.number(),
      dir: z.literal('in'),
      kind: z.enum(['close-frame', 'closed']),
      error: z.string().optional(),
    })
    .strict(),
  z.object({ t: z.number(), event: z.literal('open'), url: z.string() }).strict(),
  z.object({ t: z.number(), dir: z.enum(['in', 'out']), payload: z.unknown() }).strict(),
]);

const counts = { lines: 0, text: 0, binary: 0, control: 0 };

describe.each(wsFiles)('%s', (file) => {
  const lines = readFileSync(path.join(FIXTURES, file), 'utf8')
    .split('\n')
    .filter((l) => l.trim() !== '');

  it('every line parses', () => {
    expect(lines.length).toBeGreaterThan(0);
    for (const [i, line] of lines.entries()) {
      const where = `${file}:${i + 1}`;
      const parsed = WsLine.safeParse(JSON.parse(line));
      if (!parsed.success) expect.fail(`${where}: unclassified line ${line.slice(0, 120)}`);
      const entry = parsed.data as Record<string, unknown>;
      counts.lines += 1;
      if ('b64' in entry) {
        // Binary frames, if a capture stores them, must decode to a known frame type.
        const bytes = Uint8Array.from(atob(entry['b64'] as string), (c) => c.charCodeAt(0));
        expect(decodeBinaryFrame(bytes).kind, where).not.toBe('unknown');
        counts.binary += 1;
        continue;
      }
      const message = entry['msg'] ?? entry['payload'];
      if (message === undefined) {
        counts.control += 1;
        continue;
      }
      counts.text += 1;
      must(ComfyWsMessageLoose, message, where);
      must(entry['dir'] === 'out' ? ComfyWsClientMessage : ComfyWsMessage, message, where);
    }
  });
});

describe('other JSONL captures', () => {
  it.each(otherJsonl)('%s is classified', (file) => {
    const lines = readFileSync(path.join(FIXTURES, file), 'utf8')
      .split('\n')
      .filter((l) => l.trim() !== '');
    expect(lines.length).toBeGreaterThan(0);
    if (logJsonl.test(file)) {
      for (const line of lines) expect(typeof JSON.parse(line)).toBe('object');
      return;
    }
    expect(file).toMatch(/\/jobs_api_responses\.jsonl$/);
    for (const [i, line] of lines.entries()) {
      const entry = JSON.parse(line) as { url: string; status: number; body: unknown };
      expect(new URL(entry.url).pathname).toBe('/api/jobs');
      // What the real frontend received and accepted: the frontend-strict schema must agree.
      must(ComfyJobsListResponse, entry.body, `${file}:${i + 1}`);
    }
  });
});

describe('sweep totals', () => {
  it('checked fixtures and ws lines', () => {
    expect(wsFiles.length).toBeGreaterThanOrEqual(14);
    expect(counts.lines).toBeGreaterThan(200);
    expect(counts.text).toBeGreaterThan(200);
    console.info(
      `fixture sweep: ${jsonFiles.length} .json files, ${wsFiles.length} ws.jsonl files, ` +
        `${counts.lines} ws lines (${counts.text} text, ${counts.binary} binary, ${counts.control} open/close)`,
    );
  });
});
