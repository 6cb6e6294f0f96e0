/**
 * @fileoverview One prompt's execution, following ComfyUI's PromptExecutor.execute_async: execution_start,
 * execution_cached, then per node progress_state(running) → executing → [progress…] → executed →
 * progress_state(finished); cached output nodes re-send their UI; errors and interrupts end the run
 * with ComfyUI's payloads. Messages go through the hub with ComfyUI's targeting rules.
 */
import type { Image } from '../images/image';
import type { NodeRegistry } from '../nodes/registry';
import type { Dirs, NodeImpl } from '../nodes/types';
import type { WsHub } from '../server/ws-hub';
import { OutputCache, signatureKeys } from './cache';
import { SimulatedNodeError, InterruptProcessingException } from './errors';
import { reportFailure, type Failure } from './failure-report';
import { DependencyCycleError, ExecutionList } from './graph';
import { ProgressRegistry } from './progress';
import { sendProgress, type ProgressStep } from './progress-hook';
import {
  isLink,
  type ApiPrompt,
  type ExtraData,
  type HistoryResult,
  type NodeMeta,
  type StatusMessage,
  type UiOutput,
} from './types';

export type ExecutorOptions = {
  hub: WsHub;
  registry: NodeRegistry;
  dirs: Dirs;
  stepMs: number;
  previewMethod: 'none' | 'auto';
  failNodeTypes: ReadonlySet<string>;
};

export type ExecutionOutcome = {
  success: boolean;
  messages: StatusMessage[];
  historyResult: HistoryResult;
};

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

export class Executor {
  readonly cache = new OutputCache();
  /** `server.client_id` during a run (null: the prompt had no client_id). */
  clientId: string | null = null;
  lastNodeId: string | undefined;
  private interrupted = false;

  constructor(private readonly options: ExecutorOptions) {}

  /** nodes.interrupt_processing(): the flag is checked before each node and in each progress step. */
  interrupt(): void {
    this.interrupted = true;
  }

  private checkInterrupt(): void {
    if (this.interrupted) {
      this.interrupted = false;
      throw new InterruptProcessingException();
    }
  }

  async execute(
    prompt: ApiPrompt,
    promptId: string,
    extraData: ExtraData,
    executeOutputs: string[],
  ): Promise<ExecutionOutcome> {
    const { hub, registry } = this.options;
    this.interrupted = false;
    this.clientId = typeof extraData.client_id === 'string' ? extraData.client_id : null;
    const clientId = this.clientId;
    const previews = (extraData.preview_method as string | undefined) ?? this.options.previewMethod;
    const messages: StatusMessage[] = [];
    const addMessage = (event: string, data: Record<string, unknown>, broadcast: boolean) => {
      const full = { ...data, timestamp: Date.now() };
      messages.push([event, full]);
      if (clientId !== null || broadcast) hub.send(event, full, clientId);
    };

    addMessage('execution_start', { prompt_id: promptId }, false);
    const progress = new ProgressRegistry(promptId, (data) =>
      hub.send('progress_state', data, clientId),
    );
    this.cache.setPrompt(
      signatureKeys(prompt, {
        isChanged: (id) => {
          const node = prompt[id];
          const impl = node && registry.get(node.class_type);
          return node && impl ? impl.isChanged?.(node.inputs, this.options.dirs) : undefined;
        },
        includeNodeId: (classType) => registry.get(classType)?.notIdempotent ?? false,
      }),
    );
    const cachedNodes = Object.keys(prompt).filter((id) => this.cache.get(id) !== undefined);
    addMessage('execution_cached', { nodes: cachedNodes, prompt_id: promptId }, false);

    const outputs = new Map<string, unknown[]>();
    const uiOutputs = new Map<string, { meta: NodeMeta; output: UiOutput }>();
    const executed: string[] = [];
    const list = new ExecutionList(
      prompt,
      (id) => this.cache.get(id) !== undefined,
      (c) => registry.isOutput(c),
    );
    for (const id of executeOutputs) list.addNode(id);

    let failure: Failure | undefined;
    while (!list.isEmpty()) {
      let nodeId: string;
      try {
        nodeId = list.stage();
      } catch (error) {
        if (!(error instanceof DependencyCycleError)) throw error;
        failure = { nodeId: (error as DependencyCycleError & { nodeId: string }).nodeId, error };
        break;
      }
      failure = await this.runNode(nodeId, {
        prompt,
        promptId,
        extraData,
        progress,
        outputs,
        uiOutputs,
        executed,
        previews,
      });
      if (failure) break;
      list.complete(nodeId);
    }

    let success = true;
    if (failure) {
      success = false;
      reportFailure(failure, prompt, promptId, executed, addMessage, this.options.registry);
    } else addMessage('execution_success', { prompt_id: promptId }, false);

    const historyResult: HistoryResult = { outputs: {}, meta: {} };
    for (const [id, ui] of uiOutputs) {
      historyResult.outputs[id] = ui.output;
      historyResult.meta[id] = ui.meta;
    }
    this.lastNodeId = undefined;
    return { success, messages, historyResult };
  }

