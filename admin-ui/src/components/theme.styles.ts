/**
 * @fileoverview The dashboard's look: a dark, high-contrast theme for a dim room at 2 a.m., as
 * CSS custom properties, plus the shared pieces (panels, tables, state badges, buttons); after
 * ui-kit's base styles (sizing, font stack, `.sr-only`).
 */
import { css } from 'lit';
import { baseStyles } from '../../../ui-kit/theme';

/** The dashboard's own tokens and pieces. */
const dashboardStyles = css`
  :host {
    --bg: #0e1116;
    --panel: #161a22;
    --panel-raised: #1d222c;
    --border: #272d3a;
    --fg: #e7eaf0;
    --muted: #8d96aa;
    --accent: #5aa9ff;
    --ok: #3ecf8e;
    --warn: #f5b94a;
    --bad: #ff6b6b;
    --busy: #5aa9ff;
    --radius: 10px;
    font-size: 14px;
    color: var(--fg);
  }
  .panel {
    background: var(--panel);
    border: 1px solid var(--border);
    border-radius: var(--radius);
    padding: 14px 16px;
    min-width: 0;
  }
  .panel > h2 {
    margin: 0 0 10px;
    font-size: 12px;
    font-weight: 600;
    letter-spacing: 0.08em;
    text-transform: uppercase;
    color: var(--muted);
    display: flex;
    align-items: center;
    gap: 8px;
  }
  .panel > h2 .count {
    color: var(--fg);
    background: var(--panel-raised);
    border-radius: 999px;
    padding: 1px 8px;
    letter-spacing: 0;
  }
  table {
    width: 100%;
    border-collapse: collapse;
    font-variant-numeric: tabular-nums;
  }
  th {
    text-align: left;
    font-weight: 500;
    font-size: 12px;
    color: var(--muted);
    padding: 6px 8px;
    border-bottom: 1px solid var(--border);
    white-space: nowrap;
  }
  td {
    padding: 7px 8px;
    border-bottom: 1px solid color-mix(in srgb, var(--border) 60%, transparent);
    vertical-align: top;
  }
  tr:last-child td {
    border-bottom: none;
  }
  .num {
    text-align: right;
  }
  .muted {
    color: var(--muted);
  }
  .mono {
    font-family: 'JetBrains Mono', ui-monospace, 'SFMono-Regular', Menlo, monospace;
    font-size: 12.5px;
  }
  .badge {
    display: inline-flex;
    align-items: center;
    gap: 6px;
    padding: 2px 9px 2px 7px;
    border-radius: 999px;
    font-size: 12px;
    font-weight: 600;
    white-space: nowrap;
    background: color-mix(in srgb, var(--tone) 16%, transparent);
    color: var(--tone);
  }
  .badge::before {
    content: '';
    width: 7px;
    height: 7px;
    border-radius: 50%;
    background: var(--tone);
  }
  [data-tone='ok'] {
    --tone: var(--ok);
  }
  [data-tone='busy'] {
    --tone: var(--busy);
  }
  [data-tone='warn'] {
    --tone: var(--warn);
  }
  [data-tone='bad'] {
    --tone: var(--bad);
  }
  [data-tone='muted'] {
    --tone: var(--muted);
  }
  .badge[data-tone='busy']::before,
  .badge[data-tone='warn']::before {
    animation: pulse 1.4s ease-in-out infinite;
  }
  @keyframes pulse {
    50% {
      opacity: 0.3;
    }
  }
  button {
    font-size: 12.5px;
    color: var(--fg);
    background: var(--panel-raised);
    border: 1px solid var(--border);
    border-radius: 7px;
    padding: 4px 10px;
    cursor: pointer;
    white-space: nowrap;
  }
  button:hover:not(:disabled) {
    border-color: var(--accent);
  }
  button:focus-visible {
    outline: 2px solid var(--accent);
    outline-offset: 1px;
  }
  button:disabled {
    opacity: 0.5;
    cursor: default;
  }
  button.danger {
    color: var(--bad);
  }
  button.danger.confirm {
    background: var(--bad);
    border-color: var(--bad);
    color: #16080a;
    font-weight: 600;
  }
  .empty {
    color: var(--muted);
    text-align: center;
    padding: 22px 8px;
  }
`;

export const themeStyles = [baseStyles, dashboardStyles];
