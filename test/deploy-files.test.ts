import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseAllDocuments } from 'yaml';
import { Command } from 'commander';
import { DockerfileParser, type Cmd, type Entrypoint } from 'dockerfile-ast';
import { ConfigMap, Service } from 'kubernetes-models/v1';
import { Deployment } from 'kubernetes-models/apps/v1';
import { Job } from 'kubernetes-models/batch/v1';
import { PodDisruptionBudget } from 'kubernetes-models/policy/v1';
import { registerServeCommands } from '../src/cli/serve.js';

/**
 * The deployment files (Dockerfile, deploy/k8s/): validated against the Kubernetes schemas and
 * checked for what the Spine relies on. Neither Docker nor a cluster is on the machines that run
 * this suite, so nothing here builds the image or applies the manifests.
 */
const ROOT = fileURLToPath(new URL('../', import.meta.url));
const K8S = join(ROOT, 'deploy/k8s');

type Manifest = Record<string, any>;
const MODELS: Record<string, new (data: any) => { validate(): void }> = {
  'v1/ConfigMap': ConfigMap,
  'v1/Service': Service,
  'apps/v1/Deployment': Deployment,
  'batch/v1/Job': Job,
  'policy/v1/PodDisruptionBudget': PodDisruptionBudget,
};

function manifests(): Array<{ file: string; doc: Manifest }> {
  return readdirSync(K8S).filter((f) => f.endsWith('.yaml')).sort().flatMap((file) =>
    parseAllDocuments(readFileSync(join(K8S, file), 'utf8')).map((d) => {
      assert.deepEqual(d.errors, [], `${file} is not valid YAML`);
      return { file, doc: d.toJS() as Manifest };
    }));
}

/** Validates one object against its kind's schema; throws with the schema's complaint. */
function validate(doc: Manifest) {
  const Model = MODELS[`${doc.apiVersion}/${doc.kind}`];
  assert.ok(Model, `no schema for ${doc.apiVersion} ${doc.kind}`);
  new Model(doc).validate();
}

const all = manifests();
const one = (kind: string, name?: string) => {
  const found = all.filter(({ doc }) => doc.kind === kind && (name === undefined || doc.metadata?.name === name));
  assert.equal(found.length, 1, `one ${kind} ${name ?? ''}`);
  return found[0]!.doc;
};
const containerOf = (workload: Manifest) => workload.spec.template.spec.containers[0];
const SECRET_NAME = /(URL|KEY|SECRET|PASSWORD|TOKEN)$/;

