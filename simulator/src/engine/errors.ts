/**
 * @fileoverview How a node failure is reported: ComfyUI's execution_error fields (exception_type,
 * exception_message with the "\n<tips>" suffix, traceback frames, current_inputs formatted per value).
 */
import { PyException } from '../files/save-path';
import type { Image } from '../images/image';
import type { NodeImpl } from '../nodes/types';
import { pyRepr } from '../../../protocol/src/comfy/py-format';
import { tensorRepr } from '../util/torch-repr';

/** Raised by the interrupt check (comfy.model_management.InterruptProcessingException). */
export class InterruptProcessingException extends Error {
  constructor() {
    super('Interrupted');
  }
}

const isImageBatch = (value: unknown): value is Image[] =>
  Array.isArray(value) &&
  value.length > 0 &&
  value.every(
    (v) =>
      typeof v === 'object' &&
      v !== null &&
      'data' in v &&
      (v as Image).data instanceof Float32Array,
  );

/** execution.py `format_value`: primitives as is, None as null, everything else `str(x)`. */
export function formatValue(value: unknown): unknown {
  if (value === null || value === undefined) return null;
  if (['number', 'boolean', 'string'].includes(typeof value)) return value;
  if (isImageBatch(value)) return tensorRepr(value);
  return pyRepr(value);
}

const FRAMES_HEAD = [
  '  File "/opt/ComfyUI/execution.py", line 542, in execute\n    output_data, output_ui, has_subgraph, has_pending_tasks = await get_output_data(prompt_id, unique_id, obj, input_data_all, execution_block_cb=execution_block_cb, pre_execute_cb=pre_execute_cb, v3_data=v3_data)\n                                                              ^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^\n',
  '  File "/opt/ComfyUI/execution.py", line 341, in get_output_data\n    return_values = await _async_map_node_over_list(prompt_id, unique_id, obj, input_data_all, obj.FUNCTION, allow_interrupt=True, execution_block_cb=execution_block_cb, pre_execute_cb=pre_execute_cb, v3_data=v3_data)\n                    ^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^\n',
  '  File "/opt/ComfyUI/execution.py", line 315, in _async_map_node_over_list\n    await process_inputs(input_dict, i)\n',
  '  File "/opt/ComfyUI/execution.py", line 303, in process_inputs\n    result = f(**inputs)\n',
];

/** The SaveImage escape traceback, as recorded from ComfyUI 0.27 (run3). */
const SAVE_PATH_FRAMES = [
  '  File "/opt/ComfyUI/nodes.py", line 1678, in save_images\n    full_output_folder, filename, counter, subfolder, filename_prefix = folder_paths.get_save_image_path(filename_prefix, self.output_dir, images[0].shape[1], images[0].shape[0])\n                                                                        ~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^\n',
  '  File "/opt/ComfyUI/folder_paths.py", line 535, in get_save_image_path\n    raise Exception(err)\n',
];

export type NodeFailure = {
  exception_message: string;
  exception_type: string;
  traceback: string[];
};

export function describeFailure(error: unknown, node: NodeImpl): NodeFailure {
  const tips = '';
  if (error instanceof PyException) {
    const frames =
      node.name === 'SaveImage' && error.message.includes('Saving image outside')
        ? SAVE_PATH_FRAMES
        : [nodeFrame(node, 'raise Exception(err)')];
    return {
      exception_message: `${error.message}\n${tips}`,
      exception_type: error.pyType,
      traceback: [...FRAMES_HEAD, ...frames],
    };
  }
  const message = error instanceof Error ? error.message : String(error);
  const type = error instanceof SimulatedNodeError ? 'RuntimeError' : 'Exception';
  return {
    exception_message: `${message}\n${tips}`,
    exception_type: type,
    traceback: [...FRAMES_HEAD, nodeFrame(node, 'raise RuntimeError(message)')],
  };
}

function nodeFrame(node: NodeImpl, line: string): string {
  return `  File "/opt/ComfyUI/${node.module}", line 1, in ${node.functionName}\n    ${line}\n`;
}

/** The failure injected with `failNodeTypes`. */
export class SimulatedNodeError extends Error {}
