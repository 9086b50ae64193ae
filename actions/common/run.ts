/**
 * How every entry point ends: `core.setFailed(message)` with the actionable message and
 * no stack trace for errors a user can fix (MlopsError), the stack in debug logs for
 * anything else — the way actions/checkout reports failures.
 */
import * as core from '@actions/core';
import { isMlopsError } from '../../pipeline/core/index.ts';

export async function runAction(main: () => Promise<void>): Promise<void> {
  try {
    await main();
  } catch (e) {
    if (isMlopsError(e)) core.setFailed(e.message);
    else {
      const err = e instanceof Error ? e : new Error(String(e));
      core.debug(err.stack ?? err.message);
      core.setFailed(err.message);
    }
  }
}
