/**
 * @fileoverview The last check before `comfyume up` prints its URLs: each URL it is about to
 * print answers as ours — every attendee through nginx with their own password, the relay API
 * through nginx with the admin's, the relay itself, and Prometheus when it runs.
 */
import pLimit from 'p-limit';
import { httpOk, waitUntil } from './processes';

export type PrintedUrls = {
  relayUrl: string;
  nginx?: { url: string; attendees: { id: string; password: string }[]; adminPassword: string };
  prometheusUrl?: string;
};

const basic = (user: string, password: string) => ({
  authorization: `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`,
});

/** Resolves when every URL answers 200; fails naming the first that does not within the timeout. */
export async function verifyPrintedUrls(urls: PrintedUrls, timeoutMs = 30_000): Promise<void> {
  const checks: { what: string; check: () => Promise<boolean> }[] = [
    { what: `the relay (${urls.relayUrl}/health)`, check: () => httpOk(`${urls.relayUrl}/health`) },
  ];
  if (urls.nginx) {
    // nginx listens on 127.0.0.1; "localhost" in the printed URLs may resolve to ::1 first.
    const base = urls.nginx.url.replace('//localhost:', '//127.0.0.1:');
    for (const a of urls.nginx.attendees)
      checks.push({
        what: `${a.id} through nginx (${urls.nginx.url}/${a.id}/)`,
        check: () =>
          httpOk(`${base}/${a.id}/api/system_stats`, { headers: basic(a.id, a.password) }),
      });
    const adminPassword = urls.nginx.adminPassword;
    checks.push({
      what: `the admin dashboard through nginx (${urls.nginx.url}/admin/)`,
      check: () => httpOk(`${base}/relay/health`, { headers: basic('admin', adminPassword) }),
    });
  }
  if (urls.prometheusUrl) {
    const prometheus = urls.prometheusUrl;
    checks.push({
      what: `Prometheus (${prometheus})`,
      check: () => httpOk(`${prometheus}/-/ready`),
    });
  }
  const limit = pLimit(4); // nginx checks a bcrypt hash per request: do not flood 2 cores
  await Promise.all(
    checks.map((c) => limit(() => waitUntil(c.what, c.check, { timeoutMs, intervalMs: 250 }))),
  );
}
