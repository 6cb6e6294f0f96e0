/**
 * @fileoverview `comfyume token <user>`: print a user's relay token, the HMAC of the user id under
 * RELAY_SECRET (the relay verifies it without a token table). RELAY_SECRET comes from the
 * environment or the workshop home's .env, where `up` and `users` write it.
 */
import { mintUserToken } from '../../../relay/src/auth';
import { parseCommandArgs, UsageError } from '../args';
import { describeHome, workshopHome } from '../home';

const USAGE = `Usage: comfyume token <user>

Prints the relay token for <user>, signed with RELAY_SECRET: from the environment, or else from
the workshop's .env (<home>/.env, where "comfyume up" and "comfyume users" generate it).`;

export async function main(args: string[]): Promise<void> {
  const { values, positionals } = parseCommandArgs('token', {
    args,
    options: { help: { type: 'boolean', short: 'h' } },
    allowPositionals: true,
  });
  if (values.help) {
    console.log(USAGE);
    return;
  }
  const [user, ...extra] = positionals;
  if (!user || extra.length) throw new UsageError(`give exactly one user id\n\n${USAGE}`);
  const secret = process.env.RELAY_SECRET;
  if (!secret) {
    const home = workshopHome();
    throw new Error(
      `RELAY_SECRET is not set: it is neither in the environment nor in ${home.envFile} (workshop home ${describeHome(home)}). ` +
        'Run "comfyume up" or "comfyume users" once to generate it, or set COMFYUME_HOME to the workshop that has it.',
    );
  }
  console.log(mintUserToken(secret, user));
}
