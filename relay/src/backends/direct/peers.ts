/**
 * @fileoverview The direct GPUs of one relay, so a job whose GPU died can be resubmitted to
 * another that is alive (the least busy one). The scheduler still counts the job on the GPU it
 * was claimed for; the dead one takes no new jobs meanwhile (its state is `down`).
 */

export interface PeerGpu {
  readonly name: string;
  /** Connected, and not judged dead. */
  live(): boolean;
  /** Jobs it follows now, per slot. */
  load(): number;
}

export class DirectPeers<T extends PeerGpu> {
  private readonly gpus = new Map<string, T>();

  add(gpu: T): void {
    this.gpus.set(gpu.name, gpu);
  }

  get(name: string): T | undefined {
    return this.gpus.get(name);
  }

  /** The least busy live GPU other than `except`. */
  pickLive(except: T): T | undefined {
    const live = [...this.gpus.values()].filter((gpu) => gpu !== except && gpu.live());
    return live.sort((a, b) => a.load() - b.load())[0];
  }
}
