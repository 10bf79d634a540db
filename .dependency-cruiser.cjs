/**
 * The layering of src/ (README, Layout), checked by `npm run lint` (`depcruise src`):
 *
 *   app (composition root) → cli, features → http, persistence, config, crypto, shared
 *
 * The edge (http) and the storage (persistence) know nothing of features and nothing of each other;
 * config knows none of them; features never reach up into the CLI or the composition root; and the
 * product never imports its tests or benchmarks. Type-only imports count everywhere: a cycle through
 * types still ties the modules together, and an upward type import is an upward dependency.
 *
 * .cjs because the package is an ES module and dependency-cruiser reads its configuration with require.
 */
/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    {
      name: 'no-circular',
      severity: 'error',
      comment: 'An import cycle, type-only imports included: the modules on it can be neither read nor changed one at a time.',
      from: {},
      to: { circular: true },
    },
    {
      name: 'edge-and-storage-not-to-features',
      severity: 'error',
      comment: 'src/http and src/persistence serve every feature, so they may not depend on one: a feature plugs into them.',
      from: { path: '^src/(http|persistence)/' },
      to: { path: '^src/features/' },
    },
    {
      name: 'edge-not-to-storage',
      severity: 'error',
      comment: 'The HTTP edge does not reach into the database; a feature joins the two.',
      from: { path: '^src/http/' },
      to: { path: '^src/persistence/' },
    },
    {
      name: 'storage-not-to-edge',
      severity: 'error',
      comment: 'The database layer does not know about HTTP (requests, errors on the wire, routes).',
      from: { path: '^src/persistence/' },
      to: { path: '^src/http/' },
    },
    {
      name: 'config-not-to-layers',
      severity: 'error',
      comment: 'Configuration is read and validated first and depends on no layer it configures.',
      from: { path: '^src/config/' },
      to: { path: '^src/(features|http|persistence)/' },
    },
    {
      name: 'features-not-to-cli-or-app',
      severity: 'error',
      comment: 'The CLI and the composition root use features, never the other way round.',
      from: { path: '^src/features/' },
      to: { path: '^src/(cli|app)/' },
    },
    {
      name: 'src-not-to-tests-or-bench',
      severity: 'error',
      comment: 'Product code never imports test or benchmark code.',
      from: { path: '^src/' },
      to: { path: '^(test|bench)/' },
    },
    {
      name: 'not-to-unresolvable',
      severity: 'error',
      comment:
        'An import the cruiser cannot resolve is invisible to every rule above, so it is an error too (usually a typo, or a missing dependency).',
      from: {},
      to: { couldNotResolve: true },
    },
  ],
  options: {
    doNotFollow: { path: ['node_modules'] },
    // Reads TypeScript before compilation, so that type-only imports (erased by tsc) are seen too.
    tsPreCompilationDeps: true,
    // The project's own resolution: NodeNext, where `./x.js` in a .ts file means ./x.ts.
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: {
      exportsFields: ['exports'],
      conditionNames: ['import', 'require', 'node', 'default', 'types'],
      mainFields: ['module', 'main', 'types', 'typings'],
    },
    skipAnalysisNotInRules: true,
  },
};
