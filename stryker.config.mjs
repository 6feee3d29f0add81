/**
 * Mutation testing of the core's critical files (`npm run mutate`; not part of `npm test` or CI).
 *
 * The tap runner runs each test file as its own Node process (node:test prints TAP when its
 * output is not a terminal) and measures per file which mutants it reaches, so a mutant only
 * reruns the files that cover it. The simulator and process tests are left out: they reach every
 * line but take many seconds each; the membership and property files kill what they would.
 *
 * Incremental: results of unchanged mutants (same code, same covering tests) are reused from
 * `.stryker/incremental.json`, which is git-ignored: it is only valid for one checkout's exact
 * sources and tests, so a committed copy would conflict with every change to the core.
 * Narrow a run with `npm run mutate -- --mutate src/membership/service-set.ts`.
 */
export default {
  testRunner: 'tap',
  tap: {
    testFiles: [
      'test/membership/*.test.ts',
      'test/election/rules.test.ts',
      'test/property/*.test.ts',
      '!test/property/sim-*.test.ts',
    ],
    nodeArgs: ['--import', 'tsx'],
    forceBail: true,
  },
  mutate: [
    'src/membership/service-set.ts',
    'src/membership/replica.ts',
    'src/membership/statement.ts',
    'src/membership/identity.ts',
    'src/membership/version.ts',
    'src/membership/frame.ts',
    'src/membership/frame-codec.ts',
    'src/election/rules.ts',
    'src/mesh/mesh.ts',
  ],
  coverageAnalysis: 'perTest',
  checkers: [],
  concurrency: 2,
  timeoutMS: 20_000,
  incremental: true,
  incrementalFile: '.stryker/incremental.json',
  tempDirName: '.stryker/tmp',
  reporters: ['clear-text', 'html', 'json', 'progress'],
  htmlReporter: { fileName: '.stryker/report.html' },
  jsonReporter: { fileName: '.stryker/report.json' },
  ignoreStatic: true,
  ignorePatterns: ['.sim-out', 'bench-results', 'scratch', 'dist', '.stryker'],
}
