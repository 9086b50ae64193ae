/**
 * Reading and writing `models/registry.json`. Every read is validated four ways: the
 * JSON Schema (ajv); the versions, aliases and history agreeing with each other (version
 * numbers, history order, every event naming a registered version with its digest, the
 * champion being the one the last promotion or rollback made); the folders agreeing with
 * the versions (no version folder the file does not list); and the stored bundles (the
 * gzipped file's sha256 and the bundle's own digest must match the entry). Any problem
 * is an error naming the file and the entry, thrown before anything is written, so a
 * damaged registry is never overwritten.
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { Ajv, type ValidateFunction } from 'ajv';
import {
  MlopsError,
  sha256Hex,
  parseBundle,
  writeBundle,
  type Bundle,
  writeFileAtomic,
  removeStaleTemps,
  tempSibling,
  writeJsonAtomic,
  resolvePath,
  type MlopsConfig,
} from '../../core/index.ts';
import {
  BUNDLE_FILE,
  REGISTRY_FILE,
  READABLE_SCHEMA_VERSIONS,
  REGISTRY_SCHEMA_VERSION,
  emptyRegistry,
  registrySchema,
  type ModelEntry,
  type RegistryFile,
  type VersionEntry,
} from './schema.ts';

// Compiled on first use: commands that never read the registry skip the cost.
let registryValidator: ValidateFunction | null = null;
const registryValidate = (): ValidateFunction =>
  (registryValidator ??= new Ajv({ allErrors: true, strict: false }).compile(registrySchema));

/** The registry folder (`registry.path`, default `models/`) of a loaded config. */
export function registryDir(config: MlopsConfig, baseDir: string): string {
  return resolvePath(baseDir, config.registry.path);
}

export function registryFile(dir: string): string {
  return join(dir, REGISTRY_FILE);
}

/** A human label for a JSON pointer into the registry, e.g. `models.credit-default.versions[0] (v1).digest`. */
export function entryLabel(pointer: string, data: unknown): string {
  const parts = pointer
    .split('/')
    .slice(1)
    .map((p) => p.replace(/~1/g, '/').replace(/~0/g, '~'));
  let label = '';
  let node: unknown = data;
  for (const part of parts) {
    const isIndex = Array.isArray(node) && /^\d+$/.test(part);
    label += isIndex ? `[${part}]` : label ? `.${part}` : part;
    node = node !== null && typeof node === 'object' ? (node as Record<string, unknown>)[part] : undefined;
    const v = node as { version?: unknown; seq?: unknown } | undefined;
    if (isIndex && v && typeof v === 'object') {
      if (typeof v.version === 'number' && !('event' in v)) label += ` (v${v.version})`;
      else if (typeof v.seq === 'number') label += ` (event ${v.seq})`;
    }
  }
  return label || '(top level)';
}

function integrity(file: string, entry: string, why: string): MlopsError {
  return new MlopsError(
    'integrity',
    `${file}: ${entry}: ${why}. Nothing was changed; fix the entry or restore the file from git (git checkout -- ${file}).`,
  );
}

/** Verified bundle digests by file sha256, so repeated reads in one process stay cheap. */
const verifiedDigests = new Map<string, string>();

export interface LoadOptions {
  /** Skip the per-version bundle checks (only for callers that check bundles themselves). */
  skipBundles?: boolean;
}

/** Reads and validates the registry; a missing file is an empty registry. */
export function loadRegistry(dir: string, opts: LoadOptions = {}): RegistryFile {
  const file = registryFile(dir);
  if (!existsSync(file)) return emptyRegistry();
  return parseRegistry(readFileSync(file, 'utf8'), file, dir, opts);
}

