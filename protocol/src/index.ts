/** @fileoverview The one barrel in the repo: every schema the runtimes share. */
export * from './errors';
export * from './relay/job';
export * from './relay/api';
export * from './relay/events';
// ComfyUI's own shapes (protocol/src/comfy/*) are exported here as they land.
export * from './comfy/py-format';
export * from './comfy/ws';
export * from './comfy/ws-binary';
export * from './comfy/http';
export * from './comfy/validate';
export * from './comfy/jobs';
// The GPU agent's journal, heartbeat and cancel marker on the shared output volume.
export * from './agent/journal';
export * from './agent/paths';
export * from './agent/admin';
