/**
 * @fileoverview The provisioned Grafana dashboard (docker/monitoring/grafana/dashboards) as data,
 * and its PromQL queries with Grafana's built-in variables replaced, for tests that check the
 * file and run every query against a live Prometheus.
 */
import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';

export type DashboardPanel = {
  id: number;
  type: string;
  title: string;
  datasource?: { type: string; uid: string };
  gridPos: { x: number; y: number; w: number; h: number };
  targets?: { refId: string; expr: string; legendFormat?: string }[];
};

export type Dashboard = { uid: string; title: string; panels: DashboardPanel[] };

export const dashboardPath = resolve(
  import.meta.dirname,
  '../../docker/monitoring/grafana/dashboards/comfyume.json',
);

export async function readDashboard(): Promise<Dashboard> {
  return JSON.parse(await readFile(dashboardPath, 'utf8')) as Dashboard;
}

/** Every query of the dashboard, with Grafana's interval variables as Prometheus durations. */
export function dashboardQueries(
  dashboard: Dashboard,
  vars: { rateInterval: string; range: string },
): { panel: string; refId: string; expr: string }[] {
  return dashboard.panels.flatMap((panel) =>
    (panel.targets ?? []).map((t) => ({
      panel: panel.title,
      refId: t.refId,
      expr: t.expr
        .replaceAll('$__rate_interval', vars.rateInterval)
        .replaceAll('$__range', vars.range),
    })),
  );
}
