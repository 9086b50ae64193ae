/**
 * SVG → PNG with resvg (a devDependency with a native binary), for the chart pictures in
 * docs/img/ and the chart tests. Product code never imports it: the service image ships
 * without @resvg (scripts/container-test.sh checks).
 */
import { existsSync } from 'node:fs';

/** Font files resvg can use; the SVG names DejaVu Sans first (Debian `fonts-dejavu-core`). */
const FONT_FILES = [
  '/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf',
  '/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf',
  '/usr/share/fonts/dejavu/DejaVuSans.ttf',
  '/usr/share/fonts/dejavu/DejaVuSans-Bold.ttf',
  '/Library/Fonts/Arial.ttf',
  'C:\\Windows\\Fonts\\arial.ttf',
];

export function fontsAvailable(): string[] {
  return FONT_FILES.filter((f) => existsSync(f));
}

/**
 * PNG bytes of an SVG at `scale`× size. System fonts are scanned only when none of the
 * known files exists (slow); without any font resvg draws no text.
 */
export async function svgToPng(svg: string, scale = 2): Promise<Buffer> {
  const { Resvg } = await import('@resvg/resvg-js');
  const fontFiles = fontsAvailable();
  const r = new Resvg(svg, {
    fitTo: { mode: 'zoom', value: scale },
    background: 'white',
    font: {
      loadSystemFonts: fontFiles.length === 0,
      fontFiles,
      defaultFontFamily: 'DejaVu Sans',
      sansSerifFamily: 'DejaVu Sans',
    },
  });
  return Buffer.from(r.render().asPng());
}
