/**
 * @fileoverview The harness's `app.extensionManager`: sidebar tabs (icon bar + panel, and the
 * `Workspace.ToggleSidebarTab.<id>` command the stock frontend auto-registers), PrimeVue-like
 * toasts (same class names), settings persisted through `/api/settings`, and commands.
 */
import type { ComfyApi } from './api';

export type SidebarTab = {
  id: string;
  icon?: string;
  title: string;
  tooltip?: string;
  type: 'custom' | 'vue';
  render?: (el: HTMLElement) => void;
  destroy?: () => void;
};
export type Toast = { severity?: string; summary?: string; detail?: string; life?: number };
export type Command = { id: string; label?: string; icon?: string; function: () => unknown };
export type SettingParams = { id: string; name?: string; type?: string; defaultValue?: unknown; onChange?: (v: unknown, old: unknown) => void };

export class HarnessExtensionManager {
  readonly sidebarTabs: SidebarTab[] = [];
  activeSidebarTab: string | null = null;
  private readonly settingsDefs = new Map<string, SettingParams>();
  private values: Record<string, unknown> = {};
  private readonly commandMap = new Map<string, Command>();

  constructor(
    private readonly api: ComfyApi,
    private readonly bar: HTMLElement,
    private readonly panel: HTMLElement,
    private readonly toasts: HTMLElement,
  ) {}

  async loadSettings(): Promise<void> {
    const res = await this.api.fetchApi('/settings').catch(() => undefined);
    if (res?.ok) this.values = (await res.json()) as Record<string, unknown>;
  }

  readonly setting = {
    get: (id: string): unknown => (id in this.values ? this.values[id] : this.settingsDefs.get(id)?.defaultValue),
    set: async (id: string, value: unknown): Promise<void> => {
      const old = this.setting.get(id);
      this.values[id] = value;
      this.settingsDefs.get(id)?.onChange?.(value, old);
      await this.api
        .fetchApi(`/settings/${encodeURIComponent(id)}`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(value) })
        .catch(() => undefined);
    },
  };

  addSetting(s: SettingParams): void {
    if (this.settingsDefs.has(s.id)) throw new Error(`Setting ${s.id} must have a unique ID.`);
    this.settingsDefs.set(s.id, s);
    s.onChange?.(this.setting.get(s.id), undefined);
  }

  readonly command = {
    commands: [] as Command[],
    execute: async (id: string): Promise<void> => {
      const cmd = this.commandMap.get(id);
      if (!cmd) throw new Error(`Command ${id} not found`);
      await cmd.function();
    },
  };

  registerCommand(cmd: Command): void {
    this.commandMap.set(cmd.id, cmd);
    this.command.commands.push(cmd);
  }

  registerSidebarTab(tab: SidebarTab): void {
    if (this.sidebarTabs.some((t) => t.id === tab.id)) throw new Error(`Sidebar tab ${tab.id} already registered`);
    this.sidebarTabs.push(tab);
    const button = document.createElement('button');
    button.className = `side-bar-button ${tab.id}-tab-button`;
    button.title = tab.tooltip ?? tab.title;
    button.setAttribute('aria-label', tab.title);
    button.innerHTML = `<i class="${tab.icon ?? ''}" aria-hidden="true"></i><span>${tab.title}</span>`;
    button.addEventListener('click', () => this.toggleSidebarTab(tab.id));
    this.bar.querySelector('.side-bar-top')!.append(button);
    this.registerCommand({ id: `Workspace.ToggleSidebarTab.${tab.id}`, label: `Toggle ${tab.title} Sidebar`, function: () => this.toggleSidebarTab(tab.id) });
  }

  unregisterSidebarTab(id: string): void {
    const i = this.sidebarTabs.findIndex((t) => t.id === id);
    if (i >= 0) this.sidebarTabs.splice(i, 1);
    this.bar.querySelector(`.${id}-tab-button`)?.remove();
  }

  toggleSidebarTab(id: string): void {
    const previous = this.sidebarTabs.find((t) => t.id === this.activeSidebarTab);
    previous?.destroy?.();
    this.panel.replaceChildren();
    for (const b of this.bar.querySelectorAll('.side-bar-button')) b.classList.remove('active');
    if (this.activeSidebarTab === id) {
      this.activeSidebarTab = null;
      this.panel.hidden = true;
      return;
    }
    const tab = this.sidebarTabs.find((t) => t.id === id);
    if (!tab) return;
    this.activeSidebarTab = id;
    this.panel.hidden = false;
    this.bar.querySelector(`.${id}-tab-button`)?.classList.add('active');
    const host = document.createElement('div');
    host.className = 'sidebar-content-container';
    this.panel.append(host);
    tab.render?.(host);
  }

  readonly toast = {
    add: (t: Toast): void => {
      const el = document.createElement('div');
      el.className = `p-toast-message p-toast-message-${t.severity ?? 'info'}`;
      el.setAttribute('role', 'alert');
      const summary = document.createElement('div');
      summary.className = 'p-toast-summary';
      summary.textContent = t.summary ?? '';
      const detail = document.createElement('div');
      detail.className = 'p-toast-detail';
      detail.textContent = t.detail ?? '';
      const close = document.createElement('button');
      close.className = 'p-toast-close-button';
      close.textContent = '×';
      close.setAttribute('aria-label', 'Close');
      close.addEventListener('click', () => el.remove());
      el.append(summary, detail, close);
      this.toasts.append(el);
      if (t.life) setTimeout(() => el.remove(), t.life);
    },
    remove: (): void => this.toasts.firstElementChild?.remove(),
    removeAll: (): void => this.toasts.replaceChildren(),
  };
}
