/**
 * @fileoverview `comfyume token <user>`: print a user's relay token, the HMAC of the user id under
 * RELAY_SECRET (the relay verifies it without a token table).
 */
import { parseArgs } from 'node:util';
import { mintUserToken } from '../../../relay/src/auth';

const USAGE = `Usage: comfyume token <user>

Prints the relay token for <user> (needs RELAY_SECRET in the environment, as the relay has it).`;

export async function main(args: string[]): Promise<void> {
  const { values, positionals } = parseArgs({ args, options: { help: { type: 'boolean', short: 'h' } }, allowPositionals: true, strict: true });
  if (values.help) {
    console.log(USAGE);
    return;
  }
  const [user, ...extra] = positionals;
  if (!user || extra.length) throw new Error(`give exactly one user id\n\n${USAGE}`);
  const secret = process.env.RELAY_SECRET;
  if (!secret) throw new Error('RELAY_SECRET is not set; use the same secret as the relay');
  console.log(mintUserToken(secret, user));
}
