import { readFile } from 'node:fs/promises';
import { parseDocument } from 'yaml';
import { applyEnvironment } from './apply-environment.js';
import { parseConfig, type ConfigResult } from './parse-config.js';

/**
 * Reads a YAML config file, applies environment overrides (REDIS_URL) and validates it; YAML
 * syntax errors are reported with their line.
 */
export async function loadConfigFile(path: string, env: NodeJS.ProcessEnv = process.env): Promise<ConfigResult> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    return { ok: false, issues: [{ path: '(file)', message: `cannot read ${path}: ${(error as Error).message}` }] };
  }
  const document = parseDocument(text, { uniqueKeys: true });
  if (document.errors.length > 0) {
    return {
      ok: false,
      issues: document.errors.map((e) => ({ path: `(yaml line ${e.linePos?.[0]?.line ?? '?'})`, message: e.message.split('\n')[0] ?? e.message })),
    };
  }
  return parseConfig(applyEnvironment(document.toJS(), env));
}
