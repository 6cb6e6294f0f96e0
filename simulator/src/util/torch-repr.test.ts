import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { solidImage } from '../images/image';
import { tensorRepr } from './torch-repr';

const fixtures = path.resolve(
  import.meta.dirname,
  '../../../../shared/fixtures/comfyui/real-0.27.0/api',
);

describe('tensorRepr', () => {
  it('prints a black 32x32 batch exactly as the recorded execution_error current_inputs', () => {
    const history = JSON.parse(
      readFileSync(path.join(fixtures, 'run3_execution_error/history.json'), 'utf8'),
    );
    const entry = Object.values(history.response.json)[0] as {
      status: { messages: [string, { current_inputs: { images: string[] } }][] };
    };
    const error = entry.status.messages.find(([type]) => type === 'execution_error')?.[1];
    expect(tensorRepr([solidImage(32, 32, 0)])).toBe(error?.current_inputs.images[0]);
  });

  it('uses 4 decimals when values are not integral', () => {
    expect(tensorRepr([solidImage(1, 1, 0x808080)])).toBe('tensor([[[[0.5020, 0.5020, 0.5020]]]])');
  });
});
