// ESLint flat config: typescript-eslint's recommended rules over all TypeScript.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import globals from 'globals';

export default tseslint.config(
  {
    ignores: [
      'node_modules/**',
      'dist/**',
      'runs/**',
      '.tmp/**',
      '.bench-cache/**',
      'coverage/**',
      '**/*.bundle.js',
      'service/public/vendor/**',
      'actions/**/dist/**',
    ],
  },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { globals: { ...globals.node } },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
    },
  },
  {
    files: ['service/public/**/*.js'],
    languageOptions: { globals: { ...globals.browser } },
  },
);
