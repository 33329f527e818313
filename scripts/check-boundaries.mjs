#!/usr/bin/env node
// Enforces DESIGN.md's one-way dependencies: gateway -> store, router, channels; router and
// channels never reach back into the gateway, and neither knows about the other or the store.
// Every module may read config/ and domain/. Fails with one line per forbidden import.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';

const root = new URL('..', import.meta.url).pathname;
const src = join(root, 'src');
/** For each area, the areas it must not import. */
const FORBIDDEN = {
  router: ['gateway', 'channels', 'store', 'cli'],
  channels: ['gateway', 'router', 'store', 'cli'],
  store: ['gateway', 'router', 'channels', 'cli'],
  config: ['gateway', 'router', 'channels', 'store', 'cli'],
  domain: ['gateway', 'router', 'channels', 'store', 'cli', 'config'],
  gateway: ['cli'],
  // The conformance kit judges a supplier by the proto contract alone, not by our implementation of it.
  'provider-check': ['gateway', 'router', 'channels', 'store', 'cli', 'config'],
  // A client of the public API: the generated code, and the API-key header name from the gateway.
  loadgen: ['router', 'channels', 'store', 'cli', 'config'],
};

function listTs(dir) {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? listTs(path) : name.endsWith('.ts') ? [path] : [];
  });
}

const problems = [];
for (const file of listTs(src)) {
  const area = relative(src, file).split('/')[0];
  const forbidden = FORBIDDEN[area] ?? [];
  const text = readFileSync(file, 'utf8');
  for (const match of text.matchAll(/(?:from|import)\s+'(\.{1,2}\/[^']+)'/g)) {
    const target = relative(src, resolve(dirname(file), match[1])).split('/')[0];
    if (forbidden.includes(target)) problems.push(`${relative(root, file)}: imports ${match[1]} (${area} must not depend on ${target})`);
  }
  if (area === 'router' && /from '@grpc\/grpc-js'/.test(text)) problems.push(`${relative(root, file)}: the router must not use grpc-js`);
}
if (problems.length > 0) {
  console.error(problems.join('\n'));
  process.exit(1);
}
console.log('import boundaries ok');
