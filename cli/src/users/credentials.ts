/**
 * @fileoverview Workshop credentials: random secrets and passwords, htpasswd lines (Debian's
 * `htpasswd -B` when installed, else bcryptjs). Relay tokens are the relay's own
 * (kit/user-token.ts `mintUserToken`), which refuses a user id a token cannot carry.
 */
import { randomBytes, randomInt } from 'node:crypto';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import bcrypt from 'bcryptjs';

const execFileAsync = promisify(execFile);

/**
 * nginx checks basic auth with crypt() on every request, synchronously in its worker, so the cost
 * factor is paid per HTTP request of every attendee. 5 is htpasswd's own default; the passwords
 * are long and random, so the hash's cost is not what protects them.
 */
export const BCRYPT_COST = 5;

/** A secret fit for RELAY_SECRET / ADMIN_TOKEN. */
export function randomSecret(bytes = 32): string {
  return randomBytes(bytes).toString('base64url');
}

// No 0/O/1/l/I: organisers read these aloud and attendees type them.
const alphabet = 'abcdefghijkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789';

/** A typeable random password: groups of 4 joined by dashes (~95 bits for the default 16 chars). */
export function randomPassword(length = 16): string {
  const chars = Array.from({ length }, () => alphabet[randomInt(alphabet.length)]);
  return chars
    .join('')
    .match(/.{1,4}/g)!
    .join('-');
}

export type Hasher = {
  name: 'htpasswd' | 'bcryptjs';
  hash: (user: string, password: string) => Promise<string>;
};

/** Hash with bcryptjs: `$2b$` hashes, which glibc/libxcrypt crypt() (nginx) verifies. */
export const bcryptjsHasher: Hasher = {
  name: 'bcryptjs',
  hash: async (user, password) => `${user}:${await bcrypt.hash(password, BCRYPT_COST)}`,
};

/** Debian's apache2-utils `htpasswd -niB`: the password goes through stdin, never argv (visible in ps). */
export function htpasswdHasher(binary = 'htpasswd'): Hasher {
  return {
    name: 'htpasswd',
    hash: async (user, password) => {
      const run = execFileAsync(binary, ['-niB', '-C', String(BCRYPT_COST), user]);
      run.child.stdin?.end(`${password}\n`);
      const { stdout } = await run;
      const line = stdout.trim();
      if (!line.startsWith(`${user}:$2`))
        throw new Error(`htpasswd printed an unexpected line for ${user}`);
      return line;
    },
  };
}

/** `htpasswd -B` when it is installed and works, otherwise bcryptjs. */
export async function defaultHasher(): Promise<Hasher> {
  try {
    const hasher = htpasswdHasher();
    await hasher.hash('probe', 'probe');
    return hasher;
  } catch {
    return bcryptjsHasher;
  }
}

export async function verifyHtpasswdLine(
  line: string,
  user: string,
  password: string,
): Promise<boolean> {
  const [name, hash] = line.split(':', 2);
  return (
    name === user && hash !== undefined && bcrypt.compare(password, hash.replace(/^\$2y\$/, '$2b$'))
  );
}
