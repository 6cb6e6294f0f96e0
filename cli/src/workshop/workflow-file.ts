/**
 * @fileoverview A workflow file the operator publishes, checked before anything is sent: it must be
 * valid JSON and a UI-format ComfyUI workflow (what Save / Export writes, not Export (API)), and its
 * name must be a plain workflow name. Refusals name the file and the reason.
 */
import { readFile } from 'node:fs/promises';
import { basename } from 'node:path';
import { firstZodProblem } from '../../../protocol/src/zod-problems';
import { WorkflowName, workflowProblem } from '../../../protocol/src/relay/workshop';
import { UsageError } from '../args';

export type WorkflowFile = { name: string; workflow: unknown };

export async function readWorkflowFile(file: string, name?: string): Promise<WorkflowFile> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    throw new UsageError(
      `${file}: cannot read it (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`,
    );
  }
  let workflow: unknown;
  try {
    workflow = JSON.parse(text);
  } catch (error) {
    throw new UsageError(`${file}: not valid JSON (${(error as Error).message})`);
  }
  const problem = workflowProblem(workflow);
  if (problem) throw new UsageError(`${file}: not a ComfyUI workflow (${problem})`);
  const wanted = name ?? basename(file);
  const withJson = wanted.endsWith('.json') ? wanted : `${wanted}.json`;
  const valid = WorkflowName.safeParse(withJson);
  if (!valid.success)
    throw new UsageError(
      `${file}: "${withJson}" cannot be a workflow name (${firstZodProblem(valid.error)}); give another with --name`,
    );
  return { name: withJson, workflow };
}