export function parseRegistry(text: string, file: string, dir: string, opts: LoadOptions = {}): RegistryFile {
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (e) {
    throw integrity(file, '(whole file)', `malformed JSON (${(e as Error).message})`);
  }
  const sv = (data as { schema_version?: unknown } | null)?.schema_version;
  if (data && typeof data === 'object' && sv !== undefined && !READABLE_SCHEMA_VERSIONS.includes(sv as number)) {
    throw integrity(
      file,
      'schema_version',
      `schema version ${JSON.stringify(sv)} is not supported (this mlops reads versions ${READABLE_SCHEMA_VERSIONS.join(' and ')}); upgrade mlops or restore the file`,
    );
  }
  const validateRegistry = registryValidate();
  if (!validateRegistry(data)) {
    const problems = (validateRegistry.errors ?? []).slice(0, 5).map((e) => {
      const extra =
        e.keyword === 'additionalProperties'
          ? ` "${(e.params as { additionalProperty: string }).additionalProperty}"`
          : '';
      const missing = e.keyword === 'required' ? ` "${(e.params as { missingProperty: string }).missingProperty}"` : '';
      return `${entryLabel(e.instancePath, data)}: ${e.message ?? 'is invalid'}${extra || missing}`;
    });
    throw integrity(file, problems[0].split(': ')[0], `invalid registry (schema): ${problems.join('; ')}`);
  }
  const reg = data as RegistryFile;
  for (const [name, model] of Object.entries(reg.models)) checkModel(file, dir, name, model, opts);
  checkFolders(file, dir, reg);
  return reg;
}

function checkModel(file: string, dir: string, name: string, model: ModelEntry, opts: LoadOptions): void {
  const at = (i: number): string => `models.${name}.versions[${i}] (v${model.versions[i].version})`;
  model.versions.forEach((v, i) => {
    if (i > 0 && v.version <= model.versions[i - 1].version)
      throw integrity(file, at(i), 'version numbers must be unique and increasing');
    if (v.path !== `${name}/v${v.version}`)
      throw integrity(file, at(i), `path must be "${name}/v${v.version}" (got "${v.path}")`);
  });
  for (const alias of ['champion', 'challenger'] as const) {
    const n = model.aliases[alias];
    if (n != null && !model.versions.some((v) => v.version === n)) {
      throw integrity(file, `models.${name}.aliases.${alias}`, `points to v${n}, which is not a registered version`);
    }
  }
  checkHistory(file, name, model);
  if (opts.skipBundles) return;
  model.versions.forEach((v, i) => checkVersionBundle(file, dir, name, v, at(i)));
}

/**
 * The history and the versions must tell one story: events in order, every event about a
 * version naming a registered one (with its digest), every version registered by an event,
 * and the champion the one the last promotion or rollback made.
 */
function checkHistory(file: string, name: string, model: ModelEntry): void {
  const versions = new Map(model.versions.map((v) => [v.version, v]));
  const registered = new Set<number>();
  let made: { version: number; label: string } | null = null;
  for (const [i, h] of model.history.entries()) {
    const at = `models.${name}.history[${i}] (event ${h.seq})`;
    if (h.seq !== i + 1)
      throw integrity(file, at, `history must be append-only with seq 1, 2, 3…; expected seq ${i + 1}`);
    for (const [field, n] of [
      ['version', h.version],
      ['previous_champion', h.previous_champion],
    ] as const) {
      if (n !== null && !versions.has(n))
        throw integrity(
          file,
          at,
          `its ${field} is v${n}, which is not a registered version (a version the history names was removed from "versions")`,
        );
    }
    if (h.version === null) continue;
    const v = versions.get(h.version)!;
    if (h.digest !== null && h.digest !== v.digest)
      throw integrity(file, at, `it records ${h.digest} for v${h.version}, but the version's digest is ${v.digest}`);
    if (h.event === 'registered') registered.add(h.version);
    if (h.event === 'promoted' || h.event === 'rolled_back') made = { version: h.version, label: at };
  }
  for (const v of model.versions)
    if (!registered.has(v.version))
      throw integrity(
        file,
        `models.${name}.versions (v${v.version})`,
        `no "registered" event in the history registers v${v.version}`,
      );
  const alias = model.aliases.champion;
  if (made !== null && alias !== made.version)
    throw integrity(
      file,
      `models.${name}.aliases.champion`,
      `is ${alias === null ? 'null' : `v${alias}`}, but ${made.label} made v${made.version} the champion`,
    );
  if (made === null && alias !== null)
    throw integrity(file, `models.${name}.aliases.champion`, `is v${alias}, but no event in the history promoted it`);
}

