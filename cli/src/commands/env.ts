/**
 * @fileoverview `comfyume env [--write]`: prints .env.example as generated from the config
 * schemas (every variable, its words, default and whether it is required); --write updates the
 * checkout's .env.example.
 */
import { writeFile } from 'node:fs/promises';
import { parseCommandArgs } from '../args';
import { renderEnvExample } from '../env/env-example';
import { repoPath } from '../paths';

const help = `Usage: comfyume env [--write]

Prints every setting of the relay, the sidecar and the Docker deployment, as .env.example
(generated from the config schemas, so it always matches \`relay --help\` and \`sidecar --help\`).

Options:
  --write     write it to .env.example in this checkout
  -h, --help`;

export async function main(args: string[]): Promise<void> {
  const { values } = parseCommandArgs('env', {
    args,
    options: {
      write: { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  if (values.help) {
    console.log(help);
    return;
  }
  const text = renderEnvExample();
  if (!values.write) {
    process.stdout.write(text);
    return;
  }
  const path = repoPath('.env.example');
  await writeFile(path, text);
  console.log(`wrote ${path}`);
}
