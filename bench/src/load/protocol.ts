/**
 * @fileoverview Messages between the bench process and its load-client child process. Load is
 * generated in a separate process so the clients' own parsing does not run on the event loop of
 * the servers being measured; times are CLOCK_MONOTONIC milliseconds, comparable across processes.
 */
import type { WorkflowSize } from '../workflow';

/** GET one URL from `concurrency` keep-alive clients until `durationMs` or `maxRequests`. */
export type ViewCommand = {
  cmd: 'view';
  url: string;
  concurrency: number;
  durationMs: number;
  maxRequests: number;
};
export type ViewResult = {
  requests: number;
  failures: number;
  bytes: number;
  elapsedMs: number;
  latenciesMs: number[];
};

/** POST jobs as fast as `concurrency` clients can, until `count` or `maxMs`. */
export type SubmitCommand = {
  cmd: 'submit';
  target: 'relay' | 'comfy';
  url: string;
  /** Relay user tokens, used round robin (relay target only). */
  tokens: string[];
  count: number;
  concurrency: number;
  maxMs: number;
  size: WorkflowSize;
};
export type SubmitResult = {
  accepted: number;
  failures: number;
  firstFailure?: string;
  elapsedMs: number;
  latenciesMs: number[];
};

/** Open WebSockets and record every `bench.ping` they receive. */
export type SubscribeCommand = {
  cmd: 'subscribe';
  /** `hello` is sent once open (a browser tab's feature_flags). */
  sockets: { url: string; token?: string; hello?: string }[];
  concurrency: number;
};
export type SubscribeResult = { open: number; failures: number; firstFailure?: string };
/** Receipts so far as [socket index, seq, monotonic ms], then forget them. */
export type CollectCommand = { cmd: 'collect' };
export type CollectResult = { receipts: [number, number, number][] };
export type CloseSocketsCommand = { cmd: 'close-sockets' };
/** Text frames each socket received so far, by frame `type` (indexed like `subscribe`'s sockets), then forget them. */
export type FramesCommand = { cmd: 'frames' };
export type FramesResult = { counts: Record<string, number>[] };

export type Command =
  | ViewCommand
  | SubmitCommand
  | SubscribeCommand
  | CollectCommand
  | CloseSocketsCommand
  | FramesCommand;
export type ResultOf<C extends Command> = C extends ViewCommand
  ? ViewResult
  : C extends SubmitCommand
    ? SubmitResult
    : C extends SubscribeCommand
      ? SubscribeResult
      : C extends CollectCommand
        ? CollectResult
        : C extends FramesCommand
          ? FramesResult
          : Record<string, never>;

export type Request = { id: number; command: Command };
export type Response =
  { id: number; ok: true; result: unknown } | { id: number; ok: false; error: string };
