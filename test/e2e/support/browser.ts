/**
 * @fileoverview Headless Chromium for the e2e suite: Debian's `/usr/bin/chromium` through
 * playwright-core (browsers cannot be downloaded here), a fresh temp profile per launch, and a
 * record of console errors and page errors so tests can assert a clean load.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';

export const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
];

export type Browser = {
  context: BrowserContext;
  /** Console errors and uncaught page errors, per page, in order. */
  errors: string[];
  newPage: () => Promise<Page>;
  close: () => Promise<void>;
};

export async function launchBrowser(
  opts: { httpCredentials?: { username: string; password: string } } = {},
): Promise<Browser> {
  const profile = await mkdtemp(path.join(tmpdir(), 'comfyume-chromium-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
    args: CHROMIUM_ARGS,
    headless: true,
    viewport: { width: 1600, height: 1000 },
    httpCredentials: opts.httpCredentials,
  });
  const errors: string[] = [];
  const watch = (page: Page) => {
    page.on('console', (msg) => {
      if (msg.type() !== 'error') return;
      const at = msg.location().url;
      errors.push(`console: ${msg.text()}${at ? ` (at ${at})` : ''}`);
    });
    page.on('pageerror', (err) =>
      errors.push(`pageerror: ${err.message}${err.stack ? `\n${err.stack}` : ''}`),
    );
  };
  context.on('page', watch);
  for (const page of context.pages()) watch(page);
  return {
    context,
    errors,
    newPage: async () => {
      const existing = context.pages().find((p) => p.url() === 'about:blank');
      return existing ?? context.newPage();
    },
    close: async () => {
      await context.close();
      await rm(profile, { recursive: true, force: true });
    },
  };
}

/**
 * The errors our extension caused (its module URL or name in the message or stack). A live stock
 * frontend logs errors of its own (templates it cannot fetch, a version warning): not ours to assert.
 */
export function extensionErrors(errors: string[]): string[] {
  return errors.filter((e) => /comfyume/i.test(e));
}
