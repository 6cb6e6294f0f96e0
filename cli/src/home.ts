/**
 * @fileoverview The workshop home: one rule, used by every command, for where a workshop's
 * settings and state live, so `submit`, `rehearse` and `token` work from any folder.
 *
 *   home = $COMFYUME_HOME if set, else this checkout (the folder holding bin/comfyume.js)
 *   <home>/.env   settings and secrets, read by every command (the environment wins)
 *   <home>/data/  state: logs, credentials, data/up/stack.json (what `up` runs)
 *
 * The checkout is the default because the CLI always runs from one: a fresh clone works from
 * any folder without setup, and COMFYUME_HOME gives a second workshop its own home.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parse } from 'dotenv';
import { repoRoot } from './paths';

export type WorkshopHome = Readonly<{
  dir: string;
  envFile: string;
  dataDir: string;
  /** Why this folder: shown in messages so an operator can tell which workshop a command used. */
  source: 'COMFYUME_HOME' | 'checkout';
}>;

export function workshopHome(env: NodeJS.ProcessEnv = process.env): WorkshopHome {
  const fromEnv = env.COMFYUME_HOME?.trim();
  const dir = resolve(fromEnv || repoRoot);
  return Object.freeze({
    dir,
    envFile: join(dir, '.env'),
    dataDir: join(dir, 'data'),
    source: fromEnv ? 'COMFYUME_HOME' : 'checkout',
  });
}

/** "the workshop home /srv/ws (COMFYUME_HOME)", for messages. */
export function describeHome(home: WorkshopHome): string {
  return `${home.dir} (${home.source === 'COMFYUME_HOME' ? 'COMFYUME_HOME' : 'this checkout; set COMFYUME_HOME for another'})`;
}

/**
 * Reads `<home>/.env` into `env`: a variable already set (non-empty) in the environment wins,
 * and an empty value in the file means "unset" (so a copied .env.example changes nothing).
 * Returns the names it set.
 */
export function loadHomeEnv(home: WorkshopHome, env: NodeJS.ProcessEnv = process.env): string[] {
  if (!existsSync(home.envFile)) return [];
  const values = parse(readFileSync(home.envFile, 'utf8'));
  const set: string[] = [];
  for (const [name, value] of Object.entries(values)) {
    if (value.trim() === '' || (env[name] ?? '') !== '') continue;
    env[name] = value;
    set.push(name);
  }
  return set;
}
