/**
 * Mutation testing of the core's critical files (`npm run mutate`; not part of `npm test` or CI).
 *
 * The tap runner runs each test file as its own Node process (node:test prints TAP when its
 * output is not a terminal) and measures per file which mutants it reaches, so a mutant only
 * reruns the files that cover it. The simulator, election-property and process tests are left
 * out: they reach nearly every line but take many seconds each.
 *
 * Incremental: results of unchanged mutants (same code, same covering tests) are reused from
 * `.stryker/incremental.json`, which is git-ignored: it is only valid for one checkout's exact
 * sources and tests, so a committed copy would conflict with every change to the core.
 * Narrow a run with `npm run mutate -- --mutate src/membership/service-set.ts`.
 */
// Property tests run a fifth of their runs per mutant (test/property/runs.ts); child processes
// inherit this.
process.env.PROPERTY_RUN_SCALE ??= '0.2'

export default {
  testRunner: 'tap',
  tap: {
    // The files that exercise the mutated code directly and finish in seconds, the ones that
    // kill most first (a mutant's run stops at its first failing file).
    testFiles: [
      'test/property/service-set.test.ts',
      'test/property/receive.test.ts',
      'test/membership/service-set.test.ts',
      'test/membership/replica.test.ts',
      'test/membership/statement.test.ts',
      'test/property/frame-codec.test.ts',
      'test/property/fuzz.test.ts',
      'test/property/frames.test.ts',
      'test/election/rules.test.ts',
      'test/property/entry-lists.test.ts',
      'test/membership/{buckets,owner-sums,owner-table,sync-queue}.test.ts',
      'test/membership/mesh.test.ts',
    ],
    nodeArgs: ['--import', 'tsx'],
    forceBail: true,
  },
  mutate: [
    'src/membership/service-set.ts',
    'src/membership/digests.ts',
    'src/membership/expiry.ts',
    'src/membership/replica.ts',
    'src/membership/statement.ts',
    'src/membership/identity.ts',
    'src/membership/version.ts',
    'src/membership/frame.ts',
    'src/membership/frame-codec.ts',
    'src/election/rules.ts',
    // The mesh's exchange: its driver, and frames in to pulls out.
    'src/mesh/exchange.ts',
    'src/mesh/mesh.ts:572-618',
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
