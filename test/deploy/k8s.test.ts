import { spawnSync } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import YAML from 'yaml';
import { Namespace, Service, ServiceAccount } from 'kubernetes-models/v1';
import { Deployment } from 'kubernetes-models/apps/v1';
import { HorizontalPodAutoscaler } from 'kubernetes-models/autoscaling/v2';
import { PodDisruptionBudget } from 'kubernetes-models/policy/v1';
import { NetworkPolicy } from 'kubernetes-models/networking.k8s.io/v1';
import { ROOT, runCli } from '../helpers/cli.ts';
import { pinImageInKustomization } from '../../pipeline/gitops/deploy/render.ts';

const MODELS: Record<string, new (o: never) => { validate(): void }> = {
  'v1/Namespace': Namespace,
  'v1/Service': Service,
  'v1/ServiceAccount': ServiceAccount,
  'apps/v1/Deployment': Deployment,
  'autoscaling/v2/HorizontalPodAutoscaler': HorizontalPodAutoscaler,
  'policy/v1/PodDisruptionBudget': PodDisruptionBudget,
  'networking.k8s.io/v1/NetworkPolicy': NetworkPolicy,
};

type K8sObject = {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string };
  spec?: Record<string, unknown>;
};

function render(root: string, env: string): K8sObject[] {
  const r = spawnSync('kubectl', ['kustomize', join(root, 'deploy/k8s/overlays', env)], { encoding: 'utf8' });
  expect(r.error, 'kubectl must be installed (.ci/run installs it)').toBeUndefined();
  expect(r.status, r.stderr).toBe(0);
  return YAML.parseAllDocuments(r.stdout).map((d) => d.toJS() as K8sObject);
}

const DIGEST = 'sha256:' + 'ab'.repeat(32);

describe.each(['staging', 'production'])('kustomize overlay %s', (env) => {
  const objects = render(ROOT, env);
  const byKind = (kind: string): K8sObject => objects.find((o) => o.kind === kind)!;

  it('renders objects that validate against the Kubernetes schemas offline', () => {
    expect(objects.map((o) => o.kind).sort()).toEqual([
      'Deployment',
      'HorizontalPodAutoscaler',
      'Namespace',
      'NetworkPolicy',
      'PodDisruptionBudget',
      'Service',
      'ServiceAccount',
    ]);
    for (const o of objects) {
      const Model = MODELS[`${o.apiVersion}/${o.kind}`];
      expect(Model, `${o.apiVersion}/${o.kind}`).toBeDefined();
      expect(() => new Model(o as never).validate()).not.toThrow();
      if (o.kind !== 'Namespace') expect(o.metadata.namespace).toBe(`credit-scoring-${env}`);
    }
  });

  it('probes the health endpoints, runs non-root on a read-only root filesystem, with limits', () => {
    const pod = (byKind('Deployment').spec as { template: { spec: Record<string, unknown> } }).template.spec as {
      securityContext: Record<string, unknown>;
      containers: Record<string, never>[];
    };
    const c = pod.containers[0] as unknown as {
      readinessProbe: { httpGet: { path: string } };
      livenessProbe: { httpGet: { path: string } };
      securityContext: Record<string, unknown>;
      resources: { requests: Record<string, string>; limits: Record<string, string> };
      lifecycle: { preStop: unknown };
      image: string;
    };
    expect(c.readinessProbe.httpGet.path).toBe('/readyz');
    expect(c.livenessProbe.httpGet.path).toBe('/healthz');
    expect(pod.securityContext.runAsNonRoot).toBe(true);
    expect(c.securityContext).toMatchObject({
      readOnlyRootFilesystem: true,
      allowPrivilegeEscalation: false,
      capabilities: { drop: ['ALL'] },
    });
    expect(c.resources.limits.memory).toBeDefined();
    expect(c.resources.limits.cpu).toBeDefined();
    expect(c.resources.requests.cpu).toBeDefined();
    expect(c.lifecycle.preStop).toBeDefined();
    expect(c.image).toMatch(/@sha256:[0-9a-f]{64}$/);
  });

  it('keeps at least one pod through disruptions and scales on CPU', () => {
    expect(byKind('PodDisruptionBudget').spec!.minAvailable).toBe(1);
    const hpa = byKind('HorizontalPodAutoscaler').spec as {
      minReplicas: number;
      maxReplicas: number;
      metrics: { resource: { name: string } }[];
    };
    expect(hpa.minReplicas).toBeGreaterThanOrEqual(1);
    expect(hpa.maxReplicas).toBeGreaterThan(hpa.minReplicas);
    expect(hpa.metrics[0].resource.name).toBe('cpu');
  });
});

describe('mlops deploy render', () => {
  it('pins the image by digest in the overlay, keeping the rest of the file', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'deploy-'));
    cpSync(join(ROOT, 'deploy'), join(dir, 'deploy'), { recursive: true });
    const r = await runCli(
      ['deploy', 'render', '--env', 'production', '--image', 'ghcr.io/acme/credit-risk-gitops', '--digest', DIGEST],
      dir,
    );
    expect(r.code, r.err).toBe(0);
    const text = readFileSync(join(dir, 'deploy/k8s/overlays/production/kustomization.yaml'), 'utf8');
    expect(text).toMatch(/# Written by `npx mlops deploy render/);
    const deployment = render(dir, 'production').find((o) => o.kind === 'Deployment')!;
    const image = (deployment.spec as { template: { spec: { containers: { image: string }[] } } }).template.spec
      .containers[0].image;
    expect(image).toBe(`ghcr.io/acme/credit-risk-gitops@${DIGEST}`);
  });

  it('refuses a malformed digest, an unknown overlay and a tag in the image name', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'deploy-'));
    cpSync(join(ROOT, 'deploy'), join(dir, 'deploy'), { recursive: true });
    let r = await runCli(
      ['deploy', 'render', '--env', 'production', '--image', 'ghcr.io/acme/x', '--digest', 'latest'],
      dir,
    );
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/digest must look like sha256:/);
    r = await runCli(['deploy', 'render', '--env', 'qa', '--image', 'ghcr.io/acme/x', '--digest', DIGEST], dir);
    expect(r.err).toMatch(/no overlay "qa"/);
    expect(() => pinImageInKustomization('images: []\n', { image: 'ghcr.io/acme/x:v1', digest: DIGEST })).toThrow(
      /without tag/,
    );
  });
});

describe('KServe InferenceService example', () => {
  it('uses the image as a custom predictor on the service port with the v2 protocol', () => {
    const isvc = YAML.parse(readFileSync(join(ROOT, 'deploy/kserve/inferenceservice.yaml'), 'utf8'));
    expect(isvc.apiVersion).toBe('serving.kserve.io/v1beta1');
    expect(isvc.kind).toBe('InferenceService');
    const c = isvc.spec.predictor.containers[0];
    expect(c.image).toMatch(/@sha256:/);
    expect(c.ports[0].containerPort).toBe(8080);
    expect(c.readinessProbe.httpGet.path).toBe('/v2/health/ready');
  });
});
