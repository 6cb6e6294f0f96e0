/**
 * @fileoverview Documentation of environment variables read from the zod schema that parses
 * them, so `--help`, `.env.example` and the parser can never disagree. Each variable is one
 * entry of a `z.object`; its words come from `.describe('…')` on that entry, its default from
 * `.default(…)`, its choices from `z.enum`, and it is required when the schema rejects
 * `undefined`. Adding a variable to a schema is all it takes to document it.
 */
import { z } from 'zod';

export type EnvVarDoc = Readonly<{
  name: string;
  description: string;
  required: boolean;
  /** The default as it would be written in a .env file, when the schema has one. */
  default?: string;
  choices?: readonly string[];
}>;

/** The wrappers zod puts around a field (optional, default, transform, pipe …), outermost first. */
function layers(field: z.ZodTypeAny): z.ZodTypeAny[] {
  const out: z.ZodTypeAny[] = [];
  for (let t: z.ZodTypeAny | undefined = field; t;) {
    out.push(t);
    const def = t._def as {
      innerType?: z.ZodTypeAny;
      schema?: z.ZodTypeAny;
      in?: z.ZodTypeAny;
      type?: z.ZodTypeAny;
    };
    if (t instanceof z.ZodPipeline) t = def.in;
    else if (t instanceof z.ZodEffects) t = def.schema;
    else if (t instanceof z.ZodBranded) t = def.type;
    else t = def.innerType;
  }
  return out;
}

/** The object schema inside refinements (`z.object({...}).superRefine(...)`). */
function objectOf(schema: z.ZodTypeAny): z.AnyZodObject {
  const found = layers(schema).find((t): t is z.AnyZodObject => t instanceof z.ZodObject);
  if (!found) throw new Error('envVarDocs needs a z.object schema (optionally refined)');
  return found;
}

function written(value: unknown): string {
  return typeof value === 'string' ? value : JSON.stringify(value);
}

/**
 * One entry per variable, in schema order. A variable without `.describe()` text throws (the
 * .env.example generator and its test use this), or with `{ strict: false }` (a running
 * `--help`, which must not crash) reads "(not described yet)".
 */
export function envVarDocs(schema: z.ZodTypeAny, options: { strict?: boolean } = {}): EnvVarDoc[] {
  const strict = options.strict ?? true;
  return Object.entries(objectOf(schema).shape as Record<string, z.ZodTypeAny>).map(
    ([name, field]) => {
      const chain = layers(field);
      const description = chain.find((t) => t.description)?.description?.trim();
      if (!description && strict)
        throw new Error(`${name} has no .describe('…') text in its config schema`);
      const withDefault = chain.find(
        (t): t is z.ZodDefault<z.ZodTypeAny> => t instanceof z.ZodDefault,
      );
      const enumType = chain.find(
        (t): t is z.ZodEnum<[string, ...string[]]> => t instanceof z.ZodEnum,
      );
      return Object.freeze({
        name,
        description: description || '(not described yet)',
        required: !field.isOptional(),
        default: withDefault ? written(withDefault._def.defaultValue()) : undefined,
        choices: enumType ? Object.freeze([...enumType.options]) : undefined,
      });
    },
  );
}

/** Words wrapped to `width` columns, each line starting with `indent`. */
export function wrapText(text: string, width: number, indent = ''): string[] {
  const lines: string[] = [];
  let line = '';
  for (const word of text.split(/\s+/).filter(Boolean)) {
    if (line && indent.length + line.length + 1 + word.length > width) {
      lines.push(indent + line);
      line = word;
    } else line = line ? `${line} ${word}` : word;
  }
  if (line) lines.push(indent + line);
  return lines;
}

/** "[required]" or "(one of a | b, default a)": what the name line of a help entry adds. */
export function envVarTags(doc: EnvVarDoc): string {
  const notes: string[] = [];
  if (doc.choices) notes.push(`one of ${doc.choices.join(' | ')}`);
  if (doc.default !== undefined)
    notes.push(doc.default === '' ? 'default empty' : `default ${doc.default}`);
  return [doc.required ? '[required]' : '', notes.length ? `(${notes.join(', ')})` : '']
    .filter(Boolean)
    .join(' ');
}

/** The environment section of a `--help`: each variable, its tags, then its description. */
export function envHelp(schema: z.ZodTypeAny, width = 100): string {
  return envVarDocs(schema, { strict: false })
    .flatMap((doc) => {
      const tags = envVarTags(doc);
      return [
        `  ${doc.name}${tags ? `  ${tags}` : ''}`,
        ...wrapText(doc.description, width, '      '),
      ];
    })
    .join('\n');
}
