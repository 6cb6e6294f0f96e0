import { execFile } from 'node:child_process';
import { resolve } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { intFlag, parseCommandArgs, UsageError } from './args';

const run = promisify(execFile);
const bin = resolve(import.meta.dirname, '../../bin/comfyume.js');
type Failed = { code: number; stderr: string; stdout: string };
const fail = (args: string[]) =>
  run(process.execPath, [bin, ...args]).then(
    () => {
      throw new Error(`comfyume ${args.join(' ')} succeeded`);
    },
    (e: Failed) => e,
  );

describe('comfyume errors a person reads', () => {
  it('simulate --port notaport names the command once and says what a port is', async () => {
    const { code, stderr } = await fail(['simulate', '--port', 'notaport']);
    expect(code).toBe(1);
    expect(stderr.match(/comfyume simulate/g)).toHaveLength(1);
    expect(stderr).toContain('--port: a port number from 0 to 65535');
  });

  it('an unknown command exits 2 and lists the commands and the workshop home rule', async () => {
    const { code, stderr } = await fail(['frobnicate']);
    expect(code).toBe(2);
    expect(stderr).toContain('unknown command "frobnicate"');
    expect(stderr).toContain('$COMFYUME_HOME if set, else this checkout');
  });
});

describe('parseCommandArgs', () => {
  const options = { users: { type: 'string' as const }, quiet: { type: 'boolean' as const } };

  it('takes a negative number after a flag as its value, for the value check to explain', () => {
    const { values } = parseCommandArgs('up', { args: ['--users', '-1'], options });
    expect(values.users).toBe('-1');
    expect(() => intFlag('users', values.users!, 1, 200)).toThrow(
      '--users must be a whole number from 1 to 200, got "-1"',
    );
  });

  it('turns parser errors into one line naming the flag and --help', () => {
    const message = (args: string[]) => {
      try {
        parseCommandArgs('up', { args, options });
        return '';
      } catch (error) {
        expect(error).toBeInstanceOf(UsageError);
        return (error as Error).message;
      }
    };
    expect(message(['--bogus'])).toBe('unknown option --bogus (see comfyume up --help)');
    expect(message(['--users'])).toBe('--users needs a value (see comfyume up --help)');
    expect(message(['--quiet=yes'])).toBe('--quiet takes no value (see comfyume up --help)');
    expect(message(['extra'])).toBe('unexpected argument extra (see comfyume up --help)');
  });
});
