/**
 * @fileoverview The GPU side of docker/ validated statically (there is no Docker engine here): the
 * layer that adds the agent to the operator's ComfyUI image, the copy-this-folder line, ComfyUI's
 * folders on the shared volume, and the agent folder itself as a loadable, stdlib-only custom node.
 */
import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { DockerfileParser } from 'dockerfile-ast';
import { validate } from 'dockerfile-utils';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';

const root = resolve(import.meta.dirname, '../..');
const run = promisify(execFile);

async function dockerfile() {
  const text = await readFile(join(root, 'docker/gpu/Dockerfile'), 'utf8');
  const instructions = DockerfileParser.parse(text)
    .getInstructions()
    .map((i) => ({ keyword: i.getKeyword(), args: i.getArgumentsContent() ?? '' }));
  return {
    text,
    instructions,
    all: (keyword: string) => instructions.filter((i) => i.keyword === keyword),
  };
}

describe('docker/gpu: the agent layered on the operator’s ComfyUI image', () => {
  it('passes dockerfile-utils and builds FROM the operator’s image with no secrets baked in', async () => {
    const { text, instructions, all } = await dockerfile();
    expect(validate(text).map((d) => `line ${d.range.start.line + 1}: ${d.message}`)).toEqual([]);
    expect(instructions[0]).toEqual({ keyword: 'ARG', args: 'COMFYUI_IMAGE' });
    expect(all('FROM').map((i) => i.args)).toEqual(['${COMFYUI_IMAGE}']);
    for (const { args } of [...all('ENV'), ...all('ARG')])
      expect(args).not.toMatch(/(SECRET|TOKEN|PASSWORD|API_KEY)\w*=\S/i);
    expect(all('HEALTHCHECK')).toHaveLength(1);
    expect(all('HEALTHCHECK')[0]!.args).toContain('/system_stats');
  });

  it('copies gpu-agent/ into custom_nodes and starts ComfyUI with its folders on the shared volume and previews on', async () => {
    const { all } = await dockerfile();
    expect(all('COPY').map((i) => i.args)).toEqual([
      'gpu-agent ${COMFYUI_DIR}/custom_nodes/comfyume-agent',
    ]);
    const cmd = JSON.parse(all('CMD')[0]!.args) as string[];
    const line = cmd.join(' ');
    expect(line).toMatch(/--output-directory \\?"\$SFS_MOUNT\/output\\?"/);
    expect(line).toMatch(/--input-directory \\?"\$SFS_MOUNT\/input\\?"/);
    expect(line).toMatch(/--preview-method (auto|taesd|latent2rgb)/);
    // The relay reads the same folders (compose mounts the SFS at /sfs and points SFS_* there).
    const compose = parse(await readFile(join(root, 'docker/compose.yaml'), 'utf8')) as {
      services: Record<string, { environment?: Record<string, string> }>;
    };
    const relayEnv = compose.services.relay?.environment ?? {};
    expect([relayEnv.SFS_OUTPUT_DIR, relayEnv.SFS_INPUT_DIR]).toEqual([
      '/sfs/output',
      '/sfs/input',
    ]);
    expect(all('ARG').map((i) => i.args)).toContain('SFS_MOUNT=/sfs');
  });

  it('documents the same folder for images built elsewhere (the copy-this-folder line)', async () => {
    const readme = await readFile(join(root, 'docker/gpu/README.md'), 'utf8');
    expect(readme).toContain('COPY gpu-agent /opt/ComfyUI/custom_nodes/comfyume-agent');
    expect(readme).toMatch(/--output-directory \/sfs\/output/);
    expect(readme).toMatch(/actimeo=1/);
  });

  it('the agent folder is a custom node with no nodes, Python standard library only (ComfyUI’s own modules aside)', async () => {
    const script = `
import ast, pathlib, sys
allowed = set(sys.stdlib_module_names) | {"server", "nodes", "folder_paths", "comfy", "comfyui_version"}
bad = []
for path in pathlib.Path("gpu-agent").rglob("*.py"):
    if "tests" in path.parts:
        continue
    tree = ast.parse(path.read_text(), str(path))
    for node in ast.walk(tree):
        names = [a.name for a in node.names] if isinstance(node, ast.Import) else [node.module] if isinstance(node, ast.ImportFrom) and node.level == 0 else []
        bad += [f"{path}: {n}" for n in names if n and n.split(".")[0] not in allowed]
    compile(path.read_text(), str(path), "exec")
init = ast.parse(pathlib.Path("gpu-agent/__init__.py").read_text())
assigned = {t.id for n in init.body if isinstance(n, ast.Assign) for t in n.targets if isinstance(t, ast.Name)}
print("\\n".join(bad) or "ok", "NODE_CLASS_MAPPINGS" in assigned)
`;
    const { stdout } = await run('python3', ['-c', script], { cwd: root });
    expect(stdout.trim()).toBe('ok True');
  });
});
