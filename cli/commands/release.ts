import { usageError, type LoadedConfig } from '../../pipeline/core/index.ts';
import {
  OciClient,
  checkBaseImage,
  championPin,
  conflictError,
  dockerClient,
  parseImageRef,
  pinOverlays,
  planText,
  publishRelease,
  pushIsStateOnly,
  releaseStatus,
  type ImageRef,
  type RegistryCredentials,
  type ReleasePlan,
} from '../../pipeline/gitops/index.ts';
import type { Command, CliIO, ParsedArgs } from '../command.ts';
import { commitFlags, commitHelp, commitOptions, registryContext } from './registry.ts';

export const releaseCommand: Command = {
  help: `Usage: mlops release <status|publish|pin> [--image REF] [options]
       mlops release state-only --before SHA [--after REF]

The registry in git is the desired state: every version that has been champion needs
its image REF:v<N> (labelled with its model digest), and REF:champion must point at the
champion's image. Each subcommand reads models/registry.json and asks the OCI registry
(the Registry HTTP API v2 that GHCR serves) what it holds.

  status    list each v<N> (published, missing, or a conflict), its image and model
            digests, and where champion points; exit 0, or 1 when a pushed v<N> carries
            another model than the registry's (both digests named)
  publish   build and push every missing v<N> from the tree of the commit that made it
            champion (npm run build:service + the Dockerfile, in a temporary git
            worktree), then point champion at the champion's image by a manifest PUT (a
            rollback moves the tag, it never rebuilds); a second run does nothing.
            A pushed v<N> is never overwritten
  pin       pin the champion's image digest in the overlays of release.overlays
            (deploy/k8s/overlays/<name>); with --push, commit and push them
            (release.pin: commit) or push the branch release.pin_branch and print the
            pull request to open (release.pin: pull-request)
  state-only  the loop guard: print true when the push from --before to --after
            (default HEAD) changed only state the release machinery writes (the
            registry, reports/<model>/, deploy/k8s/overlays/), so CI skips training
            and only reconciles; false otherwise (also when --before is unknown)

  --image REF         image repository with its registry host, no tag, e.g.
                      ghcr.io/acme/credit-risk-gitops (default: release.image)
  --model NAME        model (default: model_name from the config)
  --config FILE       config file (default: mlops.config.json in the current folder)
  --json              print the result as JSON
  --source URL        publish: org.opencontainers.image.source label (default
                      $GITHUB_SERVER_URL/$GITHUB_REPOSITORY when set)
  --build-arg K=V     publish: extra docker build argument, repeatable
  --base-image REF    publish: build on REF instead of the Dockerfile's pinned base (a
                      mirror of it); the FROM lines are rewritten in a copy, never in git
  --network NAME      publish: docker build --network for RUN steps (e.g. host)
${commitHelp}
  -h, --help          show this help

Credentials come from the environment: REGISTRY_TOKEN (user REGISTRY_USERNAME, default
$GITHUB_ACTOR) for any registry, or GITHUB_TOKEN for ghcr.io only. Without them the
registry is read anonymously (public packages) and docker push uses docker's own login.
In GitHub Actions the job needs "permissions: packages: write".`,
  options: {
    image: { type: 'string' },
    model: { type: 'string' },
    config: { type: 'string', short: 'c' },
    json: { type: 'boolean' },
    source: { type: 'string' },
    before: { type: 'string' },
    after: { type: 'string' },
    'build-arg': { type: 'string', multiple: true },
    'base-image': { type: 'string' },
    network: { type: 'string' },
    ...commitOptions,
  },
  positionals: true,
  async run(args, io) {
    const [sub, ...extra] = args.positionals;
    if (!sub) throw usageError('release needs a subcommand: status, publish or pin');
    if (extra.length > 0) throw usageError(`unexpected argument ${JSON.stringify(extra[0])}`);
    if (!['status', 'publish', 'pin', 'state-only'].includes(sub))
      throw usageError(`unknown release subcommand "${sub}" (use status, publish, pin or state-only)`);
    const { loaded, dir } = registryContext(args, io);
    if (sub === 'state-only') {
      const before = args.values.before as string | undefined;
      if (before === undefined || !/^[0-9a-f]{0,40}$/.test(before))
        throw usageError('state-only needs --before SHA (the commit before the push, e.g. github.event.before)');
      const r = await pushIsStateOnly(loaded.config, loaded.baseDir, before, (args.values.after as string) ?? 'HEAD');
      io.err(r.reason);
      io.out(String(r.stateOnly));
      return 0;
    }
    const image = imageFrom(args, loaded);
    const model = (args.values.model as string | undefined) ?? loaded.config.model_name;
    const credentials = credentialsFrom(image);
    const client = new OciClient(image, { credentials });
    const json = Boolean(args.values.json);

    if (sub === 'status') {
      const plan = await releaseStatus({ dir, model, client });
      io.out(json ? JSON.stringify(plan, null, 2) : planText(plan));
      if (plan.conflicts.length) throw conflictError(plan);
      return 0;
    }
    if (sub === 'publish') {
      const r = await publishRelease({
        dir,
        model,
        client,
        docker: () => dockerClient(image.host, credentials),
        source: (args.values.source as string | undefined) ?? sourceFromEnv(),
        buildArgs: buildArgsFrom(args),
        baseImage: args.values['base-image'] === undefined ? null : checkBaseImage(args.values['base-image'] as string),
        network: (args.values.network as string | undefined) ?? null,
        onStep: (line) => io.err(`• ${line}`),
      });
      if (json) io.out(JSON.stringify(r, null, 2));
      else if (r.before.actions.length === 0)
        io.out(`${planText(r.before)}\nNothing published: the OCI registry already follows the registry (no build).`);
      else
        io.out(
          [
            ...r.built.map((b) => `pushed ${image.name}:${b.tag} ${b.digest} (built from ${b.commit.slice(0, 12)})`),
            r.championMovedTo ? `champion → ${r.championMovedTo}` : null,
            planText(r.after),
          ]
            .filter(Boolean)
            .join('\n'),
        );
      return 0;
    }
    return pin(args, io, loaded, await releaseStatus({ dir, model, client }), json);
  },
};

