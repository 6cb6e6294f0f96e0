/**
 * @fileoverview The operator's calls to the relay's workshop API (`comfyume workflows publish`,
 * `comfyume say`): which relay (`--relay`, RELAY_URL, the workshop `comfyume up` runs from this
 * home, else 127.0.0.1:3000), the operator token (ADMIN_TOKEN from the environment or the home's
 * .env), and the relay's refusals as one line a person can act on (never the token).
 */
import { ErrorBody } from '../../../protocol/src/errors';
import { describeHome, workshopHome } from '../home';
import { readStackFile } from '../stack/stack-file';

export type OperatorApi = {
  relayUrl: string;
  /** Sends a JSON body; resolves to the answer's JSON, throws with the relay's reason. */
  send(method: 'PUT' | 'POST', path: string, body: unknown): Promise<unknown>;
};

async function relayUrlFor(flag: string | undefined): Promise<string> {
  if (flag) return flag;
  if (process.env.RELAY_URL) return process.env.RELAY_URL;
  const running = await readStackFile(workshopHome().dataDir).then(
    (stack) => stack.relayUrl,
    () => undefined,
  );
  return running ?? 'http://127.0.0.1:3000';
}

export async function operatorApi(relayFlag?: string): Promise<OperatorApi> {
  const token = process.env.ADMIN_TOKEN;
  if (!token) {
    const home = workshopHome();
    throw new Error(
      `ADMIN_TOKEN is not set: it is neither in the environment nor in ${home.envFile} (workshop home ${describeHome(home)}). ` +
        'Run "comfyume up" or "comfyume users" once to generate it, or set COMFYUME_HOME to the workshop that has it.',
    );
  }
  const relayUrl = (await relayUrlFor(relayFlag)).replace(/\/+$/, '');
  return {
    relayUrl,
    async send(method, path, body) {
      let response: Response;
      try {
        response = await fetch(`${relayUrl}${path}`, {
          method,
          headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
          body: JSON.stringify(body),
          signal: AbortSignal.timeout(15_000),
        });
      } catch (error) {
        throw new Error(
          `cannot reach the relay at ${relayUrl} (${(error as Error).message}); give --relay <url> or set RELAY_URL`,
        );
      }
      const text = await response.text();
      let json: unknown;
      try {
        json = text ? (JSON.parse(text) as unknown) : undefined;
      } catch {
        json = undefined;
      }
      if (response.ok) return json;
      const refusal = ErrorBody.safeParse(json);
      throw new Error(
        refusal.success
          ? `the relay refused it (${response.status} ${refusal.data.error.code}): ${refusal.data.error.message}`
          : `the relay answered HTTP ${response.status}`,
      );
    },
  };
}
