import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { EnvSchema as RelayEnvSchema } from '../../../relay/src/config';
import { EnvSchema as SidecarEnvSchema } from '../../../sidecar/src/config';
import { envHelp, envVarDocs } from '../../../protocol/src/env/env-docs';
import { repoPath } from '../paths';
import { allEnvDocs, renderEnvExample } from './env-example';

const run = promisify(execFile);

describe('.env.example and --help, generated from the config schemas', () => {
  it('the committed .env.example is what the schemas generate (else: node bin/comfyume.js env --write)', async () => {
    const committed = await readFile(repoPath('.env.example'), 'utf8');
    expect(committed, 'stale .env.example: run `node bin/comfyume.js env --write`').toBe(
      renderEnvExample(),
    );
  });

  it('marks required variables and reads defaults and choices from the schema', () => {
    const relay = new Map(envVarDocs(RelayEnvSchema).map((d) => [d.name, d]));
    const sidecar = new Map(envVarDocs(SidecarEnvSchema).map((d) => [d.name, d]));
    expect(relay.get('RELAY_SECRET')).toMatchObject({ required: true });
    expect(relay.get('SERVERLESS_CAPACITY')).toMatchObject({ required: false, default: '4' });
    expect(relay.get('SERVERLESS_ENDPOINT')).toMatchObject({ required: false, default: undefined });
    expect(relay.get('INFERENCE_MODE')?.choices).toEqual([
      'serverless',
      'direct',
      'simulated',
      'workers',
    ]);
    for (const name of ['COMFYUI_OUTPUT_DIR', 'COMFYUI_TEMP_DIR', 'COMFYUI_INPUT_DIR', 'RELAY_URL'])
      expect(sidecar.get(name), name).toMatchObject({ required: true });
    const example = renderEnvExample();
    expect(example).toMatch(/ \[required\]\nCOMFYUI_OUTPUT_DIR=\n/);
    expect(example).toContain('\n# SERVERLESS_CAPACITY=4\n');
    expect(example).not.toMatch(/empty values? mean "use the default"/i);
  });

  it('a variable without .describe() text is refused, naming it', () => {
    const schema = z.object({
      GOOD: z.string().describe('fine'),
      NEW_THING: z.coerce.number().default(3),
    });
    expect(() => envVarDocs(schema)).toThrow(/NEW_THING has no \.describe/);
    // A running --help still works, and says so.
    expect(envHelp(schema)).toContain('NEW_THING  (default 3)\n      (not described yet)');
  });

  it('relay --help and sidecar --help list every variable with the words of .env.example', async () => {
    const example = renderEnvExample().replace(/\n# /g, ' ');
    for (const [command, schema] of [
      ['relay', RelayEnvSchema],
      ['sidecar', SidecarEnvSchema],
    ] as const) {
      const { stdout } = await run(process.execPath, [
        repoPath('bin', 'comfyume.js'),
        command,
        '--help',
      ]);
      const help = stdout.replace(/\n\s+/g, ' ');
      for (const doc of envVarDocs(schema)) {
        expect(help, `${command} --help names ${doc.name}`).toContain(
          `${doc.name}${doc.required ? '  [required]' : ''}`,
        );
        expect(help, `${command} --help describes ${doc.name}`).toContain(doc.description);
        expect(example, `.env.example describes ${doc.name}`).toContain(doc.description);
      }
    }
  });

  it('each variable is written once, shared ones with the same words', () => {
    const names = allEnvDocs().flatMap((s) => s.docs.map((d) => d.name));
    expect(new Set(names).size).toBe(names.length);
    expect(names).toContain('LOG_LEVEL');
  });
});
