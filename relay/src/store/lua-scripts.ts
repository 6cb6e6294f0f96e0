/**
 * @fileoverview Loads `lua/<name>-<numberOfKeys>.lua` as ioredis commands (one script per atomic
 * transition, BullMQ's convention) and resolves `--- @include "<name>"` lines from `lua/includes/`,
 * as BullMQ's script-loader does, so Lua that several transitions share (the lanes' member
 * encoding) has one home instead of a copy per script.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Redis } from 'ioredis';
import { guard } from './redis';

const luaDir = join(dirname(fileURLToPath(import.meta.url)), 'lua');

type Command = (...args: (string | number)[]) => Promise<unknown>;

/** Runs a loaded script by name with its keys then its arguments; Redis outages become RedisUnavailableError. */
export type RunScript = (name: string, ...args: (string | number)[]) => Promise<unknown>;

function withIncludes(source: string, file: string): string {
  return source.replace(/^--- @include "(\w+)"$/gm, (_line, name: string) => {
    try {
      return readFileSync(join(luaDir, 'includes', `${name}.lua`), 'utf8');
    } catch {
      throw new Error(`${file} includes "${name}", but lua/includes/${name}.lua is missing`);
    }
  });
}

const loaded = new WeakMap<Redis, RunScript>();

/** The scripts on this connection, defined once however many stores share it. */
export function loadScripts(redis: Redis): RunScript {
  let run = loaded.get(redis);
  if (!run) loaded.set(redis, (run = defineScripts(redis)));
  return run;
}

function defineScripts(redis: Redis): RunScript {
  const commands: Record<string, Command> = {};
  for (const file of readdirSync(luaDir).filter((f) => f.endsWith('.lua'))) {
    const match = /^(\w+)-(\d+)\.lua$/.exec(file);
    if (!match) continue;
    const [, name, numberOfKeys] = match as unknown as [string, string, string];
    // Versionless names are fine: each store instance is one code version.
    redis.defineCommand(`comfyume_${name}`, {
      numberOfKeys: Number(numberOfKeys),
      lua: withIncludes(readFileSync(join(luaDir, file), 'utf8'), file),
    });
    commands[name] = (...args) =>
      (redis as unknown as Record<string, Command>)[`comfyume_${name}`]!(...args);
  }
  return (name, ...args) => guard(() => commands[name]!(...args));
}
