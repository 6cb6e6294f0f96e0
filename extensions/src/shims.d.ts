/**
 * @fileoverview Types for the host frontend's runtime modules. Sources import them by a bare id;
 * vite.config.ts keeps them external and rewrites them to `../../scripts/{app,api}.js`.
 */
declare module 'comfyui-host/app' {
  import type { ComfyApp } from '@comfyorg/comfyui-frontend-types';
  export const app: ComfyApp;
}
declare module 'comfyui-host/api' {
  import type { ComfyApi } from '@comfyorg/comfyui-frontend-types';
  export const api: ComfyApi;
}
