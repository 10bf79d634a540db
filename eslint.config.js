import js from '@eslint/js';
import tseslint from 'typescript-eslint';

/**
 * typescript-eslint's type-checked rules (`recommendedTypeChecked`: floating promises, unsafe `any`
 * flows, misused promises, ...) on src/ only, given the project's own tsconfig through the project
 * service: they need the type checker, which makes lint several times slower, and they pay for it in
 * product code.
 */
export const typeCheckedOnSrc = [
  ...tseslint.configs.recommendedTypeChecked.map((config) => ({ ...config, files: ['src/**/*.ts'] })),
  {
    files: ['src/**/*.ts'],
    languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } },
  },
];

export default tseslint.config(
  { ignores: ['dist/', 'data/', 'node_modules/', 'conformance/.work/', 'bench/.work/', '.test-servers/'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    files: ['**/*.ts'],
    rules: {
      '@typescript-eslint/no-explicit-any': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/consistent-type-imports': 'error',
      'no-console': 'off',
    },
  },
  ...typeCheckedOnSrc,
  {
    files: ['bin/**/*.js', 'scripts/**/*.js'],
    languageOptions: { globals: { process: 'readonly', console: 'readonly' } },
  },
  {
    // .dependency-cruiser.cjs: CommonJS, which is how that tool reads its configuration.
    files: ['**/*.cjs'],
    languageOptions: { sourceType: 'commonjs', globals: { module: 'writable', require: 'readonly' } },
  },
);
