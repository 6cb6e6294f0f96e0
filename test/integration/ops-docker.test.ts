/**
 * @fileoverview docker/ validated statically (there is no Docker engine here): the compose files
 * against the compose-spec JSON schema and dclint's rules, cross-checks of the merged model
 * (services, volumes, healthchecks, mounts, .env.example), and Dockerfile lint + our own rules.
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { chmod, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { DCLinter } from 'dclint';
import { validate as validateDockerfile } from 'dockerfile-utils';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { allEnvDocs } from '../../cli/src/env/env-example';
import { localScrapeConfig } from '../../cli/src/stack/prometheus';
import { readDashboard } from '../support/dashboard';
import { bcryptjsHasher } from '../../cli/src/users/credentials';
import { sidecarNodeEnv, sidecarNodeFlags } from '../../bin/sidecar-start.js';
import { generateUsers } from '../../cli/src/users/generate';

const root = resolve(import.meta.dirname, '../..');
const dockerDir = join(root, 'docker');
type Obj = Record<string, unknown>;
type Service = Obj & { depends_on?: Obj; volumes?: string[]; healthcheck?: Obj; environment?: Obj };

/** dclint with the compose-spec schema always on. Style-only rules are off; the rest stay errors. */
const lintRules = {
  // Deliberate: `image` names what `build` produces, so 200 attendee services share one image.
  'no-build-and-image': 0,
  // The host interface is `${NGINX_BIND}`, which the rule cannot read through interpolation.
  'no-unbound-port-interfaces': 0,
  'service-keys-order': 0,
  'services-alphabetical-order': 0,
  'top-level-properties-order': 0,
  'require-quotes-in-ports': [2, { quoteType: 'double' }],
} satisfies Record<string, 0 | 1 | 2 | [0 | 1 | 2, Record<string, unknown>]>;

function lintCompose(path: string, extraRules: Record<string, 0> = {}) {
  const linter = new DCLinter({
    rules: { ...lintRules, ...extraRules },
    quiet: false,
    debug: false,
    exclude: [],
  });
  return linter
    .lintFiles([path], false)
    .flatMap((result) => result.messages.map((m) => `${m.rule}: ${m.message}`));
}

/** Compose's merge for what we use: maps merge, `volumes` lists append, scalars override. */
function mergeCompose(base: Obj, override: Obj): Obj {
  const out: Obj = { ...base };
  for (const [key, value] of Object.entries(override)) {
    const prev = out[key];
    if (Array.isArray(prev) && Array.isArray(value)) out[key] = [...prev, ...value];
    else if (prev && value && typeof prev === 'object' && typeof value === 'object')
      out[key] = mergeCompose(prev as Obj, value as Obj);
    else out[key] = value;
  }
  return out;
}

