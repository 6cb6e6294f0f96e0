/**
 * @fileoverview Where a pull worker's uploaded output files wait on the relay until the job's
 * `executed` copies them into the user's store: `<root>/<jobId>@<attempt>/<output|temp>/<name>`.
 * A name is confined to its folder (kit/output-files/confine.ts): a worker cannot write anywhere
 * else, by name or through a symlink. Removed when the attempt ends (the user's store holds the copies).
 */
import { lstat, rm } from 'node:fs/promises';
import { dirname, join, relative } from 'node:path';
import { confinedFolder, confinedPath, subfolderOf } from '../../../../kit/output-files/confine';

const JOB_ID = /^[A-Za-z0-9_-]{1,128}$/;

export class WorkerStaging {
  constructor(readonly root: string) {}

  private dir(jobId: string, attempt: number): string {
    if (!JOB_ID.test(jobId)) throw new Error(`job id "${jobId}" is not one the relay gives`);
    return join(this.root, `${jobId}@${attempt}`);
  }

  /** The staged file for `name` (`sub/x.png`); undefined when the name would leave its folder. */
  pathOrUndefined(
    jobId: string,
    attempt: number,
    type: 'output' | 'temp',
    name: string,
  ): string | undefined {
    const slash = name.lastIndexOf('/');
    try {
      const sub = subfolderOf(slash > 0 ? name.slice(0, slash) : '');
      return confinedPath(join(this.dir(jobId, attempt), type), sub, name.slice(slash + 1));
    } catch {
      return undefined;
    }
  }

  path(jobId: string, attempt: number, type: 'output' | 'temp', name: string): string {
    const path = this.pathOrUndefined(jobId, attempt, type, name);
    if (!path) throw new Error(`output name "${name}" would leave the job's upload folder`);
    return path;
  }

  /**
   * Makes the folder of `target` (a path from `path()`) for an upload; false, with nothing made,
   * when a part of it — or the file or its `.upload` part — is a symlink (nothing here makes one).
   */
  async prepare(jobId: string, attempt: number, type: 'output' | 'temp', target: string) {
    const base = join(this.dir(jobId, attempt), type);
    if (!(await confinedFolder(base, relative(base, dirname(target))))) return false;
    for (const file of [target, `${target}.upload`]) {
      const link = await lstat(file).then(
        (s) => s.isSymbolicLink(),
        () => false,
      );
      if (link) return false;
    }
    return true;
  }

  async remove(jobId: string, attempt: number): Promise<void> {
    await rm(this.dir(jobId, attempt), { recursive: true, force: true });
  }
}