  private async runNode(
    nodeId: string,
    run: {
      prompt: ApiPrompt;
      promptId: string;
      extraData: ExtraData;
      progress: ProgressRegistry;
      outputs: Map<string, unknown[]>;
      uiOutputs: Map<string, { meta: NodeMeta; output: UiOutput }>;
      executed: string[];
      previews: string;
    },
  ): Promise<Failure | undefined> {
    const { hub, registry } = this.options;
    const clientId = this.clientId;
    const node = run.prompt[nodeId];
    const impl = node ? registry.get(node.class_type) : undefined;
    if (!node || !impl) return { nodeId, error: new Error(`Node ${nodeId} not found`) };

    const cached = this.cache.get(nodeId);
    if (cached) {
      if (clientId !== null) {
        hub.send(
          'executed',
          {
            node: nodeId,
            display_node: nodeId,
            output: cached.ui?.output ?? null,
            prompt_id: run.promptId,
          },
          clientId,
        );
        if (cached.ui) run.uiOutputs.set(nodeId, cached.ui);
      }
      run.outputs.set(nodeId, cached.outputs);
      run.progress.finish(nodeId);
      return undefined;
    }

    let inputs: Record<string, unknown> | undefined;
    try {
      run.progress.start(nodeId);
      inputs = this.inputData(node.inputs, impl, nodeId, run.prompt, run.extraData, run.outputs);
      if (clientId !== null) {
        this.lastNodeId = nodeId;
        hub.send(
          'executing',
          { node: nodeId, display_node: nodeId, prompt_id: run.promptId },
          clientId,
        );
      }
      this.checkInterrupt();
      if (this.options.failNodeTypes.has(node.class_type)) {
        throw new SimulatedNodeError(
          `Simulated failure of ${node.class_type} (failure injection in the ComfyuME simulator)`,
        );
      }
      const result = await impl.run(inputs, {
        nodeId,
        promptId: run.promptId,
        prompt: run.prompt,
        extraPnginfo: run.extraData.extra_pnginfo,
        dirs: this.options.dirs,
        stepMs: this.options.stepMs,
        work: (ms) => (ms > 0 ? sleep(ms) : Promise.resolve()),
        progress: async (value, max, preview) =>
          this.sendProgress(
            { promptId: run.promptId, nodeId, value, max, progress: run.progress },
            run.previews === 'none' ? undefined : preview,
          ),
      });
      if (result.ui && Object.keys(result.ui).length > 0) {
        const ui = {
          meta: { node_id: nodeId, display_node: nodeId, parent_node: null, real_node_id: nodeId },
          output: result.ui,
        };
        run.uiOutputs.set(nodeId, ui);
        if (clientId !== null)
          hub.send(
            'executed',
            { node: nodeId, display_node: nodeId, output: result.ui, prompt_id: run.promptId },
            clientId,
          );
      }
      run.outputs.set(nodeId, result.result);
      this.cache.set(nodeId, { outputs: result.result, ui: run.uiOutputs.get(nodeId) });
    } catch (error) {
      return { nodeId, error, inputs };
    }
    run.progress.finish(nodeId);
    run.executed.push(nodeId);
    return undefined;
  }

  /** get_input_data: linked values from upstream outputs, widget values, then hidden inputs. */
  private inputData(
    raw: Record<string, unknown>,
    impl: NodeImpl,
    nodeId: string,
    prompt: ApiPrompt,
    extraData: ExtraData,
    outputs: Map<string, unknown[]>,
  ): Record<string, unknown> {
    const def = this.options.registry.definition(impl.name);
    const declared = { ...(def?.input.required ?? {}), ...(def?.input.optional ?? {}) };
    const out: Record<string, unknown> = {};
    for (const [name, value] of Object.entries(raw)) {
      if (isLink(value))
        out[name] =
          (outputs.get(value[0]) ?? this.cache.get(value[0])?.outputs)?.[value[1]] ?? null;
      else if (name in declared) out[name] = value;
    }
    for (const [name, kind] of Object.entries(def?.input.hidden ?? {})) {
      const k = Array.isArray(kind) ? kind[0] : kind;
      if (k === 'PROMPT') out[name] = prompt;
      else if (k === 'EXTRA_PNGINFO') out[name] = extraData.extra_pnginfo ?? null;
      else if (k === 'UNIQUE_ID') out[name] = nodeId;
    }
    return out;
  }

  /** main.py hijack_progress: the interrupt flag first, then ComfyUI's progress messages. */
  private sendProgress(step: ProgressStep, preview: Image | undefined): void {
    this.checkInterrupt();
    sendProgress(this.options.hub, this.clientId, step, preview);
  }
}
