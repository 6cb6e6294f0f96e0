import { describe, expect, it } from 'vitest';
import { acceptedBody, queueNumber } from './prompt-route';

describe('queueNumber (server.py post_prompt)', () => {
  const counter = () => {
    let n = 7;
    return () => n++;
  };
  it('uses the counter, negated for front', () => {
    const next = counter();
    expect(queueNumber({}, next)).toEqual({ number: 7, asFloat: false });
    expect(queueNumber({ front: true }, next)).toEqual({ number: -8, asFloat: false });
    expect(queueNumber({ front: false }, next)).toEqual({ number: 9, asFloat: false });
  });
  it('echoes a given number as a float without touching the counter', () => {
    let calls = 0;
    expect(queueNumber({ number: '5' }, () => calls++)).toEqual({ number: 5, asFloat: true });
    expect(calls).toBe(0);
  });
});

describe('acceptedBody', () => {
  it('is aiohttp json_response bytes, with a float number when the client gave one', () => {
    const id = '95007995-f9a4-4877-aafd-985ab327402f';
    expect(acceptedBody(id, { number: 0, asFloat: false }, {})).toBe(`{"prompt_id": "${id}", "number": 0, "node_errors": {}}`);
    expect(acceptedBody(id, { number: 5, asFloat: true }, {})).toBe(`{"prompt_id": "${id}", "number": 5.0, "node_errors": {}}`);
  });
});
