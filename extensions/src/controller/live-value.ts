/**
 * @fileoverview A value that changes over time, and the binding that keeps one of our elements in
 * step with it for exactly as long as the element is in the document.
 *
 * Why elements subscribe themselves: the host decides when the containers it hands us are in the
 * document. The stock frontend passes a sidebar tab's `render(el)` an element that is not yet
 * connected, calls `render` again on a new element when the tab is shown again, and never calls
 * `destroy` when the user switches to another tab (ExtensionSlot.vue). A list of "mounted"
 * elements kept by us would be wrong in one of those cases; Lit's controller callbacks
 * (`hostConnected` / `hostDisconnected`) are right in all of them, and an element the host threw
 * away is released with it.
 */
import type { ReactiveController, ReactiveControllerHost } from 'lit';

export type Listener<T> = (value: T) => void;

export interface Subscribable<T> {
  /** Calls `listener` with the current value now and with every later one; returns the unsubscribe. */
  subscribe(listener: Listener<T>): () => void;
}

export class LiveValue<T> implements Subscribable<T> {
  private readonly listeners = new Set<Listener<T>>();

  constructor(private value: T) {}

  get(): T {
    return this.value;
  }

  set(value: T): void {
    this.value = value;
    for (const listener of [...this.listeners]) listener(value);
  }

  subscribe(listener: Listener<T>): () => void {
    this.listeners.add(listener);
    listener(this.value);
    return () => this.listeners.delete(listener);
  }

  /** How many elements are listening (tests, and a check that detached elements let go). */
  get subscribers(): number {
    return this.listeners.size;
  }
}

/**
 * Applies `source`'s values to `host` while it is connected (and at once if it already is).
 * Lit calls `hostConnected` again after every re-insertion, so a re-parented or re-mounted element
 * picks up the current value straight away.
 */
export function bindWhileConnected<H extends ReactiveControllerHost, T>(
  host: H,
  source: Subscribable<T>,
  apply: (host: H, value: T) => void,
): void {
  let unsubscribe: (() => void) | undefined;
  const controller: ReactiveController = {
    hostConnected() {
      unsubscribe?.();
      unsubscribe = source.subscribe((value) => apply(host, value));
    },
    hostDisconnected() {
      unsubscribe?.();
      unsubscribe = undefined;
    },
  };
  host.addController(controller);
}
