/**
 * @fileoverview Guarded custom-element registration (Shoelace's `define`): ComfyUI shares one
 * `customElements` registry among all extensions, so a second copy of ours must not throw.
 */
export function defineElement(name: string, ctor: CustomElementConstructor): void {
  const existing = customElements.get(name);
  if (existing) {
    if (existing !== ctor)
      console.warn(`[comfyume] <${name}> is already defined by another copy; keeping the first.`);
    return;
  }
  try {
    customElements.define(name, ctor);
  } catch {
    // The constructor was registered under another name (same class object): register a subclass.
    customElements.define(name, class extends (ctor as typeof HTMLElement) {});
  }
}
