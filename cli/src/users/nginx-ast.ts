/**
 * @fileoverview A tiny typed model of an nginx config (directives, blocks, comments) and its
 * renderer, so the workshop config is built from data rather than glued strings.
 */

export type NginxArg = string | number;

export type NginxNode =
  | { kind: 'directive'; name: string; args: NginxArg[] }
  | { kind: 'block'; name: string; args: NginxArg[]; children: NginxNode[] }
  | { kind: 'comment'; text: string }
  | { kind: 'blank' };

export const d = (name: string, ...args: NginxArg[]): NginxNode => ({
  kind: 'directive',
  name,
  args,
});
export const block = (name: string, args: NginxArg[], children: NginxNode[]): NginxNode => ({
  kind: 'block',
  name,
  args,
  children,
});
export const comment = (text: string): NginxNode => ({ kind: 'comment', text });
export const blank: NginxNode = { kind: 'blank' };

/** Values with whitespace, quotes, braces or semicolons must be quoted; nginx accepts '...' with \' escapes. */
function quote(arg: NginxArg): string {
  const text = String(arg);
  if (text === '') return "''";
  if (!/[\s'";{}#\\]/.test(text)) return text;
  return `'${text.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
}

/** Map bodies (`map ... { key value; }`) reuse directives whose name is the key, so keys are quoted too. */
function renderName(name: string): string {
  return /^[A-Za-z_][\w.]*$/.test(name) ? name : quote(name);
}

export function renderNginx(nodes: readonly NginxNode[], depth = 0): string {
  const pad = '    '.repeat(depth);
  const lines: string[] = [];
  for (const node of nodes) {
    switch (node.kind) {
      case 'blank':
        lines.push('');
        break;
      case 'comment':
        for (const line of node.text.split('\n')) lines.push(`${pad}# ${line}`.trimEnd());
        break;
      case 'directive':
        lines.push(`${pad}${[renderName(node.name), ...node.args.map(quote)].join(' ')};`);
        break;
      case 'block':
        lines.push(`${pad}${[node.name, ...node.args.map(quote)].join(' ')} {`);
        lines.push(renderNginx(node.children, depth + 1));
        lines.push(`${pad}}`);
        break;
    }
  }
  return lines.filter((line, i, all) => !(line === '' && all[i - 1] === '')).join('\n');
}
