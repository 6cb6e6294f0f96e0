/**
 * @fileoverview A save prefix that leaves the output folder (`filename_prefix: "../../escape_attempt"`).
 * ComfyUI accepts such a prompt and fails when the saver runs (folder_paths.get_save_image_path raises
 * "Saving image outside the output folder is not allowed."). The relay never lets it reach a GPU,
 * so the sidecar predicts that failure here, worded as the attendee's ComfyUI words it (its output
 * folder, its version's traceback), and the job is created failed with it: the browser then sees
 * exactly ComfyUI's run3 sequence. Pure.
 *
 * Simplification: the job fails at the first escaping saver, after only that saver's upstream nodes;
 * other outputs of the same prompt are not run (ComfyUI might have run some of them first).
 */
import type { ComfyNodeDef } from '../../../protocol/src/comfy/http';
import { pyRepr } from '../../../protocol/src/comfy/py-format';
import { saveEscapeMessage } from '../../../kit/output-files/comfy-save-path';
import { abspath, dirname } from '../../../kit/py-path';
import { isDict } from '../../../protocol/src/comfy/py-values';
import type { ComfyFlavor } from '../../../protocol/src/comfy/validate';
import type { SubmitFailure } from '../../../protocol/src/relay/api';

type Node = { class_type: string; inputs: Record<string, unknown> };

/** Preview nodes write to the temp folder under a name ComfyUI picks: no user prefix to escape. */
const NOT_SAVERS = new Set(['PreviewImage', 'PreviewAudio']);

const isLink = (value: unknown): value is [string, number] =>
  Array.isArray(value) &&
  value.length === 2 &&
  typeof value[0] === 'string' &&
  typeof value[1] === 'number';

/** The literal prefix of a node (a string, or a Primitive node's value it is linked to). */
function literalPrefix(prompt: Record<string, Node>, value: unknown): string | undefined {
  if (typeof value === 'string') return value;
  if (!isLink(value)) return undefined;
  const source = prompt[value[0]];
  const literal = source?.inputs.value;
  return source?.class_type.startsWith('Primitive') && typeof literal === 'string'
    ? literal
    : undefined;
}

/** The nodes `nodeId` depends on, in an order ComfyUI can run them (inputs first, input order). */
export function upstreamOrder(prompt: Record<string, Node>, nodeId: string): string[] {
  const order: string[] = [];
  const seen = new Set<string>([nodeId]);
  const visit = (id: string) => {
    for (const value of Object.values(prompt[id]?.inputs ?? {})) {
      if (!isLink(value) || seen.has(value[0]) || !prompt[value[0]]) continue;
      seen.add(value[0]);
      visit(value[0]);
      order.push(value[0]);
    }
  };
  visit(nodeId);
  return order;
}

/** The execution.py and folder_paths.py frames of the failure, per version (recorded in run3). */
function traceback(flavor: ComfyFlavor, root: string, classType: string): string[] {
  const [execute, getOutput, mapList, processInputs, saveImages, savePath] =
    flavor === '0.8' ? [518, 329, 303, 291, 1607, 464] : [542, 341, 315, 303, 1678, 535];
  const pad = (n: number) => '^'.repeat(n);
  const frames = [
    `  File "${root}/execution.py", line ${execute}, in execute\n    output_data, output_ui, has_subgraph, has_pending_tasks = await get_output_data(prompt_id, unique_id, obj, input_data_all, execution_block_cb=execution_block_cb, pre_execute_cb=pre_execute_cb, v3_data=v3_data)\n                                                              ${pad(151)}\n`,
    `  File "${root}/execution.py", line ${getOutput}, in get_output_data\n    return_values = await _async_map_node_over_list(prompt_id, unique_id, obj, input_data_all, obj.FUNCTION, allow_interrupt=True, execution_block_cb=execution_block_cb, pre_execute_cb=pre_execute_cb, v3_data=v3_data)\n                    ${pad(197)}\n`,
    `  File "${root}/execution.py", line ${mapList}, in _async_map_node_over_list\n    await process_inputs(input_dict, i)\n`,
    `  File "${root}/execution.py", line ${processInputs}, in process_inputs\n    result = f(**inputs)\n`,
  ];
  if (classType === 'SaveImage') {
    frames.push(
      `  File "${root}/nodes.py", line ${saveImages}, in save_images\n    full_output_folder, filename, counter, subfolder, filename_prefix = folder_paths.get_save_image_path(filename_prefix, self.output_dir, images[0].shape[1], images[0].shape[0])\n                                                                        ${'~'.repeat(32)}${pad(74)}\n`,
    );
  }
  frames.push(
    `  File "${root}/folder_paths.py", line ${savePath}, in get_save_image_path\n    raise Exception(err)\n`,
  );
  return frames;
}

/**
 * execution.py `format_value` of the failing node's inputs, in declaration order. Linked values were
 * never computed (the prompt never reached a GPU), so they are named instead of shown.
 */
function currentInputs(
  prompt: Record<string, Node>,
  nodeId: string,
  def: ComfyNodeDef | undefined,
  extraData: Record<string, unknown>,
) {
  const inputs = prompt[nodeId]?.inputs ?? {};
  const out: Record<string, unknown[]> = {};
  const declared = [
    ...Object.keys(def?.input.required ?? {}),
    ...Object.keys(def?.input.optional ?? {}),
  ];
  for (const name of declared.length ? declared : Object.keys(inputs)) {
    if (!(name in inputs)) continue;
    const value = inputs[name];
    out[name] = [
      isLink(value)
        ? `<output ${value[1]} of node ${value[0]}: not computed, the prompt never reached a GPU>`
        : value,
    ];
  }
  for (const [name, kind] of Object.entries(def?.input.hidden ?? {})) {
    if (kind === 'PROMPT') out[name] = [pyRepr(prompt)];
    else if (kind === 'EXTRA_PNGINFO')
      out[name] = [isDict(extraData.extra_pnginfo) ? pyRepr(extraData.extra_pnginfo) : null];
    else if (kind === 'UNIQUE_ID') out[name] = [nodeId];
  }
  return out;
}

/**
 * The failure ComfyUI would report for the first output node (in execution order) whose save prefix
 * leaves `outputDir`, or undefined when every prefix stays inside.
 */
export function predictSaveEscape(options: {
  prompt: Record<string, unknown>;
  outputs: readonly string[];
  objectInfo: Record<string, ComfyNodeDef>;
  extraData: Record<string, unknown>;
  outputDir: string;
  flavor: ComfyFlavor;
}): SubmitFailure | undefined {
  const prompt = options.prompt as Record<string, Node>;
  const outputDir = abspath(options.outputDir);
  for (const nodeId of options.outputs) {
    const node = prompt[nodeId];
    if (!node || NOT_SAVERS.has(node.class_type) || !('filename_prefix' in node.inputs)) continue;
    const prefix = literalPrefix(prompt, node.inputs.filename_prefix);
    const message = prefix === undefined ? undefined : saveEscapeMessage(prefix, outputDir);
    if (!message) continue;
    const executed = upstreamOrder(prompt, nodeId);
    return {
      executedNodes: executed,
      error: {
        message: 'Saving image outside the output folder is not allowed.',
        nodeId,
        nodeType: node.class_type,
        exceptionType: 'Exception',
        exceptionMessage: `${message}\n`,
        traceback: traceback(options.flavor, dirname(outputDir), node.class_type),
        currentInputs: currentInputs(
          prompt,
          nodeId,
          options.objectInfo[node.class_type],
          options.extraData,
        ),
        currentOutputs: [nodeId, ...[...executed].reverse()],
      },
    };
  }
  return undefined;
}
