/**
 * @fileoverview The harness's `app.extensionManager`: sidebar tabs (icon bar + panel, and the
 * `Workspace.ToggleSidebarTab.<id>` command the stock frontend auto-registers) shown the way
 * ExtensionSlot.vue shows them (see toggleSidebarTab), PrimeVue-like toasts (same class names),
 * settings persisted through `/api/settings`, and commands.
 */
import type { ComfyApi } from './api';
import type { HarnessWorkflows } from './workflows';

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
export type SettingParams = {
  id: string;
  name?: string;
  type?: string;
  defaultValue?: unknown;
  onChange?: (v: unknown, old: unknown) => void;
};

export class HarnessExtensionManager {
  readonly sidebarTabs: SidebarTab[] = [];
  activeSidebarTab: string | null = null;
  /** The ExtensionSlot's element while the sidebar shows a custom tab. */
  private slotEl: HTMLElement | null = null;
  private readonly settingsDefs = new Map<string, SettingParams>();
  private values: Record<string, unknown> = {};
  private readonly commandMap = new Map<string, Command>();
  /** The workflow store (`useWorkflowStore()` as the frontend exposes it), set once the app exists. */
  workflow: HarnessWorkflows | undefined;

  constructor(
    private readonly api: ComfyApi,
    private readonly bar: HTMLElement,
    private readonly panel: HTMLElement,
    private readonly toasts: HTMLElement,
  ) {
    // One of the frontend's own (Vue) tabs, so switching away from ours and back can be played.
    this.registerSidebarTab({
      id: 'node-library',
      icon: 'pi pi-book',
      title: 'Nodes',
      type: 'vue',
    });
  }

  async loadSettings(): Promise<void> {
    const res = await this.api.fetchApi('/settings').catch(() => undefined);
    if (res?.ok) this.values = (await res.json()) as Record<string, unknown>;
  }

  readonly setting = {
    get: (id: string): unknown =>
      id in this.values ? this.values[id] : this.settingsDefs.get(id)?.defaultValue,
    /** settingStore.ts `set` (1.35.9 :64-77, 1.45.0 :99-125): unchanged values are skipped, and
     *  onChange(new, old) runs before the new value is stored, so get() inside it answers the old one. */
    set: async (id: string, value: unknown): Promise<void> => {
      const old = this.setting.get(id);
      if (value === old) return;
      this.settingsDefs.get(id)?.onChange?.(value, old);
      this.values[id] = value;
      await this.api
        .fetchApi(`/settings/${encodeURIComponent(id)}`, {
          method: 'POST',
          headers: { 'Content-Type': 'application/json' },
          body: JSON.stringify(value),
        })
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
    if (this.sidebarTabs.some((t) => t.id === tab.id))
      throw new Error(`Sidebar tab ${tab.id} already registered`);
    this.sidebarTabs.push(tab);
    const button = document.createElement('button');
    button.className = `side-bar-button ${tab.id}-tab-button`;
    button.title = tab.tooltip ?? tab.title;
    button.setAttribute('aria-label', tab.title);
    button.innerHTML = `<i class="${tab.icon ?? ''}" aria-hidden="true"></i><span>${tab.title}</span>`;
    button.addEventListener('click', () => this.toggleSidebarTab(tab.id));
    this.bar.querySelector('.side-bar-top')!.append(button);
    this.registerCommand({
      id: `Workspace.ToggleSidebarTab.${tab.id}`,
      label: `Toggle ${tab.title} Sidebar`,
      function: () => this.toggleSidebarTab(tab.id),
    });
  }

  /** sidebarTabStore.ts:88-99: a custom tab's destroy() runs when it is unregistered. */
  unregisterSidebarTab(id: string): void {
    const i = this.sidebarTabs.findIndex((t) => t.id === id);
    if (i < 0) return;
    const [tab] = this.sidebarTabs.splice(i, 1);
    if (tab?.type === 'custom') tab.destroy?.();
    this.bar.querySelector(`.${id}-tab-button`)?.remove();
  }

  /**
   * What the frontend does (ExtensionSlot.vue in GraphCanvas's side-bar-panel slot, both
   * generations): opening the sidebar mounts the slot, whose function ref calls `render(el)`
   * before `el` is in the document (it is connected before the next microtask); closing it unmounts the
   * slot and calls `destroy()`; switching tabs re-renders the same slot, so the previous tab gets
   * no `destroy()`, and the next custom tab renders into the same `el` (from a custom tab) or a
   * new, already connected one (from a Vue tab).
   */
  toggleSidebarTab(id: string): void {
    const current = this.sidebarTabs.find((t) => t.id === this.activeSidebarTab);
    for (const b of this.bar.querySelectorAll('.side-bar-button')) b.classList.remove('active');
    if (current?.id === id) {
      if (current.type === 'custom') current.destroy?.();
      this.panel.replaceChildren();
      this.panel.hidden = true;
      this.activeSidebarTab = null;
      this.slotEl = null;
      return;
    }
    const next = this.sidebarTabs.find((t) => t.id === id);
    if (!next) return;
    this.activeSidebarTab = id;
    this.panel.hidden = false;
    this.bar.querySelector(`.${id}-tab-button`)?.classList.add('active');
    if (!current) {
      const container = document.createElement('div');
      container.className = 'sidebar-content-container';
      this.panel.replaceChildren();
      const el = this.showTab(next, container);
      if (el) next.render?.(el);
      // Vue's flush inserts the new subtree right after the ref callback: before any microtask.
      this.panel.append(container);
      return;
    }
    const container = this.panel.querySelector<HTMLElement>('.sidebar-content-container')!;
    if (next.type === 'custom' && current.type === 'custom' && this.slotEl) {
      next.render?.(this.slotEl);
      return;
    }
    const el = this.showTab(next, container);
    if (el) next.render?.(el);
  }

  /** Puts the slot's content for `tab` in `container`: a new element for a custom tab (returned). */
  private showTab(tab: SidebarTab, container: HTMLElement): HTMLElement | null {
    if (tab.type === 'vue') {
      const core = document.createElement('div');
      core.className = 'core-tab';
      core.textContent = `${tab.title} (the frontend's own panel)`;
      container.replaceChildren(core);
      this.slotEl = null;
      return null;
    }
    this.slotEl = document.createElement('div');
    container.replaceChildren(this.slotEl);
    return this.slotEl;
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
