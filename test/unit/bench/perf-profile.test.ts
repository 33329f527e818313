import assert from 'node:assert/strict';
import { test } from 'node:test';
import { flameGraphSvg, foldPerfScript, topSelfText } from '../../../bench/lib/perf-profile.js';
import { ROOT } from '../../../bench/lib/processes.js';

// What `perf script` prints for three samples of process 4242: two on its main thread (JS frames
// from the map node writes with --perf-basic-prof-only-functions), one on a GC helper thread.
const SCRIPT = `node  4242 52319.055419:     500000 cpu-clock:ppp: 
\t         14c59cc Builtins_FindOrderedHashMapEntry+0xc (/usr/bin/node)
\t    7f7517996c9b JS:*applyEvents file://${ROOT}dist/src/store/memory-store.js:390:16+0x29b (/tmp/perf-4242.map)
\t    7f75179966b3 JS:^ ${ROOT}node_modules/@grpc/grpc-js/build/src/resolving-call.js:232:67+0x5b3 (/tmp/perf-4242.map)
\t          c494db v8::internal::(anonymous namespace)::Invoke+0x12b (/usr/bin/node)

node  4242 52319.056419:     500000 cpu-clock:ppp: 
\t    7f7517996c9b JS:~applyEvents file://${ROOT}dist/src/store/memory-store.js:390:16+0x2 (/tmp/perf-4242.map)
\t    7f75179966b3 JS:^ ${ROOT}node_modules/@grpc/grpc-js/build/src/resolving-call.js:232:67+0x5b3 (/tmp/perf-4242.map)
\t          c494db v8::internal::(anonymous namespace)::Invoke+0x12b (/usr/bin/node)

node  4250 52319.057419:     500000 cpu-clock:ppp: 
\tffffffff8a2b1c3d _raw_spin_unlock_irqrestore+0x1d ([kernel.kallsyms])
\t          c9447f v8::internal::Scavenger::ScavengePage+0x18f (/usr/bin/node)
\t           891f5 start_thread+0x305 (/usr/lib/x86_64-linux-gnu/libc.so.6)
`;

test('perf script output folds into stacks per thread, JS frames named by function and line, tiers merged', () => {
  const folded = foldPerfScript(SCRIPT, 4242);
  assert.deepEqual([...folded], [
    ['main thread;v8::internal::(anonymous namespace)::Invoke;(anonymous) @grpc/grpc-js/build/src/resolving-call.js:232;applyEvents src/store/memory-store.js:390;Builtins_FindOrderedHashMapEntry', 1],
    ['main thread;v8::internal::(anonymous namespace)::Invoke;(anonymous) @grpc/grpc-js/build/src/resolving-call.js:232;applyEvents src/store/memory-store.js:390', 1],
    ['other threads;start_thread;v8::internal::Scavenger::ScavengePage;_raw_spin_unlock_irqrestore [k]', 1],
  ]);
  const top = topSelfText(folded);
  assert.match(top, /^self samples of 3, all threads\n/);
  // A built-in is shown with the JS function that led to it.
  assert.match(top, / 33\.33%  Builtins_FindOrderedHashMapEntry  \(100% from applyEvents src\/store\/memory-store.js:390\)\n/);
  assert.match(top, / 33\.33%  applyEvents src\/store\/memory-store.js:390\n/);
});

test('the flame graph is one self-contained SVG: a frame per node of the call tree, as wide as its samples', () => {
  const folded = new Map([
    ['main thread;a;b', 3],
    ['main thread;a;c', 1],
    ['other threads;gc', 4],
  ]);
  const svg = flameGraphSvg(folded, 'bench: 8 samples', 800);
  assert.match(svg, /^<svg xmlns="http:\/\/www.w3.org\/2000\/svg" width="800"/);
  assert.doesNotMatch(svg, /<script|href=/);
  assert.match(svg, />bench: 8 samples</);
  // all, main thread, a, b, c, other threads, gc
  assert.equal((svg.match(/<rect x=/g) ?? []).length, 7);
  const width = (name: string): number => Number(new RegExp(`<title>${name} \\(\\d+ samples, [\\d.]+%\\)</title><rect x="[\\d.]+" y="\\d+" width="([\\d.]+)"`).exec(svg)?.[1]);
  assert.equal(width('all'), 800);
  assert.equal(width('main thread'), 400);
  assert.equal(width('b'), 300);
  assert.equal(width('c'), 100);
  assert.match(svg, /<title>gc \(4 samples, 50.00%\)<\/title>/);
});
