// `--perf-dir DIR`: Linux `perf` attached to each gateway process for its measured phases, folded
// into flame graphs. `--cpu-prof` (--profile-dir) charges time spent in V8's built-ins and in native
// code to whichever JS function V8 saw last: in one `single` profile it gave the Submit answer
// handler 14% of the main thread, which it held for under 1% of the time (timed around its body);
// perf sees every thread and every frame as the CPU ran it (bench/README.md, session 14).
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT } from './processes.js';

/** Node writes /tmp/perf-<pid>.map with this, so perf names JIT-compiled JS functions. */
export const PERF_NODE_FLAG = '--perf-basic-prof-only-functions';
/** Samples a second: odd, so it does not beat with the event loop's timers. */
const FREQUENCY_HZ = 999;
/** Frames narrower than this many pixels are left out of the SVG (their samples still count in their parents). */
const MIN_WIDTH_PX = 0.3;

/** Why `perf` cannot be used here, or null when it can. */
export function perfUnavailable(): string | null {
  const probe = spawnSync('perf', ['--version'], { encoding: 'utf8' });
  if (probe.error !== undefined || probe.status !== 0) {
    return `--perf-dir needs Linux perf on the PATH (${probe.error?.message ?? probe.stderr.trim()}); on Debian: apt-get install -y linux-perf`;
  }
  return null;
}

/** A perf recording of one process: stop() ends it and writes <name>.svg, <name>.folded and <name>.top.txt. */
export interface PerfRecording {
  stop(): Promise<void>;
}

export function startPerfRecording(pid: number, dir: string, name: string): PerfRecording {
  const data = join(dir, `${name}.perf.data`);
  const record: ChildProcess = spawn('perf', ['record', '-F', String(FREQUENCY_HZ), '-g', '-p', String(pid), '-o', data], { stdio: ['ignore', 'ignore', 'pipe'] });
  // What perf says when it cannot record (perf_event_paranoid, no such process), for the failure message.
  let said = '';
  record.stderr?.setEncoding('utf8').on('data', (chunk: string) => {
    if (said.length < 2000) said += chunk;
  });
  const exited = new Promise<void>((resolve) => record.once('exit', () => resolve()));
  return {
    stop: async () => {
      record.kill('SIGINT'); // perf writes its file and exits
      await exited;
      const script = spawnSync('perf', ['script', '-i', data], { encoding: 'utf8', maxBuffer: 1024 * 1024 * 1024 });
      rmSync(data, { force: true });
      // The JIT symbol map node wrote for perf; the gateway, about to stop, needs it no more.
      rmSync(`/tmp/perf-${pid}.map`, { force: true });
      if (script.status !== 0) {
        process.stderr.write(`perf profile of ${name} failed: ${script.stderr.trim()}${said.trim() === '' ? '' : `; perf record said: ${said.trim()}`}\n`);
        return;
      }
      const folded = foldPerfScript(script.stdout, pid);
      let samples = 0;
      for (const count of folded.values()) samples += count;
      writeFileSync(join(dir, `${name}.folded`), [...folded].map(([stack, count]) => `${stack} ${count}`).join('\n') + '\n');
      writeFileSync(join(dir, `${name}.svg`), flameGraphSvg(folded, `${name}: ${samples.toLocaleString('en-US')} samples at ${FREQUENCY_HZ} Hz`));
      writeFileSync(join(dir, `${name}.top.txt`), topSelfText(folded));
      process.stderr.write(`perf profile of ${name}: ${join(dir, `${name}.svg`)} (${samples.toLocaleString('en-US')} samples)\n`);
    },
  };
}

/**
 * A frame's name as shown: JS functions as "name path:line" (JIT tiers merged, paths relative to
 * the repository), kernel functions marked "[k]", the rest as perf named them.
 */
export function frameName(symbol: string, object: string): string {
  if (object === '[kernel.kallsyms]') return `${symbol} [k]`;
  if (!symbol.startsWith('JS:')) return symbol;
  return symbol
    .replace(/^JS:[*^~+]?/, '')
    .replace('file://', '')
    .replace(`${ROOT}dist/`, '')
    .replace(`${ROOT}node_modules/`, '')
    .replace(ROOT, '')
    .replace(/:(\d+):\d+$/, ':$1')
    .replace(/^ /, '(anonymous) ');
}

/**
 * `perf script` output as folded stacks ("root;...;leaf" -> samples), the input of flame graphs.
 * Each stack starts with its thread: the process's main thread (its event loop) or another one (GC
 * helpers, the libuv pool).
 */
export function foldPerfScript(text: string, pid: number): Map<string, number> {
  const folded = new Map<string, number>();
  for (const block of text.split(/\n\s*\n/)) {
    const lines = block.split('\n').filter((line) => line.trim() !== '');
    const header = lines[0];
    if (header === undefined || lines.length < 2) continue;
    const tid = Number(/^\S.*?\s(\d+)\s/.exec(header)?.[1]);
    const frames: string[] = [];
    for (const line of lines.slice(1)) {
      // "<address> <symbol>+0x<offset> (<object>)"; symbols may hold spaces and parentheses.
      const match = /^\s*[0-9a-f]+\s+(.*?)(?:\+0x[0-9a-f]+)?\s+\(([^()]*)\)$/.exec(line);
      const symbol = match?.[1] ?? line.trim();
      frames.push(frameName(symbol, match?.[2] ?? '').replace(/;/g, ','));
    }
    frames.push(tid === pid ? 'main thread' : 'other threads');
    const stack = frames.reverse().join(';');
    folded.set(stack, (folded.get(stack) ?? 0) + 1);
  }
  return folded;
}

