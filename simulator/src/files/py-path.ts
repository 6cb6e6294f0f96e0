/** @fileoverview Python `os.path` semantics, shared with the sidecar: see protocol/src/comfy/py-path.ts. */
export * from '../../../protocol/src/comfy/py-path';
