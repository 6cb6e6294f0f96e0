/**
 * @fileoverview The workshop's workflows: the operator's folder (WORKSHOP_WORKFLOWS_DIR, read at
 * start; a file that is not a UI-format workflow is skipped with its reason in the log) and the ones
 * published live, kept in Redis so every relay replica lists the same set (a published workflow
 * shadows a folder file of the same name). One workflow may be marked default: the one our extension
 * opens on an attendee's first visit.
 */
import { readdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import {
  firstZodProblem,
  WorkflowName,
  workflowProblem,
  type WorkshopWorkflowInfo,
  type WorkshopWorkflowList,
} from '../../../protocol/src/index';
import { RelayError } from '../errors';

/** A workflow as kept: its JSON text and when it changed. */
type StoredWorkflow = { json: string; modified: number };

export type WorkflowLibraryOptions = {
  redis: Pick<Redis, 'hget' | 'hgetall' | 'hset' | 'get' | 'set'>;
  /** Redis hash of published workflows (name → StoredWorkflow JSON) and the default's key. */
  keys: { published: string; default: string };
  /** The operator's folder of UI-format workflow files, when configured. */
  folder?: string;
  /** The folder's workflow to open by default, until one is published as default. */
  defaultName?: string;
  logger: Logger;
};

export class WorkflowLibrary {
  private folderWorkflows = new Map<string, StoredWorkflow>();

  constructor(private readonly options: WorkflowLibraryOptions) {}

  /** Reads the operator's folder (its top level); a bad file is logged and left out, never fatal. */
  async loadFolder(): Promise<void> {
    const { folder, logger } = this.options;
    if (!folder) return;
    const found = new Map<string, StoredWorkflow>();
    let names: string[];
    try {
      names = await readdir(folder);
    } catch (error) {
      logger.warn(
        { folder, err: (error as Error).message },
        'cannot read WORKSHOP_WORKFLOWS_DIR; attendees see no workshop workflows from it',
      );
      return;
    }
    for (const name of names.sort()) {
      if (!name.endsWith('.json')) continue;
      const file = join(folder, name);
      const refuse = (reason: string) =>
        logger.warn({ file, reason }, 'skipped a workshop workflow file');
      if (!WorkflowName.safeParse(name).success) {
        refuse(
          'the file name is not a plain workflow name (letters, digits, spaces, ending .json)',
        );
        continue;
      }
      try {
        const info = await stat(file);
        if (!info.isFile()) continue;
        const text = await readFile(file, 'utf8');
        let value: unknown;
        try {
          value = JSON.parse(text);
        } catch (error) {
          refuse(`not valid JSON: ${(error as Error).message}`);
          continue;
        }
        const problem = workflowProblem(value);
        if (problem) {
          refuse(`not a ComfyUI workflow: ${problem}`);
          continue;
        }
        found.set(name, { json: JSON.stringify(value), modified: Math.round(info.mtimeMs) });
      } catch (error) {
        refuse((error as Error).message);
      }
    }
    this.folderWorkflows = found;
    logger.info({ folder, workflows: found.size }, 'workshop workflows read');
  }

  private async published(): Promise<Map<string, StoredWorkflow>> {
    const all = await this.options.redis.hgetall(this.options.keys.published);
    const result = new Map<string, StoredWorkflow>();
    for (const [name, value] of Object.entries(all)) {
      try {
        result.set(name, JSON.parse(value) as StoredWorkflow);
      } catch {
        this.options.logger.warn({ name }, 'ignoring an unreadable published workflow');
      }
    }
    return result;
  }

  async list(): Promise<WorkshopWorkflowList> {
    const published = await this.published();
    const infos = new Map<string, WorkshopWorkflowInfo>();
    const add = (name: string, w: StoredWorkflow, source: WorkshopWorkflowInfo['source']) =>
      infos.set(name, {
        name,
        size: Buffer.byteLength(w.json),
        modified: w.modified,
        source,
      });
    for (const [name, w] of this.folderWorkflows) add(name, w, 'folder');
    for (const [name, w] of published) add(name, w, 'published');
    const marked =
      (await this.options.redis.get(this.options.keys.default)) ?? this.options.defaultName;
    const list: WorkshopWorkflowList = {
      workflows: [...infos.values()].sort((a, b) => a.name.localeCompare(b.name)),
    };
    if (marked && infos.has(marked)) list.default = marked;
    return list;
  }

  /** The workflow's JSON text, or undefined when the workshop has none by that name. */
  async read(name: string): Promise<string | undefined> {
    const published = await this.options.redis.hget(this.options.keys.published, name);
    if (published) {
      try {
        return (JSON.parse(published) as StoredWorkflow).json;
      } catch {
        return undefined;
      }
    }
    return this.folderWorkflows.get(name)?.json;
  }

  /** Stores a new or updated workflow for every relay; throws `bad_request` with the reason when it is not one. */
  async publish(
    name: string,
    workflow: unknown,
    options: { isDefault: boolean },
  ): Promise<WorkshopWorkflowInfo> {
    const validName = WorkflowName.safeParse(name);
    if (!validName.success)
      throw new RelayError(
        'bad_request',
        `"${name}" is not a workflow name: ${firstZodProblem(validName.error)}`,
      );
    const problem = workflowProblem(workflow);
    if (problem) throw new RelayError('bad_request', `not a ComfyUI workflow: ${problem}`);
    const stored: StoredWorkflow = { json: JSON.stringify(workflow), modified: Date.now() };
    await this.options.redis.hset(this.options.keys.published, name, JSON.stringify(stored));
    if (options.isDefault) await this.options.redis.set(this.options.keys.default, name);
    return {
      name,
      size: Buffer.byteLength(stored.json),
      modified: stored.modified,
      source: 'published',
    };
  }
}