/** No version folder the file does not list: one left behind, or one whose entry was deleted. */
function checkFolders(file: string, dir: string, reg: RegistryFile): void {
  if (!existsSync(dir)) return;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    if (!entry.isDirectory() || entry.name.startsWith('.')) continue;
    const model = Object.hasOwn(reg.models, entry.name) ? reg.models[entry.name] : null;
    const known = new Set(model?.versions.map((v) => `v${v.version}`) ?? []);
    for (const sub of readdirSync(join(dir, entry.name), { withFileTypes: true })) {
      if (!sub.isDirectory() || !/^v[1-9][0-9]*$/.test(sub.name) || known.has(sub.name)) continue;
      const shown = relative(process.cwd(), join(dir, entry.name, sub.name)) || join(dir, entry.name, sub.name);
      throw integrity(
        file,
        model ? `models.${entry.name}.versions` : `models.${entry.name}`,
        `the folder ${shown} holds a version that registry.json does not list; remove the folder, or restore the entry`,
      );
    }
  }
}

function checkVersionBundle(file: string, dir: string, name: string, v: VersionEntry, label: string): void {
  const path = join(dir, v.path, v.bundle.file);
  const shown = relative(process.cwd(), path) || path;
  if (!existsSync(path)) throw integrity(file, label, `its bundle ${shown} is missing`);
  const bytes = readFileSync(path);
  if (bytes.subarray(0, 40).toString('utf8').startsWith('version https://git-lfs')) {
    throw integrity(file, label, `its bundle ${shown} is a Git LFS pointer, not the bundle; run "git lfs pull"`);
  }
  const fileSha = sha256Hex(bytes);
  if (fileSha !== v.bundle.sha256) {
    throw integrity(
      file,
      label,
      `bundle digest does not match: ${shown} hashes to sha256 ${fileSha} but the entry records ${v.bundle.sha256}; the bundle was replaced or edited after registration`,
    );
  }
  let contentDigest = verifiedDigests.get(fileSha);
  if (!contentDigest) {
    let bundle: Bundle;
    try {
      bundle = parseBundle(bytes, shown);
    } catch (e) {
      throw integrity(file, label, (e as Error).message);
    }
    if (bundle.name !== name)
      throw integrity(file, label, `its bundle ${shown} is model "${bundle.name}", not "${name}"`);
    contentDigest = bundle.digest;
    verifiedDigests.set(fileSha, contentDigest);
  }
  if (contentDigest !== v.digest) {
    throw integrity(
      file,
      label,
      `bundle digest does not match: ${shown} holds ${contentDigest} but the entry records ${v.digest}`,
    );
  }
}

/** Validates (never writes an invalid registry) and writes atomically. */
export function saveRegistry(dir: string, reg: RegistryFile): void {
  const file = registryFile(dir);
  reg.schema_version = REGISTRY_SCHEMA_VERSION;
  parseRegistry(JSON.stringify(reg), file, dir);
  writeJsonAtomic(file, reg);
}

export function modelEntry(reg: RegistryFile, name: string): ModelEntry | null {
  return Object.hasOwn(reg.models, name) ? reg.models[name] : null;
}

export function findVersion(model: ModelEntry | null, version: number): VersionEntry | null {
  return model?.versions.find((v) => v.version === version) ?? null;
}

export function versionDir(dir: string, v: VersionEntry): string {
  return join(dir, v.path);
}

export function versionBundlePath(dir: string, v: VersionEntry): string {
  return join(dir, v.path, v.bundle.file);
}