async function pin(
  args: ParsedArgs,
  io: CliIO,
  loaded: LoadedConfig,
  plan: ReleasePlan,
  json: boolean,
): Promise<number> {
  const target = championPin(plan);
  const { commit, ...push } = commitFlags(args, loaded);
  const release = loaded.config.release;
  const r = await pinOverlays({
    root: loaded.baseDir,
    overlays: release.overlays,
    target,
    mode: release.pin,
    prBranch: release.pin_branch,
    // A pin pull request is a pushed branch, so only --push makes one.
    commit: release.pin === 'pull-request' ? push.push : commit,
    ...push,
  });
  if (json) {
    io.out(JSON.stringify({ ...target, ...r }, null, 2));
    return 0;
  }
  const at = `${target.image}@${target.digest} (${target.model} v${target.version})`;
  if (r.changed.length === 0) {
    io.out(`Nothing to pin: ${release.overlays.join(', ')} already pin ${at}.`);
    return 0;
  }
  io.out(`pinned ${at} in ${r.changed.join(', ')}`);
  if (r.commit) io.out(`commit ${r.commit.slice(0, 12)}${r.pushed ? ' pushed' : ' (not pushed)'}`);
  if (r.pullRequest)
    io.out(
      `open a pull request from ${r.pullRequest.head} into ${r.pullRequest.base}: "${r.pullRequest.title}" (--json prints its body)`,
    );
  return 0;
}

/** --image, else release.image from the config. */
export function imageFrom(args: ParsedArgs, loaded: LoadedConfig): ImageRef {
  const text = (args.values.image as string | undefined) ?? loaded.config.release.image;
  if (!text)
    throw usageError('name the image with --image REF (e.g. ghcr.io/acme/credit-risk-gitops) or release.image');
  return parseImageRef(text);
}

/**
 * REGISTRY_TOKEN for any registry; GITHUB_TOKEN only for ghcr.io, so a workflow's token
 * never reaches another registry's token service.
 */
export function credentialsFrom(image: ImageRef, env: NodeJS.ProcessEnv = process.env): RegistryCredentials | null {
  const username = env.REGISTRY_USERNAME || env.GITHUB_ACTOR || 'mlops';
  if (env.REGISTRY_TOKEN) return { username, password: env.REGISTRY_TOKEN };
  if (env.GITHUB_TOKEN && image.host === 'ghcr.io') return { username, password: env.GITHUB_TOKEN };
  return null;
}

function sourceFromEnv(env: NodeJS.ProcessEnv = process.env): string | null {
  return env.GITHUB_SERVER_URL && env.GITHUB_REPOSITORY
    ? `${env.GITHUB_SERVER_URL.replace(/\/$/, '')}/${env.GITHUB_REPOSITORY}`
    : null;
}

function buildArgsFrom(args: ParsedArgs): Record<string, string> {
  const out: Record<string, string> = {};
  for (const pair of (args.values['build-arg'] as string[] | undefined) ?? []) {
    const m = /^([A-Za-z_][A-Za-z0-9_]*)=(.*)$/s.exec(pair);
    if (!m) throw usageError(`--build-arg must look like NAME=value (got ${JSON.stringify(pair)})`);
    out[m[1]] = m[2];
  }
  return out;
}
