import { PLACEHOLDER_PATTERN } from '../config/template-placeholders.js';

/**
 * A template text split once into literal parts and variable names:
 *   "{{name}}님, 환영합니다" -> literals ["", "님, 환영합니다"], names ["name"]
 * Rendering is then a single pass of concatenation; values are inserted as they are and never
 * scanned again.
 */
export interface CompiledText {
  readonly literals: readonly string[];
  readonly names: readonly string[];
}

export function compileTemplate(text: string): CompiledText {
  const literals: string[] = [];
  const names: string[] = [];
  let last = 0;
  for (const match of text.matchAll(PLACEHOLDER_PATTERN)) {
    literals.push(text.slice(last, match.index));
    names.push(match[1] ?? '');
    last = match.index + match[0].length;
  }
  literals.push(text.slice(last));
  return { literals, names };
}

/** Renders a compiled text, or returns the name of the first variable that has no value. */
export function renderTemplate(compiled: CompiledText, variables: Record<string, string>): { text: string } | { missing: string } {
  let text = compiled.literals[0] ?? '';
  for (let i = 0; i < compiled.names.length; i++) {
    const name = compiled.names[i] ?? '';
    // Own keys only: a variable named like an Object.prototype member ("toString") is not given by default.
    const value = Object.hasOwn(variables, name) ? variables[name] : undefined;
    if (value === undefined) return { missing: name };
    text += value + (compiled.literals[i + 1] ?? '');
  }
  return { text };
}