describe('Kubernetes manifests (deploy/k8s)', () => {
  it('are each valid against the Kubernetes schemas', () => {
    assert.ok(all.length >= 6, `${all.length} manifests`);
    for (const { file, doc } of all) assert.doesNotThrow(() => validate(doc), `${file}: ${doc.kind}`);
  });

  it('the schema check refuses what Kubernetes refuses', () => {
    const deployment = structuredClone(one('Deployment'));
    deployment.spec.replicas = 'three';
    assert.throws(() => validate(deployment), /replicas/);
    const job = structuredClone(one('Job', 'openspine-migrate'));
    job.spec.template.spec.containers[0].resources.limits.memory = { gigabytes: 1 };
    assert.throws(() => validate(job));
  });

  it('run `openspine serve`: ready on /_status, alive on /_ping, non-root on a read-only root filesystem', () => {
    const deployment = one('Deployment');
    const pod = deployment.spec.template.spec;
    const container = containerOf(deployment);
    assert.deepEqual(container.args, ['serve']);
    assert.ok(!JSON.stringify(container).includes('--demo') && !JSON.stringify(container).includes('OPENSPINE_DEMO'), 'no demo mode');
    assert.equal(container.readinessProbe.httpGet.path, '/_status');
    assert.equal(container.livenessProbe.httpGet.path, '/_ping');
    assert.equal(pod.securityContext.runAsNonRoot, true);
    assert.ok(pod.securityContext.runAsUser > 0);
    assert.equal(container.securityContext.readOnlyRootFilesystem, true);
    assert.equal(container.securityContext.allowPrivilegeEscalation, false);
    assert.deepEqual(container.securityContext.capabilities.drop, ['ALL']);
    // The only paths the server may write (demo keys, temporary files) are volumes.
    const env = Object.fromEntries(container.env.map((e: Manifest) => [e.name, e.value]));
    const mounts = container.volumeMounts.map((m: Manifest) => m.mountPath);
    assert.ok(mounts.includes(env.OPENSPINE_DATA_DIR) && mounts.includes('/tmp'), mounts.join());
    assert.equal(env.HOST, '0.0.0.0');
    assert.ok(container.resources.requests.cpu && container.resources.requests.memory && container.resources.limits.memory);
    assert.equal(deployment.spec.strategy.rollingUpdate.maxUnavailable, 0);
  });

  it('drain within the grace period: readiness fails before the drain ends, the drain and in-flight work end before SIGKILL', () => {
    const deployment = one('Deployment');
    const container = containerOf(deployment);
    const drainMs = Number(one('ConfigMap').data.OPENSPINE_DRAIN_MS);
    const readiness = container.readinessProbe;
    const liveness = container.livenessProbe;
    // The balancer (the Service's endpoints) notices a draining process while it still serves.
    assert.ok(readiness.periodSeconds * readiness.failureThreshold * 1000 < drainMs, 'readiness notices within the drain');
    // After the drain the server finishes requests in flight, each bounded by the statement timeout (5 s default).
    assert.ok(deployment.spec.template.spec.terminationGracePeriodSeconds * 1000 >= drainMs + 5_000 + 5_000, 'grace outlasts the drain');
    // /_ping answers 503 while draining: liveness must not kill a draining process.
    assert.ok(liveness.periodSeconds * liveness.failureThreshold * 1000 > drainMs, 'liveness outlasts the drain');
  });

  it('reference the Secret for every secret setting and inline none', () => {
    for (const { file, doc } of all) {
      assert.notEqual(doc.kind, 'Secret', `${file}: secrets are created outside the repository`);
      if (doc.kind === 'ConfigMap') {
        for (const key of Object.keys(doc.data)) assert.doesNotMatch(key.replace(/OPENSPINE_PUBLIC_URL/, ''), SECRET_NAME, `${file}: ${key}`);
      }
      if (!doc.spec?.template) continue;
      for (const container of doc.spec.template.spec.containers) {
        for (const variable of container.env ?? []) {
          if (SECRET_NAME.test(variable.name)) {
            assert.equal(variable.value, undefined, `${file}: ${variable.name} inlined`);
            assert.equal(variable.valueFrom?.secretKeyRef?.name, 'openspine', `${file}: ${variable.name} from the Secret`);
          }
        }
      }
    }
    assert.ok(containerOf(one('Deployment')).env.some((e: Manifest) => e.name === 'DATABASE_URL'));
  });

  it('migrate with a Job running the CLI\'s migrate command (expand, then --contract), on the same image', () => {
    const program = new Command();
    registerServeCommands(program);
    const migrate = program.commands.find((c) => c.name() === 'migrate');
    assert.ok(migrate, 'the CLI has a migrate command');
    assert.ok(migrate.options.some((o) => o.long === '--contract'));
    const expand = one('Job', 'openspine-migrate');
    const contract = one('Job', 'openspine-migrate-contract');
    assert.deepEqual(containerOf(expand).args, ['migrate']);
    assert.deepEqual(containerOf(contract).args, ['migrate', '--contract']);
    for (const job of [expand, contract]) {
      assert.equal(containerOf(job).image, containerOf(one('Deployment')).image);
      assert.equal(job.spec.template.spec.securityContext.runAsNonRoot, true);
      assert.equal(containerOf(job).securityContext.readOnlyRootFilesystem, true);
    }
  });

  it('select the Deployment\'s pods from the Service and the PodDisruptionBudget', () => {
    const labels = one('Deployment').spec.template.metadata.labels;
    const matches = (selector: Record<string, string>) => Object.entries(selector).every(([k, v]) => labels[k] === v);
    assert.ok(matches(one('Service').spec.selector));
    assert.ok(matches(one('PodDisruptionBudget').spec.selector.matchLabels));
    assert.equal(one('Service').spec.ports[0].targetPort, containerOf(one('Deployment')).ports[0].name);
  });
});

