// summary.md and report.html of a results directory, both built from results.json alone.
import { LatencyHistogram } from '../../src/loadgen/latency-histogram.js';
import type { BenchResults, ScenarioResult } from './results.js';
import { lineChart, PERCENTILE_AXIS, type ChartSeries } from './svg-chart.js';

function n(value: number | undefined | null, fractionDigits = 1): string {
  return value === undefined || value === null ? '' : value.toLocaleString('en-US', { maximumFractionDigits: fractionDigits });
}

/** A phase's case, with its round when the run had several. */
function caseLabel(s: ScenarioResult): string {
  return s.round === undefined ? s.label : `${s.label} (round ${s.round})`;
}

export function summaryMarkdown(results: BenchResults): string {
  const rounds = results.rounds ?? [];
  const lines = [
    `# Bench ${results.startedAt}${results.quick ? ' (quick)' : ''}`,
    '',
    `${results.machine.cpus} CPUs, load average ${results.machine.loadAverage.map((l) => l.toFixed(2)).join(' ')}, Node ${results.machine.node}` +
      (results.machine.sutCpus === undefined ? '' : `; systems under test on CPUs ${results.machine.sutCpus}, the harness on ${results.machine.harnessCpus}`),
    ...(rounds.length > 1
      ? ['', `${rounds.length} rounds of every scenario. Each metric is the median of its rounds, or its worst round for a target with \`across: worst\`; the targets read each round on its own (a ratio within its round).`]
      : []),
    '',
    '| scenario | case | accepted msgs/s | delivered msgs/s | ack p50 ms | ack p90 ms | ack p99 ms | ack p99.9 ms | ack max ms | e2e p99 ms | errors | notes |',
    '| --- | --- | --: | --: | --: | --: | --: | --: | --: | --: | --: | --- |',
  ];
  for (const s of results.scenarios) {
    const notes = Object.entries(s.extra ?? {}).map(([k, v]) => `${k}=${v ?? 'n/a'}`).join(', ');
    lines.push(`| ${s.scenario} | ${caseLabel(s)} | ${n(s.acceptedPerSec)} | ${n(s.deliveredPerSec)} | ${n(s.ack?.p50)} | ${n(s.ack?.p90)} | ${n(s.ack?.p99)} | ${n(s.ack?.p999)} | ${n(s.ack?.max)} | ${n(s.e2e?.p99)} | ${n(s.errors)} | ${notes} |`);
  }
  // Two decimals: the ceiling ratios are fractions (0.13 must not read 0.1).
  const shown = (value: number | null | undefined): string => (value === null || value === undefined ? 'n/a' : n(value, 2));
  if (rounds.length > 1) {
    lines.push('', '## Metrics (what bench/targets.json refers to)', '', '| metric | value | each round |', '| --- | --: | --: |');
    for (const [name, value] of Object.entries(results.metrics)) lines.push(`| ${name} | ${shown(value)} | ${rounds.map((round) => shown(round.metrics[name])).join(' / ')} |`);
  } else {
    lines.push('', '## Metrics (what bench/targets.json refers to)', '', '| metric | value |', '| --- | --: |');
    for (const [name, value] of Object.entries(results.metrics)) lines.push(`| ${name} | ${shown(value)} |`);
  }
  return `${lines.join('\n')}\n`;
}

