/**
 * Template text uses `{{name}}` placeholders (spaces inside the braces allowed). This is the one
 * definition of that syntax: config validation lists placeholders with it and the router compiles
 * templates with it. Substituted values are never scanned again, so a value containing "{{x}}" is
 * sent as it is (no recursive expansion).
 */
export const PLACEHOLDER_PATTERN = /\{\{\s*([A-Za-z_][A-Za-z0-9_]*)\s*\}\}/g;

/** The variable names a template text refers to, in order of first use. */
export function listPlaceholders(text: string): string[] {
  const names = new Set<string>();
  for (const match of text.matchAll(PLACEHOLDER_PATTERN)) names.add(match[1] ?? '');
  return [...names];
}
