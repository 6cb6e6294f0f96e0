/**
 * @fileoverview `comfyume say "…"`: a line of text from the operator, shown as a toast on every
 * attendee's page (plain text, at most BROADCAST_MAX_CHARS characters).
 */
import { BROADCAST_MAX_CHARS } from '../../../protocol/src/relay/workshop';
import { parseCommandArgs, UsageError } from '../args';
import { operatorApi } from '../workshop/operator-api';

const USAGE = `Usage: comfyume say "<message>" [--relay <url>]

Shows the message as a toast on every attendee's page ("From the instructor"): plain text (markup
is shown as typed), at most ${BROADCAST_MAX_CHARS} characters. Needs ADMIN_TOKEN; --relay as for
"comfyume workflows".`;

export async function main(args: string[]): Promise<void> {
  const { values, positionals } = parseCommandArgs('say', {
    args,
    options: { help: { type: 'boolean', short: 'h' }, relay: { type: 'string' } },
    allowPositionals: true,
  });
  if (values.help) {
    console.log(USAGE);
    return;
  }
  const text = positionals.join(' ').trim();
  if (!text) throw new UsageError(`give the message to show\n\n${USAGE}`);
  if (text.length > BROADCAST_MAX_CHARS)
    throw new UsageError(
      `the message is ${text.length} characters; at most ${BROADCAST_MAX_CHARS}`,
    );
  const api = await operatorApi(values.relay);
  await api.send('POST', '/api/workshop/broadcast', { text });
  console.log(`said to every attendee's page (${api.relayUrl})`);
}
