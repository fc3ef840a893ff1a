// ESLint: the recommended JavaScript and typescript-eslint rules, plus the type-aware rules that
// catch a promise nobody waits for or a non-Error thrown. Formatting is prettier's (npm run lint).
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['dist/', 'node_modules/', 'sample/'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    files: ['**/*.ts'],
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      // node:test runs a top-level test() itself; its promise is not the caller's to await.
      '@typescript-eslint/no-floating-promises': [
        'error',
        {
          allowForKnownSafeCalls: [
            { from: 'package', package: 'node:test', name: ['test', 'describe', 'it', 'suite'] },
          ],
        },
      ],
      '@typescript-eslint/only-throw-error': 'error',
      '@typescript-eslint/no-misused-promises': 'error',
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_', ignoreRestSiblings: true },
      ],
      // Prettier wraps code at 120; this catches the strings and comments it cannot wrap. A regular
      // expression that matches one whole message stays one literal.
      'max-len': ['error', { code: 120, ignoreRegExpLiterals: true }],
    },
  },
  {
    files: ['**/*.js', '**/*.cjs'],
    // The bin is CommonJS for its start-up time (see README, Architecture).
    rules: { '@typescript-eslint/no-require-imports': 'off' },
    languageOptions: {
      globals: {
        module: 'writable',
        require: 'readonly',
        process: 'readonly',
        console: 'readonly',
        __dirname: 'readonly',
      },
    },
  },
);