const interpolated = (text: string) =>
  [...text.matchAll(/\$\{([A-Z_][A-Z0-9_]*)/g)].map((m) => m[1]!);

describe('compose files', () => {
  let tmp: string;
  let outDir: string;
  let base: Obj;
  let users: Obj;

  beforeAll(async () => {
    tmp = await mkdtemp(join(tmpdir(), 'comfyume-ops-compose-'));
    outDir = join(tmp, 'users');
    await generateUsers({
      count: 3,
      outDir,
      dockerDir,
      relaySecret: 'test-secret-0123456789',
      adminToken: 'test-admin-token-0123456789',
      hasher: bcryptjsHasher,
    });
    base = parse(await readFile(join(dockerDir, 'compose.yaml'), 'utf8'), { merge: true }) as Obj;
    users = parse(await readFile(join(outDir, 'compose.users.yaml'), 'utf8')) as Obj;
  });
  afterAll(() => rm(tmp, { recursive: true, force: true }));

  it('docker/compose.yaml passes the compose-spec schema and dclint', () => {
    expect(lintCompose(join(dockerDir, 'compose.yaml'))).toEqual([]);
  });

  it('the generated compose.users.yaml passes the schema and dclint', () => {
    // An override file takes the project name from the base file.
    expect(
      lintCompose(join(outDir, 'compose.users.yaml'), { 'require-project-name-field': 0 }),
    ).toEqual([]);
  });

  it('the validator does reject a broken compose file', async () => {
    const bad = join(tmp, 'bad.yaml');
    await writeFile(
      bad,
      'services:\n  relay:\n    image: x\n    helthcheck: { test: [CMD, "true"] }\n',
    );
    expect(lintCompose(bad).some((m) => m.startsWith('invalid-schema'))).toBe(true);
  });

  it('has one attendee service per user, each the x-attendee template plus its own id, env file and volume', () => {
    const template = base['x-attendee'] as Service;
    const services = users.services as Record<string, Service>;
    expect(Object.keys(services).sort()).toEqual(['nginx', 'user001', 'user002', 'user003']);
    for (const id of ['user001', 'user002', 'user003']) {
      const { environment, env_file, volumes, hostname, labels, ...rest } = services[id]!;
      const { environment: templateEnv, labels: templateLabels, ...templateRest } = template;
      expect(rest).toEqual(templateRest);
      expect(labels).toEqual({ ...(templateLabels as Obj), 'com.comfyume.user': id });
      expect(environment).toEqual({
        ...(templateEnv as Obj),
        USER_ID: id,
        SIDECAR_BASE_PATH: `/${id}`,
      });
      expect(hostname).toBe(id);
      expect(volumes).toEqual([`${id}-data:/data`]);
      // The token is not in the compose file, only in the 0600 env file it names.
      const envPath = resolve(dockerDir, (env_file as string[])[0]!);
      expect(envPath).toBe(join(outDir, 'env', `${id}.env`));
      expect(JSON.stringify(services[id])).not.toContain('RELAY_TOKEN');
    }
  });

  it('the merged model is consistent: dependencies, volumes, healthchecks, mounts', async () => {
    const merged = mergeCompose(base, users);
    const services = merged.services as Record<string, Service>;
    const declared = Object.keys((merged.volumes ?? {}) as Obj);
    expect(Object.keys(services)).toEqual(
      expect.arrayContaining(['redis', 'relay', 'nginx', 'user001']),
    );
    for (const [name, service] of Object.entries(services)) {
      expect(service.healthcheck, `${name} has a healthcheck`).toBeDefined();
      expect(service.image ?? service.build, `${name} has an image`).toBeDefined();
      for (const dep of Object.keys(service.depends_on ?? {}))
        expect(Object.keys(services), `${name} depends on ${dep}`).toContain(dep);
      for (const volume of service.volumes ?? []) {
        const source = volume.split(':')[0]!;
        // The log shipper reads the Docker daemon's socket (read-only); it exists on any Docker host.
        if (source === '/var/run/docker.sock') continue;
        if (source.startsWith('.') || source.startsWith('/')) {
          // Bind mounts resolve against the first compose file's folder.
          expect(existsSync(resolve(dockerDir, source)), `${name} mounts ${source}`).toBe(true);
        } else expect(declared, `${name} uses volume ${source}`).toContain(source);
      }
    }
    // nginx is started after every attendee (it resolves their names when it loads its config).
    expect(Object.keys(services.nginx!.depends_on!)).toEqual(
      expect.arrayContaining(['relay', 'user001', 'user002', 'user003']),
    );
    expect((services.redis!.command as string[]).join(' ')).toContain('--appendonly yes');
  });

  it('.env.example documents every variable the compose files interpolate (relay and sidecar ones come from their schemas)', async () => {
    const composeText =
      (await readFile(join(dockerDir, 'compose.yaml'), 'utf8')) +
      (await readFile(join(outDir, 'compose.users.yaml'), 'utf8'));
    const documented = new Set(allEnvDocs().flatMap((s) => s.docs.map((d) => d.name)));
    const example = await readFile(join(root, '.env.example'), 'utf8');
    const wanted = new Set(interpolated(composeText));
    expect(wanted.size).toBeGreaterThan(10);
    expect([...wanted].filter((name) => !documented.has(name))).toEqual([]);
    for (const name of wanted) expect(example, name).toMatch(new RegExp(`^(# )?${name}=`, 'm'));
  });
});

describe('compose profile "monitoring"', () => {
  let base: Obj;
  let services: Record<string, Service & { profiles?: string[]; labels?: Obj; ports?: string[] }>;
  let tmp: string;
  const monitoringDir = join(dockerDir, 'monitoring');
  beforeAll(async () => {
    base = parse(await readFile(join(dockerDir, 'compose.yaml'), 'utf8'), { merge: true }) as Obj;
    services = base.services as typeof services;
    tmp = await mkdtemp(join(tmpdir(), 'comfyume-ops-monitoring-'));
  });
  afterAll(() => rm(tmp, { recursive: true, force: true }));

  it('adds Prometheus, Grafana, Loki and Alloy only under the profile, on loopback by default', () => {
    const inProfile = Object.entries(services)
      .filter(([, s]) => s.profiles?.includes('monitoring'))
      .map(([name]) => name)
      .sort();
    expect(inProfile).toEqual(['alloy', 'grafana', 'loki', 'prometheus']);
    for (const name of ['redis', 'relay', 'nginx'])
      expect(services[name]!.profiles).toBeUndefined();
    for (const name of ['prometheus', 'grafana'])
      expect(services[name]!.ports!.join(' ')).toMatch(/^\$\{MONITORING_BIND:-127\.0\.0\.1\}:/);
  });

  it('prometheus.yml passes promtool and scrapes every relay replica with the operator token', async () => {
    const text = await readFile(join(monitoringDir, 'prometheus.yml'), 'utf8');
    const config = parse(text) as { scrape_configs: Obj[] };
    const job = config.scrape_configs.find((j) => j.job_name === 'comfyume-relay') as Obj & {
      dns_sd_configs: { names: string[]; port: number }[];
      authorization: { type: string; credentials_file: string };
    };
    // DNS of the compose service: one address per replica (`--scale relay=N`), on the relay's port.
    expect(job.dns_sd_configs[0]!.names).toEqual(['relay']);
    expect(services.relay!.expose).toContain(String(job.dns_sd_configs[0]!.port));
    expect(job.authorization.type).toBe('Bearer');
    const secretPath = job.authorization.credentials_file;
    expect(secretPath).toBe('/run/secrets/metrics_token');
    expect(services.prometheus!.secrets).toContain('metrics_token');
    expect((base.secrets as Obj).metrics_token).toEqual({ environment: 'ADMIN_TOKEN' });
    // promtool checks the token file exists: check a copy whose token path is a real file.
    const token = join(tmp, 'metrics_token');
    await writeFile(token, 'a-token');
    const copy = join(tmp, 'prometheus.yml');
    await writeFile(copy, text.replace(secretPath, token));
    expect(await promtool(['check', 'config', copy])).toMatchObject({ code: 0 });
  });

  it('the config `comfyume up --monitoring` writes passes promtool too', async () => {
    const token = join(tmp, 'local-token');
    await writeFile(token, 'a-token');
    const file = join(tmp, 'local.yml');
    await writeFile(
      file,
      localScrapeConfig({ relayTargets: ['127.0.0.1:3000'], tokenFile: token, scrapeIntervalS: 5 }),
    );
    expect(await promtool(['check', 'config', file])).toMatchObject({ code: 0 });
  });

  it('Grafana provisions both data sources at the services and the ComfyuME dashboard that uses them', async () => {
    const sources = parse(
      await readFile(join(monitoringDir, 'grafana/provisioning/datasources/comfyume.yaml'), 'utf8'),
    ) as {
      datasources: { uid: string; type: string; url: string }[];
    };
    const byType = Object.fromEntries(sources.datasources.map((d) => [d.type, d]));
    expect(byType.prometheus!.url).toBe('http://prometheus:9090');
    expect(byType.loki!.url).toBe('http://loki:3100');
    const providers = parse(
      await readFile(join(monitoringDir, 'grafana/provisioning/dashboards/comfyume.yaml'), 'utf8'),
    ) as {
      providers: { options: { path: string } }[];
    };
    const dashboardMount = (services.grafana!.volumes ?? []).find((v) =>
      v.startsWith('./monitoring/grafana/dashboards:'),
    )!;
    expect(dashboardMount.split(':')[1]).toBe(providers.providers[0]!.options.path);

    const dashboard = await readDashboard();
    const panels = dashboard.panels.filter((p) => p.type !== 'row');
    expect(new Set(dashboard.panels.map((p) => p.id)).size).toBe(dashboard.panels.length);
    for (const panel of panels) {
      expect(panel.datasource?.uid, panel.title).toBe(byType.prometheus!.uid);
      expect(panel.targets?.length, panel.title).toBeGreaterThan(0);
      for (const t of panel.targets ?? [])
        expect(t.expr, panel.title).toMatch(/comfyume_relay_|up\{/);
      expect(panel.gridPos.x + panel.gridPos.w, panel.title).toBeLessThanOrEqual(24);
    }
    const topics = panels.map((p) => p.title.toLowerCase()).join(' | ');
    for (const topic of [
      'queued',
      'wait',
      'run time',
      'failures by reason',
      'cold starts',
      'gpu backends',
      'per attendee',
    ])
      expect(topics).toContain(topic);
  });

  it('Alloy ships logs to the Loki service with labels the compose services carry', async () => {
    const alloy = await readFile(join(monitoringDir, 'alloy/config.alloy'), 'utf8');
    const loki = parse(await readFile(join(monitoringDir, 'loki.yaml'), 'utf8')) as {
      server: { http_listen_port: number };
    };
    expect(alloy).toContain(`url = "http://loki:${loki.server.http_listen_port}/loki/api/v1/push"`);
    expect(services.loki!.expose).toContain(String(loki.server.http_listen_port));
    for (const [name, service] of Object.entries(services))
      expect(service.labels?.['com.comfyume.service'], `${name} is labelled for Loki`).toBeTruthy();
    expect((base['x-attendee'] as Service & { labels: Obj }).labels['com.comfyume.service']).toBe(
      'attendee',
    );
    for (const label of ['com.comfyume.service', 'com.comfyume.user'])
      expect(alloy).toContain(`__meta_docker_container_label_${label.replace(/\./g, '_')}`);
    // Balanced braces: a cheap guard against a truncated River file (no Alloy binary here).
    expect((alloy.match(/\{/g) ?? []).length).toBe((alloy.match(/\}/g) ?? []).length);
  });
});

function promtool(args: string[]): Promise<{ code: number | null; output: string }> {
  return new Promise((resolveRun, reject) => {
    const child = spawn('promtool', args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (d: Buffer) => (output += d.toString()));
    child.stderr.on('data', (d: Buffer) => (output += d.toString()));
    child.once('error', (error) =>
      reject(
        new Error(`promtool is not installed (./scripts/setup.sh --monitoring): ${error.message}`),
      ),
    );
    child.once('exit', (code) => resolveRun({ code, output }));
  });
}

type Instruction = { keyword: string; args: string; line: number };

/** Instructions with continuation lines joined; enough for our rules (dockerfile-utils does the grammar). */
function instructions(text: string): Instruction[] {
  const out: Instruction[] = [];
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const start = i;
    let line = lines[i]!;
    while (line.trimEnd().endsWith('\\') && i + 1 < lines.length)
      line = `${line.trimEnd().slice(0, -1)} ${lines[++i]}`;
    const match = /^\s*([A-Za-z]+)\s+(.*)$/.exec(line);
    if (match && !line.trim().startsWith('#'))
      out.push({ keyword: match[1]!.toUpperCase(), args: match[2]!.trim(), line: start + 1 });
  }
  return out;
}

/** Our Dockerfile rules; each message names the line. */
function dockerfileProblems(text: string, contextDir: string): string[] {
  const problems = validateDockerfile(text).map(
    (d) => `line ${d.range.start.line + 1}: ${d.message}`,
  );
  const all = instructions(text);
  const stages = new Set<string>();
  for (const { keyword, args, line } of all) {
    if (keyword === 'FROM') {
      const [image, , alias] = args.split(/\s+/);
      if (!image!.includes(':') && !image!.includes('@'))
        problems.push(`line ${line}: base image ${image} has no tag`);
      if (/:latest$/.test(image!)) problems.push(`line ${line}: base image ${image} uses :latest`);
      if (image!.startsWith('node:') && !image!.startsWith('node:24'))
        problems.push(`line ${line}: ${image} is not Node 24 LTS`);
      if (alias) stages.add(alias);
    }
    if (keyword === 'ENV' || keyword === 'ARG') {
      for (const [, name, value] of args.matchAll(/([A-Za-z_][A-Za-z0-9_]*)=(\S*)/g))
        if (/SECRET|TOKEN|PASSWORD|API_KEY/i.test(name!) && value)
          problems.push(`line ${line}: ${keyword} ${name} bakes a secret into the image`);
    }
    if (keyword === 'COPY' && !args.includes('--from=')) {
      const parts = args.split(/\s+/).filter((p) => !p.startsWith('--'));
      for (const source of parts.slice(0, -1))
        if (source !== '.' && !existsSync(join(contextDir, source)))
          problems.push(`line ${line}: COPY source ${source} is not in the build context`);
    }
    if (keyword === 'COPY' && args.includes('--from=')) {
      const from = /--from=(\S+)/.exec(args)![1]!;
      if (!stages.has(from) && !from.includes(':'))
        problems.push(`line ${line}: COPY --from=${from} names no stage`);
    }
  }
  const lastFrom = all.map((i) => i.keyword).lastIndexOf('FROM');
  const finalStage = all.slice(lastFrom);
  const user = finalStage.filter((i) => i.keyword === 'USER').at(-1);
  if (!user || /^(root|0)(:|$)/.test(user.args))
    problems.push('the final stage does not switch to a non-root USER');
  if (!finalStage.some((i) => i.keyword === 'HEALTHCHECK'))
    problems.push('the final stage has no HEALTHCHECK');
  return problems;
}

describe('Dockerfiles', () => {
  for (const name of ['attendee.Dockerfile', 'relay.Dockerfile', 'worker.Dockerfile']) {
    it(`${name} passes dockerfile-utils and our rules (pinned bases, Node 24, non-root, healthcheck, no secrets)`, async () => {
      const text = await readFile(join(dockerDir, name), 'utf8');
      expect(dockerfileProblems(text, root)).toEqual([]);
    });
  }

  it('the attendee image runs stock ComfyUI (pinned, --cpu, loopback 18188), our custom node and the sidecar on 8188', async () => {
    const dockerfile = await readFile(join(dockerDir, 'attendee.Dockerfile'), 'utf8');
    const start = await readFile(join(dockerDir, 'attendee-start.sh'), 'utf8');
    expect(dockerfile).toMatch(/ARG COMFYUI_VERSION=v\d+\.\d+\.\d+/);
    expect(dockerfile).toContain('/app/dist/comfyume-extension /opt/ComfyUI/custom_nodes/comfyume');
    expect(dockerfile).toMatch(/ENTRYPOINT \["\/usr\/bin\/tini", "--"\]/);
    expect(start).toMatch(/--cpu --listen 127\.0\.0\.1 --port 18188/);
    expect(start).toContain('bin/comfyume.js sidecar');
    expect(dockerfile).toContain('SIDECAR_LISTEN=0.0.0.0:8188');
  });

  it("the image's sidecar starts from its one-file build, with every sidecar's node flags and allocator settings", async () => {
    const dockerfile = await readFile(join(dockerDir, 'attendee.Dockerfile'), 'utf8');
    const start = await readFile(join(dockerDir, 'attendee-start.sh'), 'utf8');
    expect(dockerfile).toContain('--config cli/sidecar.vite.config.ts');
    expect(dockerfile).toContain('COPY --from=build /app/dist/sidecar ./dist/sidecar');
    const line = start.split('\n').findIndex((l) => l.includes('bin/comfyume.js sidecar'));
    const command = start
      .split('\n')
      .slice(line - 1, line + 1)
      .join(' ');
    for (const flag of sidecarNodeFlags) expect(command).toContain(`node ${flag}`);
    for (const [name, value] of Object.entries(sidecarNodeEnv))
      expect(command).toContain(`${name}=${value}`);
  });

  it('the rules do catch a bad Dockerfile', () => {
    const bad =
      'FROM node\nFROM python:latest AS py\nENV RELAY_SECRET=abc\nCOPY nothing-here /x\nCOPY --from=nostage /a /b\n';
    const problems = dockerfileProblems(bad, root);
    for (const fragment of [
      'has no tag',
      'uses :latest',
      'bakes a secret',
      'not in the build context',
      'names no stage',
      'non-root USER',
      'no HEALTHCHECK',
    ])
      expect(problems.join('\n')).toContain(fragment);
  });
});

describe("attendee-start.sh (the container's two processes under tini)", () => {
  let tmp: string;
  beforeAll(async () => {
    tmp = await mkdtemp(join(tmpdir(), 'comfyume-ops-start-'));
    // Stand-ins for `python main.py` and `node bin/comfyume.js sidecar`: they record their pid and
    // wait; "ComfyUI" exits with status 3 when told to through a file.
    await writeFile(
      join(tmp, 'python'),
      `#!/usr/bin/env bash\necho $$ > ${tmp}/comfy.pid\nwhile [ ! -f ${tmp}/crash ]; do sleep 0.1; done\nexit 3\n`,
    );
    await chmod(join(tmp, 'python'), 0o755);
    await mkdir(join(tmp, 'app', 'bin'), { recursive: true });
    await writeFile(
      join(tmp, 'app', 'bin', 'comfyume.js'),
      `require('fs').writeFileSync('${tmp}/sidecar.pid', String(process.pid)); setInterval(() => {}, 1000);\n`,
    );
  });
  afterAll(() => rm(tmp, { recursive: true, force: true }));

  const alive = (pid: number) => {
    try {
      process.kill(pid, 0);
      return true;
    } catch {
      return false;
    }
  };
  // Generous: on a loaded 2-core machine starting two processes can take seconds.
  const waitFor = async (file: string) => {
    const deadline = Date.now() + 60_000;
    while (!existsSync(file)) {
      if (Date.now() > deadline)
        throw new Error(`${file} never appeared: attendee-start.sh did not start its process`);
      await new Promise((r) => setTimeout(r, 50));
    }
    return Number(await readFile(file, 'utf8'));
  };
  const start = async () => {
    // Awaited: a removal still pending when the new processes write their pid files would delete them.
    for (const f of ['comfy.pid', 'sidecar.pid', 'crash']) await rm(join(tmp, f), { force: true });
    const child = spawn('bash', [join(dockerDir, 'attendee-start.sh')], {
      env: {
        ...process.env,
        PYTHON: join(tmp, 'python'),
        APP_DIR: join(tmp, 'app'),
        COMFYUI_DIR: tmp,
        COMFYUI_OUTPUT_DIR: tmp,
        COMFYUI_TEMP_DIR: tmp,
        COMFYUI_INPUT_DIR: tmp,
      },
      stdio: 'ignore',
    });
    const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
    return { child, exited };
  };

  it("when ComfyUI dies, the sidecar is stopped and the container exits with ComfyUI's status", async () => {
    const { exited } = await start();
    const comfy = await waitFor(join(tmp, 'comfy.pid'));
    const sidecar = await waitFor(join(tmp, 'sidecar.pid'));
    await writeFile(join(tmp, 'crash'), '');
    expect(await exited).toBe(3);
    expect([alive(comfy), alive(sidecar)]).toEqual([false, false]);
  });

  it('SIGTERM (docker stop) stops both', async () => {
    const { child, exited } = await start();
    const comfy = await waitFor(join(tmp, 'comfy.pid'));
    const sidecar = await waitFor(join(tmp, 'sidecar.pid'));
    child.kill('SIGTERM');
    await exited;
    for (let i = 0; i < 50 && (alive(comfy) || alive(sidecar)); i++)
      await new Promise((r) => setTimeout(r, 100));
    expect([alive(comfy), alive(sidecar)]).toEqual([false, false]);
  });
});
