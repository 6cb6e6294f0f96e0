/**
 * @fileoverview Command-line flags for every `comfyume` command: node's parseArgs, with the two
 * things it gets wrong for people fixed in one place. A negative number after a flag
 * (`--users -1`) is taken as that flag's value, so the command's own check can say what is
 * allowed, and parse errors become one short line that names the flag and points at --help.
 */
import { parseArgs, type ParseArgsConfig } from 'node:util';

/** A mistake on the command line: printed without a stack, exit code 2. */
export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

type Options = NonNullable<ParseArgsConfig['options']>;

/** `--users -1` → `--users=-1` for string options, so parseArgs does not call "-1" an option. */
function attachNegativeNumbers(args: readonly string[], options: Options): string[] {
  const out: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    const next = args[i + 1];
    const name = arg.startsWith('--') ? arg.slice(2) : undefined;
    if (name && options[name]?.type === 'string' && next !== undefined && /^-\d/.test(next)) {
      out.push(`${arg}=${next}`);
      i++;
    } else out.push(arg);
  }
  return out;
}

function explain(error: Error & { code?: string }, command: string): string {
  const help = `(see comfyume ${command} --help)`;
  const option = /'(-{1,2}[^' ]+)/.exec(error.message)?.[1];
  switch (error.code) {
    case 'ERR_PARSE_ARGS_UNKNOWN_OPTION':
      return `unknown option ${option ?? ''} ${help}`;
    case 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE':
      return /argument missing|ambiguous/.test(error.message)
        ? `${option ?? 'an option'} needs a value ${help}`
        : `${option ?? 'an option'} takes no value ${help}`;
    case 'ERR_PARSE_ARGS_UNEXPECTED_POSITIONAL':
      return `unexpected argument ${/'([^']*)'/.exec(error.message)?.[1] ?? ''} ${help}`;
    default:
      return error.message;
  }
}

/** parseArgs for `comfyume <command>`; strict, throws UsageError with a one-line reason. */
export function parseCommandArgs<T extends ParseArgsConfig & { args: string[]; options: Options }>(
  command: string,
  config: T,
): ReturnType<typeof parseArgs<T>> {
  try {
    const args = attachNegativeNumbers(config.args, config.options);
    return parseArgs({ strict: true, ...config, args }) as ReturnType<typeof parseArgs<T>>;
  } catch (error) {
    throw new UsageError(explain(error as Error & { code?: string }, command));
  }
}

/** An integer flag in [min, max], or a UsageError naming the flag and the allowed range. */
export function intFlag(name: string, value: string, min: number, max: number): number {
  const n = Number(value);
  if (value.trim() === '' || !Number.isInteger(n) || n < min || n > max)
    throw new UsageError(`--${name} must be a whole number from ${min} to ${max}, got "${value}"`);
  return n;
}
