/**
 * @fileoverview Refreshes a panel while it is on the page: once when it connects, then every
 * `everyMs`, and never after it left (a Lit ReactiveController, like dashboard.controller.ts).
 */
import type { ReactiveController, ReactiveControllerHost } from 'lit';

export class PollController implements ReactiveController {
  private timer: ReturnType<typeof setInterval> | undefined;

  constructor(
    host: ReactiveControllerHost,
    private readonly everyMs: number,
    private readonly refresh: () => Promise<void>,
  ) {
    host.addController(this);
  }

  hostConnected(): void {
    void this.refresh();
    this.timer = setInterval(() => void this.refresh(), this.everyMs);
  }

  hostDisconnected(): void {
    clearInterval(this.timer);
    this.timer = undefined;
  }
}
