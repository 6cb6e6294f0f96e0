import { describe, expect, it } from 'vitest';
import { acceptedBody, queueNumber } from './prompt-route';

describe('queueNumber (server.py post_prompt), never hiding jobs', () => {
  const counter = () => {
    let n = 7;
    return () => n++;
  };
  it('uses the counter, negated for front', () => {
    const next = counter();
    expect(queueNumber({}, next)).toEqual({ number: 7, asFloat: false, stored: 7 });
    expect(queueNumber({ front: true }, next)).toEqual({ number: -8, asFloat: false, stored: -8 });
    expect(queueNumber({ front: false }, next)).toEqual({ number: 9, asFloat: false, stored: 9 });
  });
  it('echoes a forged number as a float, but the job keeps the next counter value', () => {
    const next = counter();
    expect(queueNumber({ number: '5' }, next)).toEqual({ number: 5, asFloat: true, stored: 7 });
    expect(queueNumber({ number: 1e18 }, next)).toEqual({ number: 1e18, asFloat: true, stored: 8 });
    expect(queueNumber({}, next).stored).toBe(9);
  });
});

describe('acceptedBody', () => {
  it('is aiohttp json_response bytes, with a float number when the client gave one', () => {
    const id = '95007995-f9a4-4877-aafd-985ab327402f';
    expect(acceptedBody(id, { number: 0, asFloat: false }, {})).toBe(
      `{"prompt_id": "${id}", "number": 0, "node_errors": {}}`,
    );
    expect(acceptedBody(id, { number: 5, asFloat: true }, {})).toBe(
      `{"prompt_id": "${id}", "number": 5.0, "node_errors": {}}`,
    );
  });
});