/** Whether a folded frame is a JS function ("name path:line"), as frameName() writes them. */
function isJsFrame(frame: string): boolean {
  return / \S*:\d+$/.test(frame);
}

/**
 * The frames that were running (the leaves), most samples first: where the CPU went. A V8 built-in
 * (a Map lookup, an inline cache miss) says little alone, so each leaf names the JS function that
 * most often led to it.
 */
export function topSelfText(folded: ReadonlyMap<string, number>, limit = 40): string {
  const self = new Map<string, { count: number; callers: Map<string, number> }>();
  let total = 0;
  for (const [stack, count] of folded) {
    const frames = stack.split(';');
    const leaf = frames.length > 1 ? (frames[frames.length - 1] as string) : '(no frames)';
    let entry = self.get(leaf);
    if (entry === undefined) self.set(leaf, (entry = { count: 0, callers: new Map() }));
    entry.count += count;
    total += count;
    if (!isJsFrame(leaf)) {
      const caller = frames.slice(1, -1).reverse().find(isJsFrame);
      if (caller !== undefined) entry.callers.set(caller, (entry.callers.get(caller) ?? 0) + count);
    }
  }
  const rows = [...self].sort((a, b) => b[1].count - a[1].count).slice(0, limit);
  const lines = rows.map(([frame, { count, callers }]) => {
    const [caller, fromCaller] = [...callers].sort((a, b) => b[1] - a[1])[0] ?? [];
    const from = caller === undefined ? '' : `  (${Math.round((100 * (fromCaller ?? 0)) / count)}% from ${caller})`;
    return `${((100 * count) / total).toFixed(2).padStart(6)}%  ${frame}${from}`;
  });
  return `self samples of ${total.toLocaleString('en-US')}, all threads\n${lines.join('\n')}\n`;
}

interface FlameNode {
  readonly name: string;
  value: number;
  readonly children: Map<string, FlameNode>;
}

/** A self-contained flame graph (SVG, no scripts): root at the bottom, each frame as wide as its samples, a tooltip each. */
export function flameGraphSvg(folded: ReadonlyMap<string, number>, title: string, width = 1200): string {
  const root: FlameNode = { name: 'all', value: 0, children: new Map() };
  let depth = 0;
  for (const [stack, count] of folded) {
    root.value += count;
    let node = root;
    const frames = stack.split(';');
    depth = Math.max(depth, frames.length);
    for (const frame of frames) {
      let child = node.children.get(frame);
      if (child === undefined) node.children.set(frame, (child = { name: frame, value: 0, children: new Map() }));
      child.value += count;
      node = child;
    }
  }
  const frameHeight = 16;
  const top = 28;
  const height = top + (depth + 1) * frameHeight + 4;
  const scale = root.value === 0 ? 0 : width / root.value;
  const cells: string[] = [];
  const draw = (node: FlameNode, x: number, level: number): void => {
    const w = node.value * scale;
    if (w < MIN_WIDTH_PX) return;
    const y = height - 4 - (level + 1) * frameHeight;
    const share = ((100 * node.value) / root.value).toFixed(2);
    const chars = Math.floor((w - 6) / 6.6);
    const label = chars < 3 ? '' : node.name.length <= chars ? node.name : `${node.name.slice(0, chars - 2)}..`;
    cells.push(
      `<g><title>${escapeXml(`${node.name} (${node.value.toLocaleString('en-US')} samples, ${share}%)`)}</title>` +
        `<rect x="${x.toFixed(2)}" y="${y}" width="${w.toFixed(2)}" height="${frameHeight - 1}" fill="${frameColor(node.name)}" rx="2"/>` +
        (label === '' ? '' : `<text x="${(x + 3).toFixed(2)}" y="${y + 11.5}">${escapeXml(label)}</text>`) +
        '</g>',
    );
    let childX = x;
    for (const child of [...node.children.values()].sort((a, b) => (a.name < b.name ? -1 : 1))) {
      draw(child, childX, level + 1);
      childX += child.value * scale;
    }
  };
  draw(root, 0, 0);
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="monospace" font-size="11">
<rect width="100%" height="100%" fill="#fafafa"/>
<text x="${width / 2}" y="18" text-anchor="middle" font-size="14">${escapeXml(title)}</text>
${cells.join('\n')}
</svg>
`;
}

/** JS functions orange, V8 built-ins and native code yellow, the kernel red: where a frame runs, at a glance. */
function frameColor(name: string): string {
  let hash = 0;
  for (let i = 0; i < name.length; i++) hash = (hash * 31 + name.charCodeAt(i)) | 0;
  const jitter = Math.abs(hash) % 40;
  if (name.endsWith(' [k]')) return `rgb(${200 + jitter},70,60)`;
  if (isJsFrame(name)) return `rgb(${215 + (jitter % 40)},${110 + jitter},40)`;
  return `rgb(${220 + (jitter % 35)},${190 + jitter},70)`;
}

function escapeXml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}
