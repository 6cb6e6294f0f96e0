/** @fileoverview The contract between the engine and a simulated node class. */
import type { Image } from '../images/image';
import type { ApiPrompt, UiOutput } from '../engine/types';

export type Dirs = { output: string; input: string; temp: string };

export type NodeContext = {
  nodeId: string;
  promptId: string;
  prompt: ApiPrompt;
  extraPnginfo: Record<string, unknown> | undefined;
  dirs: Dirs;
  stepMs: number;
  /** Simulated compute time (not interruptible, like a torch op). */
  work: (ms: number) => Promise<void>;
  /** ComfyUI's progress hook: checks the interrupt flag, then sends progress_state/preview/progress. */
  progress: (value: number, max: number, preview?: Image) => Promise<void>;
};

export type NodeResult = { result: unknown[]; ui?: UiOutput };

export type NodeImpl = {
  /** Class name (object_info key). */
  name: string;
  outputNode: boolean;
  /** The function name, for tracebacks (`FUNCTION` in ComfyUI). */
  functionName: string;
  /** Python module file for tracebacks. */
  module: string;
  run: (inputs: Record<string, unknown>, ctx: NodeContext) => Promise<NodeResult>;
  /** IS_CHANGED (e.g. LoadImage: the file hash) — part of the cache key. */
  isChanged?: (inputs: Record<string, unknown>, dirs: Dirs) => unknown;
  /** VALIDATE_INPUTS: true or an error string (custom_validation_failed). */
  validateInputs?: (inputs: Record<string, unknown>, dirs: Dirs) => true | string;
  /** Nodes whose hidden UNIQUE_ID or NOT_IDEMPOTENT puts the node id in the cache key. */
  notIdempotent?: boolean;
};
