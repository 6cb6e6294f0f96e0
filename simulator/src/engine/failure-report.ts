/**
 * @fileoverview How a run that failed ends, in ComfyUI's payloads: `execution_interrupted` (sent to
 * every client, as ComfyUI broadcasts it) or `execution_error` with the exception, the node's
 * current inputs and the executed nodes, most recent first.
 */
import type { NodeRegistry } from '../nodes/registry';
import { describeFailure, formatValue, InterruptProcessingException } from './errors';
import { DependencyCycleError } from './graph';
import type { ApiPrompt } from './types';

export type Failure = { nodeId: string; error: unknown; inputs?: Record<string, unknown> };

export function reportFailure(
  failure: Failure,
  prompt: ApiPrompt,
  promptId: string,
  executed: string[],
  addMessage: (event: string, data: Record<string, unknown>, broadcast: boolean) => void,
  registry: NodeRegistry,
): void {
  const classType = prompt[failure.nodeId]?.class_type ?? '';
  // ComfyUI reports a Python set here; its order varies per process. Most recent first matches the recordings.
  const executedList = [...executed].reverse();
  if (failure.error instanceof InterruptProcessingException) {
    addMessage(
      'execution_interrupted',
      {
        prompt_id: promptId,
        node_id: failure.nodeId,
        node_type: classType,
        executed: executedList,
      },
      true,
    );
    return;
  }
  const impl = registry.get(classType);
  const described =
    failure.error instanceof DependencyCycleError
      ? {
          exception_message: 'Dependency cycle detected',
          exception_type: 'graph.DependencyCycleError',
          traceback: [] as string[],
        }
      : impl
        ? describeFailure(failure.error, impl)
        : {
            exception_message: String(failure.error),
            exception_type: 'Exception',
            traceback: [] as string[],
          };
  const currentInputs: Record<string, unknown[]> = {};
  for (const [name, value] of Object.entries(failure.inputs ?? {}))
    currentInputs[name] = [formatValue(value)];
  addMessage(
    'execution_error',
    {
      prompt_id: promptId,
      node_id: failure.nodeId,
      node_type: classType,
      executed: executedList,
      ...described,
      current_inputs: currentInputs,
      current_outputs: Object.keys(prompt).reverse(),
    },
    false,
  );
}
