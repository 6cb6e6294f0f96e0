/** @fileoverview Styles of <comfyume-job-tracker>, modelled on ComfyUI's Job History sidebar. */
import { css } from 'lit';

export const trackerStyles = css`
  :host {
    display: flex;
    flex-direction: column;
    height: 100%;
    min-width: 240px;
    background: var(--comfyume-bg);
  }
  header {
    display: flex;
    align-items: center;
    justify-content: space-between;
    padding: 14px 14px 8px;
  }
  h2 {
    margin: 0;
    font-size: 15px;
    font-weight: 600;
  }
  .status {
    color: var(--comfyume-fg-muted);
    font-size: 11px;
  }
  .status[data-bad] {
    color: var(--comfyume-warning);
  }
  ul {
    list-style: none;
    margin: 0;
    padding: 0 8px 12px;
    overflow-y: auto;
    flex: 1;
  }
  li {
    display: grid;
    grid-template-columns: 36px 1fr auto;
    gap: 10px;
    align-items: center;
    padding: 6px;
    border-radius: 6px;
  }
  li:hover {
    background: var(--comfyume-bg-raised);
  }
  .thumb {
    width: 36px;
    height: 36px;
    border-radius: 4px;
    object-fit: cover;
    background: var(--comfyume-bg-raised);
    display: grid;
    place-items: center;
    color: var(--comfyume-fg-muted);
    font-size: 14px;
  }
  [data-state='failed'] .thumb {
    color: var(--comfyume-danger);
  }
  [data-state='warming_up'] .thumb {
    color: var(--comfyume-warning);
  }
  [data-state='running'] .thumb,
  [data-state='fetching_outputs'] .thumb,
  [data-state='submitting'] .thumb {
    color: var(--comfyume-accent);
  }
  .body {
    min-width: 0;
  }
  .label {
    font-weight: 500;
  }
  .line,
  .error {
    font-size: 12px;
    color: var(--comfyume-fg-muted);
    overflow: hidden;
    display: -webkit-box;
    -webkit-line-clamp: 2;
    -webkit-box-orient: vertical;
  }
  .error {
    color: var(--comfyume-danger);
  }
  .actions button {
    border: 1px solid var(--comfyume-border);
    background: transparent;
    border-radius: 6px;
    padding: 3px 8px;
    font-size: 12px;
    cursor: pointer;
  }
  .actions button:hover,
  .actions button:focus-visible {
    background: var(--comfyume-bg-raised);
    outline: none;
  }
  .actions button.cancel:hover {
    border-color: var(--comfyume-danger);
    color: var(--comfyume-danger);
  }
  .empty {
    padding: 16px 14px;
    color: var(--comfyume-fg-muted);
  }
  .gallery {
    display: flex;
    align-items: center;
    gap: 6px;
    padding: 8px 14px;
    border-top: 1px solid var(--comfyume-border);
    font-size: 12px;
    color: var(--comfyume-fg-muted);
    cursor: pointer;
  }
`;
