/**
 * @fileoverview The rehearsal report: a terminal table and a self-contained HTML page whose chart
 * is inline SVG (one row per attendee, each job a bar: waiting light, running dark, failed red).
 */
import type { JobRecord, RehearsalSummary } from './stats';

const s = (ms: number) => (ms / 1000).toFixed(1);

function table(rows: string[][]): string {
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
  return rows
    .map(
      (r) =>
        `  ${r.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ')}`,
    )
    .join('\n');
}

export function terminalReport(summary: RehearsalSummary, title: string): string {
  const rows = [['user', 'ok', 'failed', 'mean wait s', 'p95 wait s', 'mean run s']];
  for (const u of summary.perUser)
    rows.push([
      u.user,
      String(u.ok),
      String(u.failed),
      s(u.meanWaitMs),
      s(u.p95WaitMs),
      s(u.meanRunMs),
    ]);
  return [
    title,
    '',
    table(rows),
    '',
    `  jobs        ${summary.ok} ok, ${summary.failed} failed, ${summary.users} users, ${s(summary.wallMs)} s wall`,
    `  wait        p50 ${s(summary.wait.p50)} s · p95 ${s(summary.wait.p95)} s · max ${s(summary.wait.max)} s`,
    `  run         p50 ${s(summary.run.p50)} s · p95 ${s(summary.run.p95)} s · max ${s(summary.run.max)} s`,
    `  throughput  ${summary.throughputPerMin.toFixed(1)} jobs/min`,
    `  fairness    Jain's index of per-user mean wait ${summary.fairness.jainWait.toFixed(3)} (1 = equal) · max/min mean wait ${summary.fairness.maxMinWaitRatio.toFixed(2)}`,
    ...(summary.failures.length
      ? [
          '',
          '  failures:',
          ...summary.failures.map((f) => `    ${f.user} job ${f.index + 1}: ${f.error}`),
        ]
      : []),
  ].join('\n');
}

const esc = (text: string) => text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

export function timelineSvg(jobs: readonly JobRecord[]): string {
  const users = [...new Set(jobs.map((j) => j.user))].sort();
  const t0 = Math.min(...jobs.map((j) => j.submittedAt));
  const t1 = Math.max(...jobs.map((j) => j.finishedAt));
  const span = Math.max(1, t1 - t0);
  const left = 70;
  const width = 900;
  // One lane per job inside each attendee's band, so an attendee's overlapping jobs stay visible.
  const lanes = Math.max(1, ...jobs.map((j) => j.index + 1));
  const laneH = lanes > 1 ? 7 : 14;
  const rowH = lanes * laneH + 6;
  const height = users.length * rowH + 40;
  const x = (t: number) => left + ((t - t0) / span) * (width - left - 10);
  const bars = jobs.flatMap((j) => {
    const y = users.indexOf(j.user) * rowH + 3 + j.index * laneH;
    const h = laneH - 1;
    const label = `${j.user} job ${j.index + 1}: ${j.ok ? 'ok' : `failed: ${j.error ?? ''}`}`;
    const start = j.startedAt ?? j.finishedAt;
    return [
      `<rect x="${x(j.submittedAt).toFixed(1)}" y="${y}" width="${Math.max(1, x(start) - x(j.submittedAt)).toFixed(1)}" height="${h}" fill="${j.ok ? '#c7d7f5' : '#f5c7c7'}"><title>${esc(label)} — waiting ${s(start - j.submittedAt)} s</title></rect>`,
      `<rect x="${x(start).toFixed(1)}" y="${y}" width="${Math.max(1, x(j.finishedAt) - x(start)).toFixed(1)}" height="${h}" fill="${j.ok ? '#2456b3' : '#c0392b'}" fill-opacity="0.85"><title>${esc(label)} — running ${s(j.finishedAt - start)} s</title></rect>`,
    ];
  });
  const labels = users.map(
    (u, i) => `<text x="4" y="${i * rowH + rowH / 2 + 4}" font-size="11">${esc(u)}</text>`,
  );
  const ticks = Array.from({ length: 6 }, (_, i) => {
    const t = t0 + (span * i) / 5;
    // The last label ends at its tick: centred, it would run past the right edge and be clipped.
    const anchor = i === 5 ? 'end' : 'middle';
    return `<line x1="${x(t)}" x2="${x(t)}" y1="0" y2="${height - 24}" stroke="#ddd"/><text x="${x(t)}" y="${height - 8}" font-size="11" text-anchor="${anchor}">${s(t - t0)} s</text>`;
  });
  return `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${width} ${height}" width="${width}" height="${height}" font-family="sans-serif" role="img" aria-label="job timeline">${ticks.join('')}${labels.join('')}${bars.join('')}</svg>`;
}

export function htmlReport(
  summary: RehearsalSummary,
  jobs: readonly JobRecord[],
  title: string,
): string {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${esc(title)}</title>
<style>body{font-family:sans-serif;margin:2em;color:#222}table{border-collapse:collapse}td,th{padding:2px 10px;border-bottom:1px solid #eee;text-align:right}td:first-child,th:first-child{text-align:left}.k{color:#666}</style>
</head><body>
<h1>${esc(title)}</h1>
<p>${summary.ok} jobs ok, ${summary.failed} failed, ${summary.users} attendees, ${s(summary.wallMs)} s wall clock · throughput <b>${summary.throughputPerMin.toFixed(1)} jobs/min</b></p>
<p>wait p50 <b>${s(summary.wait.p50)} s</b>, p95 <b>${s(summary.wait.p95)} s</b> · run p50 <b>${s(summary.run.p50)} s</b>, p95 <b>${s(summary.run.p95)} s</b> ·
fairness: Jain's index of per-user mean wait <b>${summary.fairness.jainWait.toFixed(3)}</b>, max/min mean wait <b>${summary.fairness.maxMinWaitRatio.toFixed(2)}</b></p>
<h2>Timeline</h2>
<p class="k">One band per attendee, one line per job: light while queued, dark while running (red: failed). Hover for details.</p>
${timelineSvg(jobs)}
<h2>Per attendee</h2>
<table><tr><th>user</th><th>ok</th><th>failed</th><th>mean wait s</th><th>p95 wait s</th><th>mean run s</th></tr>
${summary.perUser.map((u) => `<tr><td>${esc(u.user)}</td><td>${u.ok}</td><td>${u.failed}</td><td>${s(u.meanWaitMs)}</td><td>${s(u.p95WaitMs)}</td><td>${s(u.meanRunMs)}</td></tr>`).join('\n')}
</table>
${summary.failures.length ? `<h2>Failures</h2><ul>${summary.failures.map((f) => `<li>${esc(f.user)} job ${f.index + 1}: ${esc(f.error)}</li>`).join('')}</ul>` : ''}
</body></html>
`;
}
