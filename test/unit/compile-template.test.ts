import assert from 'node:assert/strict';
import { test } from 'node:test';
import { compileTemplate, renderTemplate } from '../../src/router/compile-template.js';

test('a template splits once into literals and variable names', () => {
  assert.deepEqual(compileTemplate('{{name}}님, 환영합니다'), { literals: ['', '님, 환영합니다'], names: ['name'] });
  assert.deepEqual(compileTemplate('[카드승인] {{ name }}님 {{amount}}원 {{merchant}}'), {
    literals: ['[카드승인] ', '님 ', '원 ', ''],
    names: ['name', 'amount', 'merchant'],
  });
  assert.deepEqual(compileTemplate('no placeholders'), { literals: ['no placeholders'], names: [] });
  assert.deepEqual(compileTemplate(''), { literals: [''], names: [] });
  // Not placeholders: single braces, an empty name, a name that is not an identifier.
  assert.deepEqual(compileTemplate('{name} {{}} {{1x}} {{a-b}}'), { literals: ['{name} {{}} {{1x}} {{a-b}}'], names: [] });
});

test('rendering fills every placeholder, including repeated and adjacent ones', () => {
  const render = (text: string, variables: Record<string, string>): unknown => renderTemplate(compileTemplate(text), variables);
  assert.deepEqual(render('{{name}}님, 환영합니다', { name: '김' }), { text: '김님, 환영합니다' });
  assert.deepEqual(render('{{a}}{{b}}{{a}}', { a: '1', b: '2' }), { text: '121' });
  assert.deepEqual(render('{{ code }} is your code', { code: '123456' }), { text: '123456 is your code' });
  assert.deepEqual(render('static', { unused: 'x' }), { text: 'static' });
  assert.deepEqual(render('{{name}}', { name: '' }), { text: '' });
});

test('values are inserted literally: a value containing {{name}} is not expanded again', () => {
  const compiled = compileTemplate('Hello {{name}}, your code is {{code}}');
  assert.deepEqual(renderTemplate(compiled, { name: '{{code}}', code: '123456' }), { text: 'Hello {{code}}, your code is 123456' });
  assert.deepEqual(renderTemplate(compiled, { name: '{{name}}', code: '$& $1 $$' }), { text: 'Hello {{name}}, your code is $& $1 $$' });
});

test('a missing variable is reported by name instead of rendering', () => {
  const compiled = compileTemplate('{{name}}님 {{amount}}원');
  assert.deepEqual(renderTemplate(compiled, { name: 'Kim' }), { missing: 'amount' });
  assert.deepEqual(renderTemplate(compiled, {}), { missing: 'name' });
  // A key inherited from Object.prototype is not a given variable.
  assert.deepEqual(renderTemplate(compileTemplate('{{toString}}'), {}), { missing: 'toString' });
});
