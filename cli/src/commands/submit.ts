/**
 * @fileoverview `comfyume submit <workflow.json> --user user001`: queue an API- or UI-format
 * workflow through an attendee's sidecar exactly as the browser does, show its progress, save its
 * outputs, exit non-zero with the reason on failure.
 */
import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { parseCommandArgs, UsageError } from '../args';
import { workshopHome } from '../home';
import { createProgress } from '../progress';
import { runPrompt, type Progress } from '../client/comfy-client';
import { examplePrompt, variant } from '../client/example-prompt';
import { getJson, parseTarget, type Target } from '../client/target';
import {
  graphToPrompt,
  isApiPrompt,
  isUiWorkflow,
  type ObjectInfo,
} from '../client/graph-to-prompt';
import { readStackFile } from '../stack/stack-file';

const help = `Usage: comfyume submit <workflow.json> [options]
       comfyume submit --example [options]

Queues the workflow (API format, or UI format as saved by ComfyUI) through an attendee's sidecar
the way the browser does, prints its progress and saves its outputs. --example queues a small
model-free workflow instead (EmptyImage → ImageBlur → SaveImage): a job that runs anywhere.

Options:
  --example          queue the built-in example workflow instead of a file
  --user <id>        attendee (default user001); found in the running "comfyume up"
  --url <url>        the sidecar, or nginx's https://host/user001/ (credentials as https://user:pw@host/...)
  --password <pw>    basic-auth password for --user when --url is behind nginx
  --out <dir>        where to save outputs (default ./outputs)
  --previews         also save temp (preview) images
  --timeout <s>      give up after this many seconds (default 600)
  --data-dir <dir>   where "comfyume up" keeps its state (default <home>/data: $COMFYUME_HOME, else
                     this checkout, so it finds the running workshop from any folder)
  -h, --help`;

export async function loadPrompt(
  file: string,
  target: Target,
): Promise<{ prompt: unknown; workflow?: unknown; format: 'api' | 'ui' }> {
  let json: unknown;
  try {
    json = JSON.parse(await readFile(file, 'utf8'));
  } catch (error) {
    throw new Error(`cannot read ${file}: ${(error as Error).message}`);
  }
  // A saved API prompt sometimes arrives wrapped as {prompt: {...}} (the POST body shape).
  const inner = (json as { prompt?: unknown }).prompt;
  if (isApiPrompt(json)) return { prompt: json, format: 'api' };
  if (isApiPrompt(inner))
    return {
      prompt: inner,
      workflow: (json as { extra_data?: { extra_pnginfo?: { workflow?: unknown } } }).extra_data
        ?.extra_pnginfo?.workflow,
      format: 'api',
    };
  if (isUiWorkflow(json)) {
    const objectInfo = await getJson<ObjectInfo>(target, '/api/object_info');
    return { prompt: graphToPrompt(json, objectInfo), workflow: json, format: 'ui' };
  }
  throw new Error(
    `${file} is neither an API-format prompt ({"1": {"class_type": ...}}) nor a UI workflow ({"nodes": [...]})`,
  );
}

export function describeProgress(p: Progress): string {
  const parts: string[] = [p.phase.replace('_', ' ')];
  if (p.phase === 'queued' && p.position)
    parts.push(`position ${p.position}${p.queueLength ? ` of ${p.queueLength}` : ''}`);
  if (p.node && p.max) parts.push(`node ${p.node} step ${p.value ?? 0}/${p.max}`);
  else if (p.node && p.phase === 'running') parts.push(`node ${p.node}`);
  if (p.etaMs !== undefined && p.phase !== 'done')
    parts.push(`eta ${Math.round(p.etaMs / 1000)} s`);
  return parts.join(' · ');
}

export async function resolveTarget(opts: {
  url?: string;
  user: string;
  password?: string;
  dataDir: string;
}): Promise<Target> {
  if (opts.url)
    return parseTarget(
      opts.url,
      opts.password ? { user: opts.user, password: opts.password } : undefined,
    );
  const stack = await readStackFile(opts.dataDir);
  const attendee = stack.attendees.find((a) => a.id === opts.user);
  if (!attendee)
    throw new Error(
      `no attendee "${opts.user}" in the running workshop (it has ${stack.attendees.map((a) => a.id).join(', ')})`,
    );
  return parseTarget(attendee.sidecarUrl);
}

export async function main(args: string[]): Promise<void> {
  const { values, positionals } = parseCommandArgs('submit', {
    args,
    allowPositionals: true,
    options: {
      user: { type: 'string', default: 'user001' },
      example: { type: 'boolean', default: false },
      url: { type: 'string' },
      password: { type: 'string' },
      out: { type: 'string', default: './outputs' },
      previews: { type: 'boolean', default: false },
      timeout: { type: 'string', default: '600' },
      'data-dir': { type: 'string', default: workshopHome().dataDir },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  if (values.help) {
    console.log(help);
    return;
  }
  const file = positionals[0];
  if (values.example ? positionals.length > 0 : !file || positionals.length > 1)
    throw new UsageError(
      'give exactly one workflow file, or --example (see comfyume submit --help)',
    );
  const timeoutS = Number(values.timeout);
  if (!(timeoutS > 0))
    throw new UsageError(`--timeout must be a positive number of seconds, got "${values.timeout}"`);

  const target = await resolveTarget({
    url: values.url,
    user: values.user,
    password: values.password,
    dataDir: resolve(values['data-dir']),
  });
  const { prompt, workflow, format } = file
    ? await loadPrompt(resolve(file), target)
    : { prompt: variant(examplePrompt), workflow: undefined, format: 'api' as const };
  console.log(
    `submitting ${file ?? 'the example workflow'} (${format} format, ${Object.keys(prompt as object).length} nodes) to ${target.baseUrl} as ${values.user}`,
  );

  const task = createProgress().start(`job for ${values.user}`);
  let phase = '';
  const result = await runPrompt(target, prompt, {
    workflow,
    outDir: resolve(values.out),
    includeTemp: values.previews,
    timeoutMs: timeoutS * 1000,
    onProgress: (progress) => {
      const line = describeProgress(progress);
      // A new phase is worth a line in a CI log; sampler steps only refresh the spinner.
      if (progress.phase !== phase) task.mark(line);
      else task.update(line);
      phase = progress.phase;
    },
  });
  const waited = result.startedAt
    ? ((result.startedAt - result.submittedAt) / 1000).toFixed(1)
    : '?';
  const ran = result.startedAt ? ((result.finishedAt - result.startedAt) / 1000).toFixed(1) : '?';
  if (!result.ok) {
    task.fail(`job ${result.promptId} failed`);
    process.exitCode = 1;
    console.error(`job ${result.promptId} failed: ${result.error}`);
    return;
  }
  task.succeed(`job ${result.promptId} done`);
  console.log(`job ${result.promptId} done: waited ${waited} s, ran ${ran} s`);
  if (result.files.length === 0) console.log('  (the workflow produced no output files)');
  for (const f of result.files) console.log(`  saved ${f.path} (${f.bytes} bytes, ${f.type})`);
}
