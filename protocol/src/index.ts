/** @fileoverview The one barrel in the repo: every schema the runtimes share. */
export * from './errors';
export * from './zod-problems';
export * from './relay/job';
export * from './relay/api';
export * from './relay/events';
export * from './relay/workshop';
// ComfyUI's own shapes (protocol/src/comfy/*) are exported here as they land.
export * from './comfy/py-format';
export * from './comfy/ws';
export * from './comfy/ws-binary';
export * from './comfy/http';
export * from './comfy/validate';
export * from './comfy/jobs';
export * from './relay/stream-id';
// The browser's message sequence (one owner for what ComfyUI would send the tab).
export * from './comfy/sequence/facts';
export * from './comfy/sequence/terminal';
export * from './comfy/sequence/version';
export * from './comfy/sequence/sequence-book';
// The GPU agent's journal, heartbeat and cancel marker on the shared output volume.
export * from './agent/journal';
export * from './agent/paths';
export * from './agent/admin';
// The pull-worker protocol (a GPU box's outbound socket to the relay).
export * from './relay/worker';
