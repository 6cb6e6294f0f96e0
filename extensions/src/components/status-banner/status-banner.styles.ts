/** @fileoverview Styles of <comfyume-status-banner>: a slim pill top-centre under the menu bar. */
import { css } from 'lit';

export const bannerStyles = css`
  :host {
    position: fixed;
    /* Below the workflow tabs (32 px) and level with the Graph button and Run action bar, in the gap
       between them, so it never covers Run (top right) or the node library (left). */
    top: 42px;
    left: 50%;
    transform: translateX(-50%);
    z-index: 1000;
    width: max-content;
    max-width: min(520px, calc(100vw - 820px));
    min-width: 260px;
    pointer-events: none;
  }
  /* Narrow windows: no room between the Graph button and Run; sit bottom-left, over the canvas stats. */
  @media (max-width: 1100px) {
    :host {
      top: auto;
      bottom: 16px;
      left: 64px;
      transform: none;
      max-width: calc(100vw - 300px);
    }
  }
  :host([compact]) {
    min-width: 0;
  }
  :host([hidden]),
  .banner[hidden] {
    display: none;
  }
  .banner {
    pointer-events: auto;
    position: relative;
    display: flex;
    align-items: center;
    gap: 10px;
    padding: 7px 8px 7px 12px;
    background: var(--comfyume-bg);
    border: 1px solid var(--comfyume-border);
    border-radius: var(--comfyume-radius);
    box-shadow: 0 4px 16px rgb(0 0 0 / 0.35);
    overflow: hidden;
    line-height: 1.3;
    transition:
      opacity 0.6s ease,
      padding 0.6s ease,
      font-size 0.6s ease;
  }
  /* A settled outcome ("Done in 12 s"): small and quiet, so a room's screens are not full of it. */
  .banner[data-compact] {
    padding: 3px 4px 3px 10px;
    font-size: 12px;
    opacity: 0.75;
    box-shadow: none;
  }
  .banner[data-compact]:hover {
    opacity: 1;
  }
  .banner[data-compact] .close {
    width: 18px;
    height: 18px;
    font-size: 13px;
  }
  .banner[data-tone='warning'] {
    border-color: color-mix(in srgb, var(--comfyume-warning) 55%, var(--comfyume-border));
  }
  .banner[data-tone='danger'] {
    border-color: color-mix(in srgb, var(--comfyume-danger) 60%, var(--comfyume-border));
  }
  .banner[data-tone='success'] {
    border-color: color-mix(in srgb, var(--comfyume-success) 45%, var(--comfyume-border));
  }
  .icon {
    flex: none;
    width: 16px;
    height: 16px;
    display: grid;
    place-items: center;
    font-size: 13px;
    font-weight: 700;
  }
  .spinner {
    width: 14px;
    height: 14px;
    border-radius: 50%;
    border: 2px solid color-mix(in srgb, currentColor 25%, transparent);
    border-top-color: currentColor;
    animation: spin 0.9s linear infinite;
  }
  @keyframes spin {
    to {
      transform: rotate(360deg);
    }
  }
  @media (prefers-reduced-motion: reduce) {
    .spinner {
      animation: none;
    }
  }
  [data-tone='progress'] .icon {
    color: var(--comfyume-accent);
  }
  [data-tone='warning'] .icon {
    color: var(--comfyume-warning);
  }
  [data-tone='success'] .icon {
    color: var(--comfyume-success);
  }
  [data-tone='danger'] .icon {
    color: var(--comfyume-danger);
  }
  [data-tone='neutral'] .icon {
    color: var(--comfyume-fg-muted);
  }
  .text {
    min-width: 0;
    flex: 1;
  }
  .title {
    font-weight: 600;
    overflow: hidden;
    text-overflow: ellipsis;
    white-space: nowrap;
  }
  /* A failure's reason is the point of the banner: let it take two lines rather than cut it. */
  [data-phase='failed'] .title {
    white-space: normal;
    display: -webkit-box;
    -webkit-line-clamp: 2;
    -webkit-box-orient: vertical;
  }
  .detail {
    color: var(--comfyume-fg-muted);
    font-size: 12px;
    overflow: hidden;
    text-overflow: ellipsis;
    white-space: nowrap;
  }
  .close {
    flex: none;
    width: 24px;
    height: 24px;
    border: none;
    border-radius: 6px;
    background: transparent;
    color: var(--comfyume-fg-muted);
    cursor: pointer;
    font-size: 16px;
    line-height: 1;
  }
  .close:hover,
  .close:focus-visible {
    background: var(--comfyume-bg-raised);
    color: var(--comfyume-fg);
    outline: none;
  }
  .bar {
    position: absolute;
    left: 0;
    bottom: 0;
    height: 2px;
    background: var(--comfyume-accent);
    transition: width 0.3s ease;
  }
`;
