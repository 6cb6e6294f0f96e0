/** @fileoverview The one zod error formatter: `name: message` lines, with each caller's naming. */
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { asFlag, firstZodProblem, zodProblems } from './zod-problems';

const Schema = z.object({ replicaCount: z.number(), nested: z.object({ url: z.string().url() }) });
const errorOf = (value: unknown) => {
  const parsed = Schema.safeParse(value);
  if (parsed.success) throw new Error('expected a failure');
  return parsed.error;
};

describe('zodProblems', () => {
  it('names each issue by its dotted path, or the whole value', () => {
    expect(zodProblems(errorOf({ replicaCount: 'x', nested: { url: 'nope' } }))).toEqual([
      'replicaCount: Expected number, received string',
      'nested.url: Invalid url',
    ]);
    expect(zodProblems(errorOf(7), { whole: '(env)' })).toEqual([
      '(env): Expected object, received number',
    ]);
    expect(firstZodProblem(errorOf({ replicaCount: 1 }))).toBe('nested: Required');
  });

  it("takes the caller's names, messages and suffixes, and one line per key when asked", () => {
    const error = errorOf({ replicaCount: 'x' });
    expect(zodProblems(error, { name: asFlag, suffix: () => ', got "x"' })[0]).toBe(
      '--replica-count: Expected number, received string, got "x"',
    );
    expect(
      zodProblems(error, {
        message: (issue) =>
          issue.code === 'invalid_type' && issue.received === 'undefined'
            ? 'is required'
            : issue.message,
      }),
    ).toEqual(['replicaCount: Expected number, received string', 'nested: is required']);
    const twice = z.object({ a: z.string().min(3).regex(/^\d+$/) }).safeParse({ a: 'x' });
    expect(twice.success || zodProblems(twice.error, { firstPerKey: true })).toEqual([
      'a: String must contain at least 3 character(s)',
    ]);
  });
});
