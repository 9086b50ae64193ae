/**
 * Writes the tuned engine into a config file without disturbing anything else in it:
 * other top-level keys stay as they are (YAML comments included), only `engine` is
 * replaced, and the file is swapped in atomically.
 */
import { existsSync, readFileSync } from 'node:fs';
import YAML from 'yaml';
import { configError } from '../common/errors.ts';
import { writeFileAtomic } from '../common/fs-atomic.ts';
import type { ParamValues } from '../engines/params.ts';

export interface EngineSnippet {
  engine: { name: string; params: ParamValues };
}

export function writeConfigSnippet(path: string, snippet: EngineSnippet): void {
  const yaml = /\.ya?ml$/i.test(path);
  if (!existsSync(path)) {
    writeFileAtomic(path, yaml ? YAML.stringify(snippet) : JSON.stringify(snippet, null, 2) + '\n');
    return;
  }
  const text = readFileSync(path, 'utf8');
  if (yaml) {
    const doc = YAML.parseDocument(text);
    if (doc.errors.length > 0)
      throw configError(
        `${path}: malformed YAML at line ${doc.errors[0].linePos?.[0].line ?? '?'}; not overwriting it`,
      );
    if (doc.contents !== null && !YAML.isMap(doc.contents))
      throw configError(`${path}: the top level is not a mapping; not overwriting it`);
    // Parameters of the previous engine may not exist in the new one: replace them wholesale.
    doc.setIn(['engine', 'name'], snippet.engine.name);
    doc.setIn(['engine', 'params'], doc.createNode(snippet.engine.params));
    writeFileAtomic(path, doc.toString());
    return;
  }
  let raw: unknown;
  try {
    raw = text.trim() === '' ? {} : JSON.parse(text);
  } catch (e) {
    throw configError(`${path}: malformed JSON (${(e as Error).message}); not overwriting it`);
  }
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw))
    throw configError(`${path}: the top level is not a JSON object; not overwriting it`);
  const obj = raw as Record<string, unknown>;
  const prev =
    obj.engine !== null && typeof obj.engine === 'object' && !Array.isArray(obj.engine)
      ? (obj.engine as Record<string, unknown>)
      : {};
  obj.engine = { ...prev, name: snippet.engine.name, params: { ...snippet.engine.params } };
  writeFileAtomic(path, JSON.stringify(obj, null, 2) + '\n');
}
