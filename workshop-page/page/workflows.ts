/**
 * @fileoverview The harness's workflow store and Workflows sidebar (stand-ins for the stock
 * frontend's `workflowStore`, exposed as `app.extensionManager.workflow`, and its Workflows tab):
 * `syncWorkflows()` lists `userdata?dir=workflows` as the frontend does (recurse, full_info), the tab
 * shows the files and opens one by `GET /userdata/workflows%2F<name>`, and `activeWorkflow.isModified`
 * says whether the canvas changed since the last workflow was opened (the change tracker's answer).
 */
import type { ComfyApi } from './api';

export type WorkflowFile = { path: string; size: number; modified: number };

/** What the store needs of the app: the graph's serialisation, and loading a workflow under a name. */
export type WorkflowApp = {
  graph: { serialize(): unknown };
  loadGraphData(
    workflow: unknown,
    clean?: boolean,
    restoreView?: boolean,
    name?: string,
  ): Promise<void>;
};

export class HarnessWorkflows {
  files: WorkflowFile[] = [];
  private listEl: HTMLElement | null = null;
  private snapshot = '';
  private activeName = 'Unsaved Workflow';

  constructor(
    private readonly api: ComfyApi,
    private readonly app: () => WorkflowApp,
    private readonly tabLabel: HTMLElement,
  ) {}

  get activeWorkflow(): { path: string; isModified: boolean } {
    const graph = this.app().graph as WorkflowApp['graph'] | undefined;
    return {
      path: this.activeName,
      isModified: Boolean(graph) && this.content() !== this.snapshot,
    };
  }

  /** After a workflow was loaded (or the page's own default set up): nothing is modified yet. */
  opened(name: string | null): void {
    if (name) this.activeName = name;
    this.tabLabel.textContent = this.activeName;
    this.snapshot = this.content();
  }

  /** What the attendee changes (nodes, their values, links), not what drawing changes (sizes, view). */
  private content(): string {
    const graph = this.app().graph.serialize() as {
      nodes?: { id: unknown; type: unknown; mode?: unknown; widgets_values?: unknown }[];
      links?: unknown;
    };
    return JSON.stringify([
      (graph.nodes ?? []).map((n) => [n.id, n.type, n.mode, n.widgets_values]),
      graph.links,
    ]);
  }

  async syncWorkflows(): Promise<void> {
    const res = await this.api.fetchApi(
      '/userdata?dir=workflows&recurse=true&split=false&full_info=true',
    );
    this.files = res.ok ? ((await res.json()) as WorkflowFile[]) : [];
    this.draw();
  }

  async open(path: string): Promise<void> {
    const res = await this.api.fetchApi(`/userdata/${encodeURIComponent(`workflows/${path}`)}`);
    if (!res.ok) return;
    await this.app().loadGraphData(await res.json(), true, true, path.replace(/\.json$/, ''));
  }

  /** The tab's content (a custom tab in the harness; the frontend's own Vue panel in reality). */
  render(el: HTMLElement): void {
    const title = document.createElement('h3');
    title.className = 'workflows-title';
    title.textContent = 'Workflows';
    this.listEl = document.createElement('ul');
    this.listEl.className = 'workflows-list';
    el.replaceChildren(title, this.listEl);
    this.draw();
    void this.syncWorkflows();
  }

  private draw(): void {
    this.listEl?.replaceChildren(
      ...this.files.map((file) => {
        const item = document.createElement('li');
        const button = document.createElement('button');
        button.className = 'workflow-item';
        button.textContent = file.path.replace(/\.json$/, '');
        button.addEventListener('click', () => void this.open(file.path));
        item.append(button);
        return item;
      }),
    );
  }
}
