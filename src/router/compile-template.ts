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
  const text = renderTemplateText(compiled, variables);
  return text === undefined ? { missing: findMissingVariable(compiled, variables) } : { text };
}

/**
 * Renders a compiled text, or returns undefined when a variable has no value (findMissingVariable
 * names it). Allocates nothing but the text: the router calls it for every message.
 */
export function renderTemplateText(compiled: CompiledText, variables: Record<string, string>): string | undefined {
  const { literals, names } = compiled;
  let text = literals[0] ?? '';
  for (let i = 0; i < names.length; i++) {
    const value = valueOf(variables, names[i] ?? '');
    if (value === undefined) return undefined;
    text += value + (literals[i + 1] ?? '');
  }
  return text;
}

/** The first variable of `compiled` without a value, or '' when every one has one. */
export function findMissingVariable(compiled: CompiledText, variables: Record<string, string>): string {
  for (const name of compiled.names) if (valueOf(variables, name) === undefined) return name;
  return '';
}

/** Own keys only: a variable named like an Object.prototype member ("toString") is not given by default. */
function valueOf(variables: Record<string, string>, name: string): string | undefined {
  return Object.hasOwn(variables, name) ? variables[name] : undefined;
}
