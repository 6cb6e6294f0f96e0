/**
 * @fileoverview The extension's look: ComfyUI's dark theme (Inter, #222 panels, #444 borders, 8 px
 * radius) as CSS custom properties, so hosts can restyle us with `--comfyume-*`; after ui-kit's
 * base styles (sizing, font stack, `.sr-only`).
 */
import { css } from 'lit';
import { baseStyles } from '../../../../ui-kit/theme';

/** The extension's own tokens. */
const extensionStyles = css`
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
    font-size: 13px;
    color: var(--comfyume-fg);
  }
  button {
    color: inherit;
  }
`;

export const themeStyles = [baseStyles, extensionStyles];
