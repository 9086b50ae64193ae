import { usageError } from '../../pipeline/core/index.ts';
import { renderOverlay } from '../../pipeline/gitops/index.ts';
import type { Command } from '../command.ts';

export const deployCommand: Command = {
  name: 'deploy',
  summary: 'pin the scoring image by digest in a Kubernetes overlay (deploy render)',
  help: `Usage: mlops deploy render --env NAME --image REPOSITORY --digest sha256:...

Writes the image and its digest into deploy/k8s/overlays/NAME/kustomization.yaml, so
what the cluster runs is exactly the image CI built for the champion. Commit the change;
a GitOps controller (Argo CD, Flux) or "kubectl apply -k" deploys it.

  --env NAME          overlay: staging or production (any folder under deploy/k8s/overlays)
  --image REPOSITORY  e.g. ghcr.io/acme/credit-risk-gitops (no tag)
  --digest DIGEST     the pushed image's digest (docker/build-push-action output "digest")
  -h, --help          show this help`,
  options: { env: { type: 'string' }, image: { type: 'string' }, digest: { type: 'string' } },
  positionals: true,
  async run(args, io) {
    const [sub] = args.positionals;
    if (sub !== 'render')
      throw usageError(`deploy has one subcommand, "render" (got ${sub === undefined ? 'none' : JSON.stringify(sub)})`);
    const { env, image, digest } = args.values as Record<string, string | undefined>;
    if (!env || !image || !digest) throw usageError('deploy render needs --env, --image and --digest');
    const file = renderOverlay(io.cwd, env, { image, digest });
    io.out(`pinned ${image}@${digest} in ${file}`);
    return 0;
  },
};
