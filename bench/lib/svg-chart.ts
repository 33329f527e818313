// A small line-chart drawer for report.html: inline SVG strings, no scripts, no CDN.
export interface ChartSeries {
  name: string;
  points: [number, number][];
}

export interface ChartOptions {
  title: string;
  xLabel: string;
  yLabel: string;
  series: ChartSeries[];
  /** Maps x before drawing (e.g. the percentile axis) and labels the ticks. */
  xAxis?: { transform: (x: number) => number; ticks: [number, string][] };
}

const COLORS = ['#1f77b4', '#d62728', '#2ca02c', '#ff7f0e', '#9467bd', '#8c564b', '#e377c2', '#17becf'];
const WIDTH = 640;
const HEIGHT = 300;
const PAD = { left: 64, right: 16, top: 28, bottom: 44 };

function escapeXml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

function niceMax(value: number): number {
  if (value <= 0) return 1;
  const magnitude = 10 ** Math.floor(Math.log10(value));
  for (const step of [1, 1.5, 2, 2.5, 3, 4, 5, 6, 8, 10]) if (step * magnitude >= value) return step * magnitude;
  return 10 * magnitude;
}

function formatNumber(value: number): string {
  if (value >= 1000) return `${Math.round(value / 100) / 10}k`;
  return String(Math.round(value * 100) / 100);
}

/** Maps a percentile to HdrHistogram's axis: 90 -> 1, 99 -> 2, 99.9 -> 3. */
export const PERCENTILE_AXIS = {
  transform: (p: number): number => -Math.log10(Math.max(1e-5, 1 - p / 100)),
  ticks: [[0, '0'], [90, '90'], [99, '99'], [99.9, '99.9'], [99.99, '99.99']] as [number, string][],
};

export function lineChart(options: ChartOptions): string {
  const transform = options.xAxis?.transform ?? ((x: number) => x);
  const all = options.series.flatMap((s) => s.points.map(([x, y]) => [transform(x), y] as [number, number]));
  const plotW = WIDTH - PAD.left - PAD.right;
  const plotH = HEIGHT - PAD.top - PAD.bottom;
  const xMin = Math.min(0, ...all.map((p) => p[0]));
  const xMax = Math.max(xMin + 1e-9, ...all.map((p) => p[0]));
  const yMax = niceMax(Math.max(0, ...all.map((p) => p[1])));
  const sx = (x: number): number => PAD.left + ((x - xMin) / (xMax - xMin)) * plotW;
  const sy = (y: number): number => PAD.top + plotH - (y / yMax) * plotH;
  const parts: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${HEIGHT}" viewBox="0 0 ${WIDTH} ${HEIGHT}" font-family="sans-serif" font-size="11">`,
    `<text x="${WIDTH / 2}" y="16" text-anchor="middle" font-size="13" font-weight="bold">${escapeXml(options.title)}</text>`,
    `<rect x="${PAD.left}" y="${PAD.top}" width="${plotW}" height="${plotH}" fill="none" stroke="#999"/>`,
  ];
  for (let i = 0; i <= 4; i++) {
    const y = (yMax * i) / 4;
    parts.push(`<line x1="${PAD.left}" x2="${PAD.left + plotW}" y1="${sy(y)}" y2="${sy(y)}" stroke="#eee"/>`);
    parts.push(`<text x="${PAD.left - 4}" y="${sy(y) + 4}" text-anchor="end">${formatNumber(y)}</text>`);
  }
  const xTicks = options.xAxis?.ticks ?? Array.from({ length: 6 }, (_, i) => [xMin + ((xMax - xMin) * i) / 5, formatNumber(xMin + ((xMax - xMin) * i) / 5)] as [number, string]);
  for (const [x, label] of xTicks) {
    const px = sx(options.xAxis === undefined ? x : transform(x));
    if (px < PAD.left - 1 || px > PAD.left + plotW + 1) continue;
    parts.push(`<text x="${px}" y="${PAD.top + plotH + 14}" text-anchor="middle">${escapeXml(label)}</text>`);
  }
  parts.push(`<text x="${PAD.left + plotW / 2}" y="${HEIGHT - 6}" text-anchor="middle">${escapeXml(options.xLabel)}</text>`);
  parts.push(`<text x="12" y="${PAD.top + plotH / 2}" text-anchor="middle" transform="rotate(-90 12 ${PAD.top + plotH / 2})">${escapeXml(options.yLabel)}</text>`);
  options.series.forEach((s, i) => {
    const color = COLORS[i % COLORS.length];
    if (s.points.length > 0) {
      const d = s.points.map(([x, y], j) => `${j === 0 ? 'M' : 'L'}${sx(transform(x)).toFixed(1)},${sy(y).toFixed(1)}`).join(' ');
      parts.push(`<path d="${d}" fill="none" stroke="${color}" stroke-width="1.5"/>`);
    }
    parts.push(`<rect x="${PAD.left + 8}" y="${PAD.top + 6 + i * 14}" width="10" height="3" fill="${color}"/>`);
    parts.push(`<text x="${PAD.left + 22}" y="${PAD.top + 11 + i * 14}">${escapeXml(s.name)}</text>`);
  });
  parts.push('</svg>');
  return parts.join('');
}
