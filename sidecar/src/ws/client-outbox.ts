/**
 * @fileoverview Per browser client id (the tab's ComfyUI sid): the job messages sent to it that it
 * may not have received yet, so a tab that reconnects — after a network drop, or a sidecar
 * restart — gets what it missed, ending in the same terminal messages a live tab saw.
 *
 * A message is confirmed once the tab answers a ping sent after it (TCP keeps the order, so the
 * tab has read everything before the ping); confirmed messages are dropped. What stays is
 * compacted as it is added: `progress` is never kept (the next `progress_state` tells more), and a
 * job's newer `progress_state` (cumulative), `executing` or node `executed` replaces the older one.
 * A `status` broadcast is kept as a marker where it fell among a tab's unconfirmed messages (a
 * replay writes it with the queue count of the moment): the frontend refetches its jobs on it.
 */
export type OutboxEntry = { seq: number; jobId: string; type: string; node?: string; text: string };
type Client = { entries: OutboxEntry[]; seenAt: number };
export type OutboxSnapshot = { seq: number; clients: Record<string, Client> };

const MAX_ENTRIES_PER_CLIENT = 500;
const MAX_CLIENTS = 200;

/** Messages a later one of the same job (and node) makes redundant. */
const supersedes = (a: OutboxEntry, b: OutboxEntry) =>
  a.jobId === b.jobId &&
  a.type === b.type &&
  (a.type === 'progress_state' ||
    a.type === 'executing' ||
    (a.type === 'executed' && a.node === b.node));

export class ClientOutbox {
  private seq: number;
  private readonly clients = new Map<string, Client>();

  constructor(snapshot?: OutboxSnapshot) {
    this.seq = snapshot?.seq ?? 0;
    for (const [id, client] of Object.entries(snapshot?.clients ?? {}))
      this.clients.set(id, client);
  }

  /** Records a job message for `clientId`; returns its sequence number. */
  add(
    clientId: string,
    jobId: string,
    message: { type: string; data: Record<string, unknown> },
    text: string,
    now: number,
  ): number {
    const seq = ++this.seq;
    if (message.type === 'progress') return seq;
    const client = this.client(clientId, now);
    const node = message.type === 'executed' ? String(message.data.node) : undefined;
    const entry: OutboxEntry = { seq, jobId, type: message.type, node, text };
    client.entries = client.entries.filter((old) => !supersedes(old, entry));
    client.entries.push(entry);
    if (client.entries.length > MAX_ENTRIES_PER_CLIENT)
      client.entries.splice(0, client.entries.length - MAX_ENTRIES_PER_CLIENT);
    return seq;
  }

  /** A `status` went to everyone: a marker in the backlog of each tab that has one. */
  addStatus(now: number): string[] {
    const marked: string[] = [];
    for (const [clientId, client] of this.clients) {
      // One marker after the last message is enough: a tab long gone does not collect every status.
      if (client.entries.length === 0 || client.entries.at(-1)?.type === 'status') continue;
      client.entries.push({ seq: ++this.seq, jobId: '', type: 'status', text: '' });
      client.seenAt = Math.max(client.seenAt, now - 1);
      marked.push(clientId);
    }
    return marked;
  }

  /** The tab has read everything up to `seq`. */
  confirm(clientId: string, seq: number, now: number): void {
    const client = this.clients.get(clientId);
    if (!client) return;
    client.seenAt = now;
    client.entries = client.entries.filter((entry) => entry.seq > seq);
  }

  /** What the tab may have missed, oldest first. */
  unconfirmed(clientId: string): OutboxEntry[] {
    return [...(this.clients.get(clientId)?.entries ?? [])];
  }

  /** The last sequence number given out (a new socket starts from here). */
  get latest(): number {
    return this.seq;
  }

  snapshot(): OutboxSnapshot {
    const clients: Record<string, Client> = {};
    for (const [id, client] of this.clients)
      if (client.entries.length)
        clients[id] = { entries: [...client.entries], seenAt: client.seenAt };
    return { seq: this.seq, clients };
  }

  private client(clientId: string, now: number): Client {
    let client = this.clients.get(clientId);
    if (!client) {
      client = { entries: [], seenAt: now };
      this.clients.set(clientId, client);
      if (this.clients.size > MAX_CLIENTS) this.forgetOldest();
    }
    return client;
  }

  /** Tabs long gone take their backlog with them. */
  private forgetOldest(): void {
    const oldest = [...this.clients.entries()].sort(([, a], [, b]) => a.seenAt - b.seenAt)[0];
    if (oldest) this.clients.delete(oldest[0]);
  }
}