/** Absolute path of the champion's gzipped bundle, or null when the model has no champion. */
export function championBundlePath(dir: string, name: string): string | null {
  const reg = loadRegistry(dir);
  const model = modelEntry(reg, name);
  const v = model?.aliases.champion != null ? findVersion(model, model.aliases.champion) : null;
  return v ? versionBundlePath(dir, v) : null;
}

/** Reads a registered version's bundle and checks it is the one the entry records. */
export function loadVersionBundle(dir: string, v: VersionEntry): Bundle {
  const path = versionBundlePath(dir, v);
  const bundle = parseBundle(readFileSync(path), path);
  if (bundle.digest !== v.digest) {
    throw new MlopsError(
      'integrity',
      `${registryFile(dir)}: v${v.version}: ${path} holds ${bundle.digest} but the entry records ${v.digest}`,
    );
  }
  return bundle;
}

export interface ResolvedRef {
  name: string;
  model: ModelEntry;
  version: VersionEntry;
}

/**
 * Resolves `name@vN`, `name@champion`, `name@challenger`, `name` (its champion), `vN`
 * or `champion` (of `defaultName`).
 */
export function resolveRef(reg: RegistryFile, ref: string, defaultName: string): ResolvedRef {
  const m = /^(?:([a-z0-9][a-z0-9-]*)@)?(v?\d+|champion|challenger)$/.exec(ref) ?? /^([a-z0-9][a-z0-9-]*)()$/.exec(ref);
  if (!m) throw new MlopsError('usage', `cannot read model reference "${ref}"; use name@vN, name@champion or vN`);
  const name = m[1] || defaultName;
  const which = m[2] || 'champion';
  const model = modelEntry(reg, name);
  if (!model) {
    const known = Object.keys(reg.models);
    throw new MlopsError(
      'input',
      `no model "${name}" in the registry${known.length ? ` (models: ${known.join(', ')})` : ' (it is empty)'}`,
    );
  }
  let n: number | null;
  if (which === 'champion' || which === 'challenger') {
    n = model.aliases[which];
    if (n == null) throw new MlopsError('input', `${name} has no ${which}`);
  } else n = Number(which.replace(/^v/, ''));
  const version = findVersion(model, n);
  if (!version)
    throw new MlopsError(
      'input',
      `${name} has no version v${n} (versions: ${model.versions.map((v) => `v${v.version}`).join(', ') || 'none'})`,
    );
  return { name, model, version };
}

/**
 * Writes a version folder (`model.json.gz`, `metrics.json`, `card.md`) by assembling it
 * in a temporary sibling and renaming it into place. An existing folder is never
 * replaced: the registry is the source of truth, and a folder it does not know about
 * is a leftover the user should look at.
 */
export function writeVersionFolder(
  dir: string,
  path: string,
  bundle: Bundle,
  metrics: unknown,
  card: string,
): { sha256: string; bytes: number } {
  const target = resolve(dir, path);
  if (existsSync(target)) {
    throw new MlopsError(
      'state',
      `${target} already exists but ${registryFile(dir)} has no entry for it; remove the leftover folder (git clean) or restore registry.json`,
    );
  }
  const parent = resolve(target, '..');
  mkdirSync(parent, { recursive: true });
  removeStaleTemps(parent);
  const tmp = tempSibling(target);
  mkdirSync(tmp);
  try {
    writeBundle(join(tmp, BUNDLE_FILE), bundle);
    writeJsonAtomic(join(tmp, 'metrics.json'), metrics);
    writeFileAtomic(join(tmp, 'card.md'), card);
    const bytes = readFileSync(join(tmp, BUNDLE_FILE));
    renameSync(tmp, target);
    return { sha256: sha256Hex(bytes), bytes: statSync(join(target, BUNDLE_FILE)).size };
  } catch (e) {
    rmSync(tmp, { recursive: true, force: true });
    throw e;
  }
}
