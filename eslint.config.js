// ESLint flat config: typescript-eslint's recommended rules over all TypeScript, the layer
// boundaries of docs/architecture.md, and two rules against classes of bug found in the
// wild (issue 20): spreading an array into a call, and `in` with a key from data.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import globals from 'globals';

/** An import rule that refuses specifiers matching `regex`, with `message` saying why. */
const refuse = (...patterns) => ({
  'no-restricted-imports': ['error', { patterns: patterns.map(([regex, message]) => ({ regex, message })) }],
});

const FACES = ['(^|/)(cli|actions|service|bench|scripts)/', 'pipeline/ never imports a face (CLI, actions, service)'];

/**
 * Everywhere, tests and tools included. An exception is a line-level disable that says why
 * the list cannot grow with the data.
 */
const DATA_SAFE = [
  {
    selector: 'CallExpression > SpreadElement.arguments, NewExpression > SpreadElement.arguments',
    message:
      'Spreading an array into a call puts every element on the call stack: one the size of the data overflows it (RangeError: Maximum call stack size exceeded). Use a loop, reduce, concat or an array literal.',
  },
  {
    selector: "BinaryExpression[operator='in'][left.type!='Literal']",
    message:
      '`key in object` also finds the names of Object.prototype (constructor, toString, __proto__…): look a key that comes from data, a request or a config up in a Map, or with Object.hasOwn.',
  },
];

export default tseslint.config(
  {
    // Build output (npm run build:service and the committed action bundles of npm run
    // build:actions), run folders (mlops run) and CI's scratch folder.
    ignores: ['dist/**', 'runs/**', '.tmp/**', 'actions/*/dist/**'],
  },
  js.configs.recommended,
  // eslint-disable-next-line no-restricted-syntax -- the config list is fixed, not data
  ...tseslint.configs.recommended,
  {
    languageOptions: { globals: { ...globals.node } },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      'no-restricted-syntax': ['error', ...DATA_SAFE],
    },
  },
  {
    files: ['service/public/**/*.js'],
    languageOptions: { globals: { ...globals.browser } },
  },
  // The ML core knows nothing of the GitOps layer or the faces.
  {
    files: ['pipeline/core/**'],
    rules: refuse(['(^|/)gitops/', 'the ML core never imports the GitOps layer'], FACES),
  },
  // The GitOps layer uses the core through its entry module only.
  {
    files: ['pipeline/gitops/**'],
    rules: refuse(
      ['(^|/)core/(?!index\\.ts$)', 'import the ML core through pipeline/core/index.ts, its one entry module'],
      FACES,
    ),
  },
  // The faces use each layer through its entry module only.
  {
    files: ['cli/**', 'actions/**', 'service/**'],
    rules: refuse([
      '(^|/)pipeline/(?!(core|gitops)/index\\.ts$)',
      'faces import pipeline/core/index.ts or pipeline/gitops/index.ts, never a module behind them',
    ]),
  },
);
