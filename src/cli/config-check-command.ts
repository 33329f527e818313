import { loadConfigFile } from '../config/load-config-file.js';
import { tlsFileIssues } from '../gateway/gateway-node.js';
import { CliError } from './cli-error.js';

export const CONFIG_CHECK_USAGE = `switchboard config check FILE
  Validates a config file (and that its TLS files can be used) and prints every problem with its path;
  exits 1 when there are any.`;

export async function runConfigCheckCommand(argv: string[]): Promise<void> {
  const [sub, path] = argv;
  if (sub !== 'check' || path === undefined) throw new CliError(CONFIG_CHECK_USAGE);
  const result = await loadConfigFile(path);
  // A valid file can still name TLS files that this machine cannot use.
  const issues = result.ok ? tlsFileIssues(result.config) : result.issues;
  if (issues.length === 0) {
    process.stdout.write(`${path}: ok\n`);
    return;
  }
  for (const issue of issues) process.stdout.write(`${path}: ${issue.path}: ${issue.message}\n`);
  process.exitCode = 1;
}
