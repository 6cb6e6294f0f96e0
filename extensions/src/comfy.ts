/** @fileoverview The only importer of the host frontend's `/scripts/app.js` and `/scripts/api.js`. */
export { app } from 'comfyui-host/app';
export { api } from 'comfyui-host/api';
export type { ComfyApp, ComfyApi, ComfyExtension } from '@comfyorg/comfyui-frontend-types';
