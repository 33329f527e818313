import type { Config } from '../config/config.js';
import { loadConfigFile } from '../config/load-config-file.js';
import { CliError } from './cli-error.js';

/** Loads and validates a config file; every problem is listed with its path. */
export async function loadConfigOrFail(path: string): Promise<Config> {
  const result = await loadConfigFile(path);
  if (result.ok) return result.config;
  throw new CliError(`${path} is not a valid config:\n${result.issues.map((i) => `  ${i.path}: ${i.message}`).join('\n')}`);
}
