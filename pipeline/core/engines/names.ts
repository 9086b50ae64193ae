/**
 * The two names an engine field may hold that are not engines, in a module of their own so
 * that code which only compares names (the pull-request comment) does not bundle the engines.
 */

/**
 * Not an engine but the choice of one: `auto` cross-validates the engines that declare a fit
 * cost and keeps the best (pipeline/core/tuning/auto.ts); the model it makes is that engine's.
 */
export const AUTO_ENGINE = 'auto';

/**
 * Not an engine a config names but what `engine: auto` makes with `auto.ensemble` when a
 * soft-voting ensemble of its top finalists wins (pipeline/core/model/ensemble.ts).
 */
export const ENSEMBLE_ENGINE = 'ensemble';
