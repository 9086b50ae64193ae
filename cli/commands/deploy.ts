import { usageError } from '../../pipeline/core/index.ts';
import { OciClient, championPin, releaseStatus, renderOverlay } from '../../pipeline/gitops/index.ts';
import type { Command } from '../command.ts';
import { registryContext } from './registry.ts';
import { credentialsFrom, imageFrom } from './release.ts';

export const deployCommand: Command = {
  help: `Usage: mlops deploy render --env NAME [--image REPOSITORY] [--digest sha256:...]

Writes the image and its digest into deploy/k8s/overlays/NAME/kustomization.yaml, so
what the cluster runs is exactly the image of the registry's champion. Without --digest
the digest comes from the OCI registry: the champion's v<N> image, as "mlops release
status" sees it (it must be published). Commit the change; a GitOps controller (Argo CD,
Flux) or "kubectl apply -k" deploys it. "mlops release pin" does this for every overlay
in release.overlays and commits it.

  --env NAME          overlay: staging or production (any folder under deploy/k8s/overlays)
  --image REPOSITORY  with its registry host, no tag, e.g. ghcr.io/acme/credit-risk-gitops
                      (default: release.image)
  --digest DIGEST     pin this digest instead of asking the registry
  --model NAME        model (default: model_name from the config)
  --config FILE       config file (default: mlops.config.json in the current folder)
  -h, --help          show this help`,
  options: {
    env: { type: 'string' },
    image: { type: 'string' },
    digest: { type: 'string' },
    model: { type: 'string' },
    config: { type: 'string', short: 'c' },
  },
  positionals: true,
  async run(args, io) {
    const [sub] = args.positionals;
    if (sub !== 'render')
      throw usageError(`deploy has one subcommand, "render" (got ${sub === undefined ? 'none' : JSON.stringify(sub)})`);
    const { env, digest } = args.values as Record<string, string | undefined>;
    if (!env) throw usageError('deploy render needs --env NAME');
    if (digest) {
      const image = args.values.image as string | undefined;
      if (!image) throw usageError('deploy render --digest needs --image REPOSITORY too');
      const file = renderOverlay(io.cwd, env, { image, digest });
      io.out(`pinned ${image}@${digest} in ${file}`);
      return 0;
    }
    const { loaded, dir } = registryContext(args, io);
    const image = imageFrom(args, loaded);
    const model = (args.values.model as string | undefined) ?? loaded.config.model_name;
    const plan = await releaseStatus({
      dir,
      model,
      client: new OciClient(image, { credentials: credentialsFrom(image) }),
    });
    const pin = championPin(plan);
    const file = renderOverlay(loaded.baseDir, env, pin);
    io.out(`pinned ${pin.image}@${pin.digest} (${pin.model} v${pin.version}) in ${file}`);
    return 0;
  },
};
