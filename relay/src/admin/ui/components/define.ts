/** @fileoverview Guarded custom-element registration: a second copy of the bundle must not throw. */
export function defineElement(name: string, ctor: CustomElementConstructor): void {
  if (!customElements.get(name)) customElements.define(name, ctor);
}
