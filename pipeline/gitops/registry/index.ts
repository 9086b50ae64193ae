/**
 * The git-native model registry: the API the CLI, the GitHub Actions and the service
 * call. Nothing here reads GitHub's environment; adapters pass actor and CI run URL in.
 */
export type { Verdict, VerdictRule, VerdictDecision } from './verdict.ts';
export {
  REGISTRY_SCHEMA_VERSION,
  REGISTRY_FILE,
  BUNDLE_FILE,
  registrySchema,
  type RegistryFile,
  type ModelEntry,
  type VersionEntry,
  type HistoryEvent,
  type HistoryEventKind,
  type Lineage,
  type SignOff,
} from './schema.ts';
export {
  registryDir,
  registryFile,
  loadRegistry,
  saveRegistry,
  championBundlePath,
  versionBundlePath,
  loadVersionBundle,
  modelEntry,
  resolveRef,
  findVersion,
  type ResolvedRef,
} from './store.ts';
export { loadChallenger, type Challenger } from './challenger.ts';
export { evaluateChallenger, type EvaluateInput, type PromotionPolicy } from './policy.ts';
export {
  compareRun,
  promoteRun,
  type CompareOptions,
  type CompareResult,
  type PromoteOptions,
  type PromoteResult,
  type EventContext,
} from './promote.ts';
export { rollback, type RollbackOptions, type RollbackResult } from './rollback.ts';
export {
  commitRegistryChange,
  promoteAndCommit,
  rollbackAndCommit,
  promotionMessage,
  type CommitOptions,
  type CommitOutcome,
  type PromoteAndCommitResult,
} from './commit.ts';
export { verifyVersion, type VerifyOptions, type VerifyResult } from './verify.ts';
export {
  recordSignOff,
  recordSignOffAndCommit,
  signOffFrom,
  type EnvironmentReview,
  type SignOffResult,
} from './sign-off.ts';
export { signOffText } from './card.ts';
export { verdictMarkdown, registryListText, versionText, historyText } from './text.ts';

/** The CI run link from its parts (adapters pass GITHUB_SERVER_URL, GITHUB_REPOSITORY, GITHUB_RUN_ID). */
export function ciRunUrl(
  server: string | undefined,
  repository: string | undefined,
  runId: string | undefined,
): string | null {
  return server && repository && runId ? `${server.replace(/\/$/, '')}/${repository}/actions/runs/${runId}` : null;
}