function scenarioCharts(s: ScenarioResult): string[] {
  const charts: string[] = [];
  const title = `${s.scenario}: ${caseLabel(s)}`;
  const throughput: ChartSeries[] = [{ name: 'accepted/s', points: s.series.map((p) => [p.t, p.acceptedPerSec]) }];
  if (s.series.some((p) => p.deliveredPerSec !== undefined)) throughput.push({ name: 'delivered/s', points: s.series.filter((p) => p.deliveredPerSec !== undefined).map((p) => [p.t, p.deliveredPerSec!]) });
  charts.push(lineChart({ title: `${title}: throughput`, xLabel: 'seconds', yLabel: 'msgs/s', series: throughput }));
  if (s.series.some((p) => p.ackP99Ms !== undefined)) {
    const latency: ChartSeries[] = [
      { name: 'ack p50', points: s.series.filter((p) => p.ackP50Ms !== undefined && p.acceptedPerSec > 0).map((p) => [p.t, p.ackP50Ms!]) },
      { name: 'ack p99', points: s.series.filter((p) => p.ackP99Ms !== undefined && p.acceptedPerSec > 0).map((p) => [p.t, p.ackP99Ms!]) },
    ];
    if (s.series.some((p) => p.e2eP99Ms !== undefined)) latency.push({ name: 'end-to-end p99', points: s.series.filter((p) => p.e2eP99Ms !== undefined).map((p) => [p.t, p.e2eP99Ms!]) });
    charts.push(lineChart({ title: `${title}: latency over time`, xLabel: 'seconds', yLabel: 'ms', series: latency }));
  }
  if (s.ackHistogram !== undefined) {
    const distribution: ChartSeries[] = [{ name: 'ack', points: LatencyHistogram.fromJSON(s.ackHistogram).percentileCurve() }];
    if (s.e2eHistogram !== undefined) distribution.push({ name: 'end-to-end', points: LatencyHistogram.fromJSON(s.e2eHistogram).percentileCurve() });
    charts.push(lineChart({ title: `${title}: latency by percentile`, xLabel: 'percentile', yLabel: 'ms', series: distribution, xAxis: PERCENTILE_AXIS }));
  }
  if (s.soak !== undefined) {
    charts.push(lineChart({ title: `${title}: memory`, xLabel: 'seconds', yLabel: 'MB', series: [
      { name: 'RSS', points: s.soak.map((p) => [p.t, p.rssMb]) },
      { name: 'heap used', points: s.soak.map((p) => [p.t, p.heapUsedMb]) },
    ] }));
    charts.push(lineChart({ title: `${title}: event loop and queue`, xLabel: 'seconds', yLabel: 'ms', series: [
      { name: 'event-loop delay p99', points: s.soak.map((p) => [p.t, p.eventLoopDelayP99Ms]) },
      { name: 'queue age (estimate)', points: s.soak.map((p) => [p.t, p.queueAgeMs]) },
    ] }));
  }
  return charts;
}

/** One chart per scenario with the ack latency distribution of each of its cases, to compare them. */
function overviewCharts(results: BenchResults): string[] {
  const groups = new Map<string, ScenarioResult[]>();
  for (const s of results.scenarios) if (s.ackHistogram !== undefined) groups.set(s.scenario, [...(groups.get(s.scenario) ?? []), s]);
  return [...groups].map(([scenario, cases]) =>
    lineChart({
      title: `${scenario}: ack latency by percentile`,
      xLabel: 'percentile',
      yLabel: 'ms',
      xAxis: PERCENTILE_AXIS,
      series: cases.map((s) => ({ name: caseLabel(s), points: LatencyHistogram.fromJSON(s.ackHistogram!).percentileCurve() })),
    }),
  );
}

export function reportHtml(results: BenchResults, summary: string): string {
  const escape = (text: string): string => text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
  const sections = results.scenarios.map((s) => `<section><h2>${escape(`${s.scenario}: ${caseLabel(s)}`)}</h2>${s.errorMessages ? `<p>${escape(s.errorMessages.join('; '))}</p>` : ''}<div class="charts">${scenarioCharts(s).join('')}</div></section>`);
  return `<!doctype html>
<html><head><meta charset="utf-8"><title>Switchboard bench ${escape(results.startedAt)}</title>
<style>body{font-family:sans-serif;margin:2em;max-width:1400px}pre{background:#f6f6f6;padding:1em;overflow-x:auto;font-size:12px}.charts{display:flex;flex-wrap:wrap;gap:8px}section{border-top:1px solid #ccc;margin-top:1em}</style>
</head><body>
<h1>Switchboard bench ${escape(results.startedAt)}${results.quick ? ' (quick)' : ''}</h1>
<pre>${escape(summary)}</pre>
<section><h2>Latency distributions compared</h2><div class="charts">${overviewCharts(results).join('')}</div></section>
${sections.join('\n')}
</body></html>
`;
}
