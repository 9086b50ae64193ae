/**
 * A small XML well-formedness check for the charts: every tag closes in order,
 * attributes are quoted, entities are known — enough to prove a browser or GitHub will
 * parse the file — plus helpers to find vega's axis and mark groups.
 */
export interface SvgInfo {
  root: string;
  width: number;
  height: number;
  /** aria-label of every axis group. */
  axes: string[];
  /** Mark groups by vega class, e.g. "mark-line", with how many paths/items each holds. */
  marks: { kind: string; items: number }[];
  legendLabels: string[];
}

const NAME = /^[A-Za-z_][\w.:-]*$/;

export function checkSvg(svg: string): SvgInfo {
  const stack: string[] = [];
  let root = '';
  const tag =
    /<(\/?)([^\s>/!?]+)((?:\s+[^\s=/>]+\s*=\s*(?:"[^"]*"|'[^']*'))*)\s*(\/?)>|<!--[\s\S]*?-->|<\?[\s\S]*?\?>|<!\[CDATA\[[\s\S]*?\]\]>/g;
  let at = 0;
  let m: RegExpExecArray | null;
  while ((m = tag.exec(svg))) {
    const text = svg.slice(at, m.index);
    if (text.includes('<'))
      throw new Error(
        `malformed tag near offset ${at + text.indexOf('<')}: ${svg.slice(at + text.indexOf('<'), at + text.indexOf('<') + 60)}`,
      );
    for (const ent of text.match(/&[^;\s]*;?/g) ?? []) {
      if (!/^&(amp|lt|gt|quot|apos|#\d+|#x[0-9a-fA-F]+);$/.test(ent)) throw new Error(`bad entity ${ent}`);
    }
    at = m.index + m[0].length;
    if (!m[2]) continue; // comment, prolog, CDATA
    const [, closing, name, , selfClosing] = m;
    if (!NAME.test(name)) throw new Error(`bad tag name ${name}`);
    if (closing) {
      const open = stack.pop();
      if (open !== name) throw new Error(`</${name}> closes <${open}>`);
    } else if (!selfClosing) {
      if (!root) root = name;
      stack.push(name);
    } else if (!root) root = name;
  }
  if (svg.slice(at).trim()) throw new Error('text after the root element');
  if (stack.length) throw new Error(`unclosed <${stack.join('>, <')}>`);
  const attr = (re: RegExp): number => Number(re.exec(svg)?.[1] ?? NaN);
  const axes = [...svg.matchAll(/class="mark-group role-axis"[^>]*aria-label="([^"]*)"/g)].map((x) => x[1]);
  const marks: SvgInfo['marks'] = [];
  for (const g of svg.matchAll(/<g class="(mark-[a-z]+) role-mark[^"]*"[^>]*>([\s\S]*?)<\/g>/g)) {
    marks.push({ kind: g[1], items: (g[2].match(/<(path|circle|rect|line|text)\b/g) ?? []).length });
  }
  const legendLabels = [...svg.matchAll(/role-legend-label[\s\S]*?<\/g>/g)].flatMap((x) =>
    [...x[0].matchAll(/<text[^>]*>([^<]*)<\/text>/g)].map((t) => t[1]),
  );
  return {
    root,
    width: attr(/<svg[^>]*\swidth="([\d.]+)"/),
    height: attr(/<svg[^>]*\sheight="([\d.]+)"/),
    axes,
    marks,
    legendLabels,
  };
}
