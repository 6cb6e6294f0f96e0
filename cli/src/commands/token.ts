/**
 * @fileoverview `comfyume token <user>`: print a user's relay token, signed under RELAY_SECRET with
 * its issue time (the relay verifies it without a token table). `comfyume token --revoke <user>`
 * refuses that user's tokens issued until now, on every relay within a second (a list in Redis;
 * kit/token-revocations.ts). RELAY_SECRET and REDIS_URL come from the environment or the
 * workshop home's .env, where `up` and `users` write the secret.
 */
import { checkUserId, mintUserToken } from '../../../kit/user-token';
import { checkWorkerName, mintWorkerToken, workerRevocationKey } from '../../../kit/worker-token';
import { parseCommandArgs, UsageError } from '../args';
import { describeHome, workshopHome } from '../home';
import { readStackFile } from '../stack/stack-file';

const USAGE = `Usage: comfyume token <user>
       comfyume token --revoke <user>
       comfyume token --worker <name> [--revoke]

Prints a relay token for <user>, signed with RELAY_SECRET and carrying its issue time: from the
environment, or else from the workshop's .env (<home>/.env, where "comfyume up" and "comfyume users"
generate it). Tokens never expire; each one printed stays valid alongside the earlier ones.

--revoke <user>  refuse every token of <user> issued until now (401 "revoked by the operator"),
                 on every relay within a second; a token printed afterwards works. The list lives
                 in the relay's Redis: REDIS_URL and REDIS_PREFIX from the environment or the
                 workshop's .env, else the Redis of the workshop "comfyume up" runs from this home,
                 else redis://127.0.0.1:6379. Give the attendee's sidecar the new
                 token (RELAY_TOKEN) and restart it.

--worker <name>  a pull worker's token instead (WORKER_TOKEN of \`comfyume worker\` on a GPU box);
                 worker and user tokens are never accepted in each other's place. With --revoke,
                 refuse that worker's tokens issued until now (its socket is closed within a second).

Tokens of the original format (<user>.<signature>, no issue time; e.g. written by "comfyume users")
are refused by a revocation of their user too, and otherwise work until the operator rotates
RELAY_SECRET, which invalidates every user's tokens at once.`;

export async function main(args: string[]): Promise<void> {
  const { values, positionals } = parseCommandArgs('token', {
    args,
    options: {
      help: { type: 'boolean', short: 'h' },
      revoke: { type: 'boolean' },
      worker: { type: 'boolean' },
    },
    allowPositionals: true,
  });
  if (values.help) {
    console.log(USAGE);
    return;
  }
  const [user, ...extra] = positionals;
  if (!user || extra.length) throw new UsageError(`give exactly one user id\n\n${USAGE}`);
  try {
    if (values.worker) checkWorkerName(user);
    else checkUserId(user);
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
  if (values.revoke) return revoke(values.worker ? workerRevocationKey(user) : user, user);
  const secret = process.env.RELAY_SECRET;
  if (!secret) {
    const home = workshopHome();
    throw new Error(
      `RELAY_SECRET is not set: it is neither in the environment nor in ${home.envFile} (workshop home ${describeHome(home)}). ` +
        'Run "comfyume up" or "comfyume users" once to generate it, or set COMFYUME_HOME to the workshop that has it.',
    );
  }
  console.log(
    values.worker
      ? mintWorkerToken(secret, user, Date.now())
      : mintUserToken(secret, user, Date.now()),
  );
}

/** `key`: the user id, or `worker:<name>` for a worker's tokens. */
async function revoke(key: string, user: string): Promise<void> {
  const [{ Redis }, { revokeUserTokens }] = await Promise.all([
    import('ioredis'),
    import('../../../kit/token-revocations'),
  ]);
  const url = process.env.REDIS_URL || (await runningWorkshopRedis()) || 'redis://127.0.0.1:6379';
  const rawPrefix = process.env.REDIS_PREFIX || 'comfyume:';
  const prefix = rawPrefix.endsWith(':') ? rawPrefix : `${rawPrefix}:`;
  const redis = new Redis(url, {
    lazyConnect: true,
    enableOfflineQueue: false,
    maxRetriesPerRequest: 0,
    connectTimeout: 3_000,
    retryStrategy: () => null,
  });
  redis.on('error', () => undefined); // reported by connect() below
  try {
    await redis.connect().catch((error: Error) => {
      throw new Error(
        `cannot reach the relay's Redis at ${url.replace(/\/\/[^@/]*@/, '//***@')} (${error.message}); set REDIS_URL to the Redis the relay uses`,
      );
    });
    const at = await revokeUserTokens(redis, prefix, key);
    const again = key === user ? user : `--worker ${user}`;
    console.log(
      `revoked: tokens of ${key === user ? user : `worker ${user}`} issued before ${new Date(at).toISOString()} are refused; "comfyume token ${again}" prints a new one`,
    );
  } finally {
    redis.disconnect();
  }
}

/** The Redis of the workshop `comfyume up` is running from this home (its port is chosen at start). */
async function runningWorkshopRedis(): Promise<string | undefined> {
  return readStackFile(workshopHome().dataDir).then(
    (stack) => stack.redisUrl,
    () => undefined,
  );
}
