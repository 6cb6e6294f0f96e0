/**
 * @fileoverview `<data>/up/stack.json`: what `comfyume up` is running (URLs, credentials), so
 * `comfyume submit` and `comfyume rehearse` find each attendee without being told. Mode 600.
 */
import { chmod, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';

export const StackAttendee = z.object({
  id: z.string(),
  sidecarUrl: z.string(),
  comfyuiUrl: z.string(),
  nginxUrl: z.string().optional(),
  password: z.string(),
});
export type StackAttendee = z.infer<typeof StackAttendee>;

export const StackFile = z.object({
  pid: z.number(),
  startedAt: z.string(),
  relayUrl: z.string(),
  redisUrl: z.string(),
  nginxUrl: z.string().optional(),
  prometheusUrl: z.string().optional(),
  admin: z.object({ user: z.string(), password: z.string(), token: z.string() }),
  attendees: z.array(StackAttendee),
  /** Every child process, so an operator (or a test) can see that Ctrl-C left none behind. */
  processes: z.array(z.object({ name: z.string(), pid: z.number() })).default([]),
});
export type StackFile = z.infer<typeof StackFile>;

export const stackFilePath = (dataDir: string): string => join(dataDir, 'up', 'stack.json');

export async function writeStackFile(
  dataDir: string,
  stack: z.input<typeof StackFile>,
): Promise<void> {
  const path = stackFilePath(dataDir);
  await writeFile(path, `${JSON.stringify(stack, null, 2)}\n`, { mode: 0o600 });
  await chmod(path, 0o600);
}

export async function removeStackFile(dataDir: string): Promise<void> {
  await rm(stackFilePath(dataDir), { force: true });
}

/** No `comfyume up` runs from that data folder. */
export class NoWorkshopError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'NoWorkshopError';
  }
}

/** The running stack, or a message saying how to start one. */
export async function readStackFile(dataDir: string): Promise<StackFile> {
  const path = stackFilePath(dataDir);
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch {
    throw new NoWorkshopError(
      `no workshop is running from ${dataDir} (${path} is missing): start one with "comfyume up" ` +
        `(it uses the same workshop home: $COMFYUME_HOME or else this checkout), or pass --data-dir/--url`,
    );
  }
  const stack = StackFile.parse(JSON.parse(text));
  try {
    process.kill(stack.pid, 0);
  } catch {
    throw new NoWorkshopError(
      `the workshop in ${dataDir} is not running any more (its "comfyume up", pid ${stack.pid}, has exited): start it again with "comfyume up", or pass --url`,
    );
  }
  return stack;
}
