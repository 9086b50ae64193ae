/**
 * The COPY text parser as it was before it read fields from the bytes: one string per
 * cell (split on tabs, Number() of numeric text, unescaped, normalised as the CSV reader
 * does). Kept as the oracle the byte-level parser must agree with, value for value.
 */
import { unescapeCopy, type CopyKind } from '../../pipeline/core/data/copy-text.ts';
import { cellText } from '../../pipeline/core/data/typed-columns.ts';

export function referenceParse(
  text: Buffer,
  kinds: CopyKind[],
  names: string[],
): { numbers: Map<string, Float64Array>; text: Map<string, (string | null)[]> } {
  const lines = text.toString('latin1').split('\n');
  lines.pop(); // the text ends with a newline
  const numbers = new Map<string, Float64Array>();
  const texts = new Map<string, (string | null)[]>();
  kinds.forEach((k, c) => {
    if (k === 'number') numbers.set(names[c], new Float64Array(lines.length));
    else if (k !== 'skip') texts.set(names[c], []);
  });
  lines.forEach((line, r) => {
    const fields = line.split('\t');
    // The last field runs to the end of the line.
    const cells = [...fields.slice(0, kinds.length - 1), fields.slice(kinds.length - 1).join('\t')];
    kinds.forEach((k, c) => {
      const raw = cells[c];
      const isNull = raw === '\\N';
      if (k === 'number') numbers.get(names[c])![r] = isNull ? NaN : Number(raw);
      else if (k !== 'skip') {
        if (isNull) return void texts.get(names[c])!.push(null);
        let v = Buffer.from(raw, 'latin1').toString('utf8');
        if (v.includes('\\')) v = unescapeCopy(v);
        texts.get(names[c])!.push(k === 'bool' ? (v === 't' ? 'true' : v === 'f' ? 'false' : v) : cellText(v));
      }
    });
  });
  return { numbers, text: texts };
}
