import { describe, expect, it } from 'vitest';
import { deliveryFor } from './browser-hub';

describe('deliveryFor (ComfyUI targeting, §2.3)', () => {
  it('sends everything to the queuing tab when the prompt had a client_id', () => {
    for (const type of [
      'execution_start',
      'executing',
      'progress',
      'preview',
      'execution_success',
    ]) {
      expect(deliveryFor(type, 'tab')).toBe('client');
    }
  });
  it('without client_id: progress, progress_state, previews and interrupts to all, the rest to none', () => {
    expect(
      ['progress', 'progress_state', 'preview', 'execution_interrupted'].map((t) =>
        deliveryFor(t, ''),
      ),
    ).toEqual(['all', 'all', 'all', 'all']);
    expect(
      [
        'execution_start',
        'execution_cached',
        'executing',
        'executed',
        'execution_success',
        'execution_error',
      ].map((t) => deliveryFor(t, '')),
    ).toEqual(['none', 'none', 'none', 'none', 'none', 'none']);
  });
});
