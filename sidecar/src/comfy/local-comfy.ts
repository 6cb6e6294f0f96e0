/**
 * @fileoverview A small client for the local ComfyUI's own queue/history/jobs endpoints, whose
 * answers the sidecar merges with the relay's (§7.2.6). A local ComfyUI that fails or answers
 * nonsense contributes nothing rather than breaking the merged answer.
 */
import type { Logger } from '../logger';
import { bodyText, createHttpPool } from '../net/http-pool';

export type LocalComfy = {
  getJson(path: string): Promise<unknown>;
  /** Forwards a JSON POST (queue/history mutations, interrupt, cancel); undefined when it did not answer. */
  post(path: string, body: unknown): Promise<{ status: number; json: unknown } | undefined>;
  /**
   * Called when the local ComfyUI answers again after it could not be reached (it restarted, maybe
   * as another version): what was read from it before may be stale.
   */
  onBack(listener: () => void): void;
  close(): Promise<void>;
};

export function createLocalComfy(comfyUrl: string, logger: Logger, timeoutMs = 10_000): LocalComfy {
  const pool = createHttpPool(new URL(comfyUrl).origin, { maxSockets: 8, timeoutMs });
  const listeners: (() => void)[] = [];
  let lost = false;
  const reached = () => {
    if (!lost) return;
    lost = false;
    for (const listener of listeners) listener();
  };
  const unreachable = (error: unknown, path: string) => {
    lost = true;
    logger.debug({ err: error, path }, 'local ComfyUI did not answer');
  };
  return {
    async getJson(path) {
      let response;
      try {
        response = await pool.request({
          method: 'GET',
          path,
          headers: { accept: 'application/json' },
        });
      } catch (error) {
        unreachable(error, path);
        return undefined;
      }
      reached();
      try {
        const text = await bodyText(response.body);
        if (response.statusCode !== 200) return undefined;
        return JSON.parse(text) as unknown;
      } catch (error) {
        logger.debug({ err: error, path }, 'local ComfyUI answered something that is not JSON');
        return undefined;
      }
    },
    async post(path, body) {
      try {
        const response = await pool.request({
          method: 'POST',
          path,
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify(body),
        });
        reached();
        const text = await bodyText(response.body);
        let json: unknown;
        try {
          json = text ? (JSON.parse(text) as unknown) : undefined;
        } catch {
          json = undefined;
        }
        return { status: response.statusCode, json };
      } catch (error) {
        unreachable(error, path);
        return undefined;
      }
    },
    onBack(listener) {
      listeners.push(listener);
    },
    close: () => pool.close(),
  };
}