describe('Dockerfile', () => {
  const text = readFileSync(join(ROOT, 'Dockerfile'), 'utf8');
  const dockerfile = DockerfileParser.parse(text);
  const instructions = dockerfile.getInstructions();
  const froms = dockerfile.getFROMs();
  const finalStage = instructions.slice(instructions.indexOf(froms[froms.length - 1]!));
  const json = (instruction: Cmd | Entrypoint) => instruction.getJSONStrings().map((s) => s.getJSONValue());

  it('is multi-stage, and the image runs as a non-root user', () => {
    assert.ok(froms.length >= 2, 'a build stage and a runtime stage');
    const users = finalStage.filter((i) => i.getKeyword() === 'USER').map((i) => i.getArgumentsContent() ?? '');
    assert.ok(users.length > 0, 'the runtime stage names its USER');
    const user = users[users.length - 1]!.split(':')[0]!;
    assert.ok(/^\d+$/.test(user) && Number(user) > 0, `USER ${user}: a non-root uid (numeric, so Kubernetes can check runAsNonRoot)`);
  });

  it('runs the compiled server: `node dist/cli/main.js serve`, not in demo mode', () => {
    const [entrypoint] = dockerfile.getENTRYPOINTs();
    const [cmd] = dockerfile.getCMDs();
    const command = [...json(entrypoint!), ...json(cmd!)];
    assert.deepEqual(command, ['node', 'dist/cli/main.js', 'serve']);
    const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { bin: Record<string, string> };
    assert.equal(pkg.bin.openspine, command[1], 'the same entry point as the openspine command');
    assert.ok(existsSync(join(ROOT, 'src/cli/main.ts')), 'dist/cli/main.js is compiled from src/cli/main.ts');
    assert.doesNotMatch(text, /--demo|--sandbox|OPENSPINE_DEMO|OPENSPINE_SANDBOX/);
  });

  it('holds no secrets and copies only production dependencies, the compiled code and what it reads at run time', () => {
    for (const instruction of instructions.filter((i) => ['ENV', 'ARG'].includes(i.getKeyword()))) {
      for (const arg of instruction.getArguments()) assert.doesNotMatch(arg.getValue().split('=')[0]!, SECRET_NAME, `${instruction.getKeyword()} ${arg.getValue()}`);
    }
    assert.match(text, /npm ci --omit=dev/);
    const copied = finalStage.filter((i) => i.getKeyword() === 'COPY' && !/--from=/.test(i.getTextContent()))
      .map((i) => i.getArguments()[0]!.getValue());
    for (const path of copied) assert.ok(existsSync(join(ROOT, path)), `COPY ${path}: exists`);
    const ignored = readFileSync(join(ROOT, '.dockerignore'), 'utf8').split('\n').map((l) => l.trim());
    for (const path of ['node_modules', '.openspine', '.git', 'dist', 'test']) assert.ok(ignored.includes(path), `.dockerignore leaves out ${path}`);
  });

  it('the compiled server imports only production dependencies (the image has no others)', () => {
    const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { dependencies: Record<string, string> };
    const dist = join(ROOT, 'dist');
    assert.ok(existsSync(join(dist, 'cli/main.js')), 'npm run build first');
    const imported = new Set<string>();
    const walk = (dir: string) => {
      for (const name of readdirSync(dir)) {
        const path = join(dir, name);
        if (statSync(path).isDirectory()) walk(path);
        else if (name.endsWith('.js')) {
          for (const m of readFileSync(path, 'utf8').matchAll(/(?:\bfrom\s*|\bimport\s*\(\s*|\bimport\s+)['"]((?:@[\w.-]+\/)?[\w][\w.-]*(?:\/[\w./-]*)?)['"]/g)) {
            const specifier = m[1]!;
            const name = specifier.startsWith('@') ? specifier.split('/').slice(0, 2).join('/') : specifier.split('/')[0]!;
            imported.add(name);
          }
        }
      }
    };
    walk(dist);
    const builtins = new Set(builtinModules);
    const missing = [...imported].filter((n) => !n.startsWith('node:') && !builtins.has(n) && !(n in pkg.dependencies));
    assert.deepEqual(missing, [], 'imported by dist/ but not a production dependency');
    assert.ok(imported.has('fastify') && imported.has('pg'));
  });
});
