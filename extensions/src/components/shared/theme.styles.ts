/**
 * @fileoverview Shared look: ComfyUI's dark theme (Inter, #222 panels, #444 borders, 8 px radius)
 * as CSS custom properties, so hosts can restyle us with `--comfyume-*`.
 */
import { css } from 'lit';

export const themeStyles = css`
  :host {
    --comfyume-bg: var(--comfy-menu-bg, #222);
    --comfyume-bg-raised: var(--comfy-input-bg, #2b2b2b);
    --comfyume-fg: var(--fg-color, #e6e6e6);
    --comfyume-fg-muted: var(--descrip-text, #a0a0a0);
    --comfyume-border: var(--border-color, #444);
    --comfyume-accent: #31b9f4;
    --comfyume-success: #4ade80;
    --comfyume-warning: #f5b94a;
    --comfyume-danger: #f87171;
    --comfyume-radius: 8px;
    font-family: Inter, 'Segoe UI', system-ui, sans-serif;
    font-size: 13px;
    color: var(--comfyume-fg);
    box-sizing: border-box;
  }
  *,
  *::before,
  *::after {
    box-sizing: inherit;
  }
  .sr-only {
    position: absolute;
    width: 1px;
    height: 1px;
    overflow: hidden;
    clip: rect(0 0 0 0);
    white-space: nowrap;
  }
  button {
    font: inherit;
    color: inherit;
  }
`;
