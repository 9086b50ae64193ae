/**
 * How long work tells whoever shows it how far it is, without knowing how it is shown:
 * a step begins (`onStage`), and, when the amount of work is known, how much of it is
 * done (`onProgress`). The core and the GitOps layer only call these; the CLI renders
 * them (a live line on a terminal, a line every few seconds in a CI log).
 */
export interface ProgressCallbacks {
  /** A step begins (the previous one has ended), named for people: "loading data". */
  onStage?: (stage: string) => void;
  /** `done` of `total` units of the current step; `label` names the unit ("trees", "rows read"). */
  onProgress?: (done: number, total: number, label: string) => void;
}

/** The unit of a count of bytes (a file read as a stream): shown as sizes, not as a count. */
export const BYTES_READ = 'bytes read';

/** Records between two reports of a long loop: often enough for a live line, too rarely to cost time. */
export const PROGRESS_EVERY = 4096;
