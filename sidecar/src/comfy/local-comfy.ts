/**
 * @fileoverview A small client for the local ComfyUI's own queue/history/jobs endpoints, whose
 * answers the sidecar merges with the relay's (§7.2.6). A local ComfyUI that fails or answers
 * nonsense contributes nothing rather than breaking the merged answer.
 */
import { Pool } from 'undici';
import type { Logger } from '../logger';

export type LocalComfy = {
  getJson(path: string): Promise<unknown>;
  /** Forwards a JSON POST (queue/history mutations, interrupt, cancel); undefined when it did not answer. */
  post(path: string, body: unknown): Promise<{ status: number; json: unknown } | undefined>;
  close(): Promise<void>;
};

export function createLocalComfy(comfyUrl: string, logger: Logger, timeoutMs = 10_000): LocalComfy {
  const pool = new Pool(new URL(comfyUrl).origin, { connections: 8, headersTimeout: timeoutMs, bodyTimeout: timeoutMs });
  return {
    async getJson(path) {
      try {
        const response = await pool.request({ method: 'GET', path, headers: { accept: 'application/json' } });
        const text = await response.body.text();
        if (response.statusCode !== 200) return undefined;
        return JSON.parse(text) as unknown;
      } catch (error) {
        logger.debug({ err: error, path }, 'local ComfyUI did not answer');
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
        const text = await response.body.text();
        let json: unknown;
        try {
          json = text ? (JSON.parse(text) as unknown) : undefined;
        } catch {
          json = undefined;
        }
        return { status: response.statusCode, json };
      } catch (error) {
        logger.debug({ err: error, path }, 'local ComfyUI did not answer');
        return undefined;
      }
    },
    async close() {
      await pool.close().catch(() => pool.destroy());
    },
  };
}
