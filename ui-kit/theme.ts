/**
 * @fileoverview The look both browser UIs share, as one lit `css` block placed before each UI's
 * own theme: border-box sizing, the font stack, buttons that inherit the font, and `.sr-only`.
 * Colours, sizes and radii stay with each UI (ComfyUI's palette in the extension, the
 * dashboard's dark high-contrast one).
 */
import { css } from 'lit';

export const baseStyles = css`
  :host {
    font-family:
      Inter,
      'Segoe UI',
      system-ui,
      -apple-system,
      sans-serif;
    box-sizing: border-box;
  }
  *,
  *::before,
  *::after {
    box-sizing: inherit;
  }
  button {
    font: inherit;
  }
  .sr-only {
    position: absolute;
    width: 1px;
    height: 1px;
    overflow: hidden;
    clip: rect(0 0 0 0);
    white-space: nowrap;
  }
`;
