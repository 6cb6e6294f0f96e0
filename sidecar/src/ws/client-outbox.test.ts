/** What a reconnecting tab is sent: unconfirmed messages, compacted, with the queue statuses where they fell. */
import { describe, expect, it } from 'vitest';
import { ClientOutbox } from './client-outbox';

const msg = (type: string, data: Record<string, unknown> = {}) => ({
  type,
  data: { prompt_id: 'j', ...data },
});
const add = (
  box: ClientOutbox,
  client: string,
  m: { type: string; data: Record<string, unknown> },
  job = 'j',
) => box.add(client, job, m, JSON.stringify(m), 0);
const kinds = (box: ClientOutbox, client: string) =>
  box.unconfirmed(client).map((e) => (e.node ? `${e.type}:${e.node}` : e.type));

describe('ClientOutbox', () => {
  it('keeps what the tab has not confirmed, in order; a confirmation drops everything up to it', () => {
    const box = new ClientOutbox();
    const start = add(box, 'tab', msg('execution_start'));
    add(box, 'tab', msg('executed', { node: '9' }));
    expect(kinds(box, 'tab')).toEqual(['execution_start', 'executed:9']);
    box.confirm('tab', start, 1);
    expect(kinds(box, 'tab')).toEqual(['executed:9']);
    expect(kinds(box, 'other-tab')).toEqual([]);
  });

  it('compacts: no progress, and a job keeps only its newest progress_state, executing and executed per node', () => {
    const box = new ClientOutbox();
    add(box, 'tab', msg('execution_start'));
    add(box, 'tab', msg('progress_state', { nodes: { 3: 'running' } }));
    add(box, 'tab', msg('executing', { node: '3' }));
    add(box, 'tab', msg('progress', { node: '3', value: 1, max: 20 }));
    add(box, 'tab', msg('executed', { node: '9', output: { images: [1] } }));
    add(box, 'tab', msg('executed', { node: '9', output: { images: [1, 2] } }));
    add(box, 'tab', msg('progress_state', { nodes: { 3: 'finished' } }));
    add(box, 'tab', msg('execution_success'));
    add(box, 'tab', msg('executing', { node: null }));
    add(box, 'tab', msg('progress_state', { nodes: {} }), 'another-job');
    expect(kinds(box, 'tab')).toEqual([
      'execution_start',
      'executed:9',
      'progress_state',
      'execution_success',
      'executing',
      'progress_state',
    ]);
    const executed = box.unconfirmed('tab').find((e) => e.type === 'executed');
    expect(JSON.parse(executed!.text).data.output).toEqual({ images: [1, 2] });
    expect(JSON.parse(box.unconfirmed('tab')[4]!.text).data.node).toBeNull();
  });

  it('marks a status only for tabs with something unconfirmed, where it fell', () => {
    const box = new ClientOutbox();
    add(box, 'behind', msg('execution_success'));
    expect(box.addStatus(5)).toEqual(['behind']);
    expect(box.addStatus(6)).toEqual([]); // one marker is enough until something else comes
    add(box, 'behind', msg('executing', { node: null }));
    expect(kinds(box, 'behind')).toEqual(['execution_success', 'status', 'executing']);
  });

  it('survives a restart through its snapshot', () => {
    const box = new ClientOutbox();
    add(box, 'tab', msg('execution_start'));
    const again = new ClientOutbox(JSON.parse(JSON.stringify(box.snapshot())));
    expect(kinds(again, 'tab')).toEqual(['execution_start']);
    expect(add(again, 'tab', msg('execution_success'))).toBe(box.latest + 1);
  });

  it('stays bounded: a tab long gone keeps at most its last 500 messages', () => {
    const box = new ClientOutbox();
    for (let i = 0; i < 600; i++) add(box, 'gone', msg('executed', { node: String(i) }));
    expect(box.unconfirmed('gone')).toHaveLength(500);
    expect(box.unconfirmed('gone')[0]!.node).toBe('100');
  });
});
