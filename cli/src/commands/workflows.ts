/**
 * @fileoverview `comfyume workflows publish <file.json> [--name <name>] [--default]`: checks the file
 * (valid JSON, a UI-format workflow) and publishes it to every attendee's Workflows sidebar, live,
 * with the toast "New workflow from the instructor".
 */
import { parseCommandArgs, UsageError } from '../args';
import { operatorApi } from '../workshop/operator-api';
import { readWorkflowFile } from '../workshop/workflow-file';

const USAGE = `Usage: comfyume workflows publish <file.json> [--name <name>] [--default] [--relay <url>]

Publishes a UI-format workflow (what ComfyUI's Save / Export writes) to every attendee's Workflows
sidebar within seconds; their pages show "New workflow from the instructor — Open". Publishing a
name again updates it. An attendee who saves it keeps their own copy.

  --name <name>   the name attendees see (default: the file's name)
  --default       open it on an attendee's first visit (instead of WORKSHOP_DEFAULT_WORKFLOW)
  --relay <url>   the relay (default: RELAY_URL, else the workshop "comfyume up" runs from this home)

Needs ADMIN_TOKEN (the environment or the workshop's .env). The folder read at start is
WORKSHOP_WORKFLOWS_DIR ("comfyume up --workflows <dir>").`;

export async function main(args: string[]): Promise<void> {
  const { values, positionals } = parseCommandArgs('workflows', {
    args,
    options: {
      help: { type: 'boolean', short: 'h' },
      name: { type: 'string' },
      default: { type: 'boolean' },
      relay: { type: 'string' },
    },
    allowPositionals: true,
  });
  if (values.help) {
    console.log(USAGE);
    return;
  }
  const [action, file, ...extra] = positionals;
  if (action !== 'publish' || !file || extra.length)
    throw new UsageError(`give "publish" and one workflow file\n\n${USAGE}`);
  const { name, workflow } = await readWorkflowFile(file, values.name);
  const api = await operatorApi(values.relay);
  const query = values.default ? '?default=1' : '';
  await api.send('PUT', `/api/workshop/workflows/${encodeURIComponent(name)}${query}`, workflow);
  console.log(
    `published ${name}${values.default ? ' (the default)' : ''} to every attendee's Workflows sidebar (${api.relayUrl})`,
  );
}
