/**
 * @fileoverview Puts one of our elements into a container the host frontend hands us (a sidebar
 * tab's `render(el)`, and the same rule for any bottom-panel tab or custom setting we add).
 *
 * What the stock frontend does with that container, read from its source and seen in 1.35.9 and
 * 1.45.0 (`src/components/common/ExtensionSlot.vue`): `render(el)` runs from a Vue function ref,
 * before `el` is in the document; the ref runs again on every re-render of the slot, with the same
 * `el` or a new one; `destroy()` runs only when the slot unmounts, not when the user switches to
 * another tab. So mounting is idempotent, and the element keeps itself up to date through
 * `bindWhileConnected` rather than through a list of mounted elements.
 */

/** Returns the element of `tag` that `slot` already holds, or puts a new one from `create` in it. */
export function mountInSlot<E extends HTMLElement>(
  slot: HTMLElement,
  tag: string,
  create: () => E,
): E {
  const only = slot.childElementCount === 1 ? slot.firstElementChild : null;
  if (only && only.localName === tag) return only as E;
  const element = create();
  slot.replaceChildren(element);
  return element;
}
