/**
 * Errors of the testing tools, with a stable `code` each.
 */

/**
 * Stable codes of {@link TestingError}.
 *
 * @example
 * if (error instanceof TestingError && error.code === TestingErrorCode.MODEL_TOO_LARGE) { ... }
 */
export const TestingErrorCode = {
  /** An option has a value the tools cannot use. */
  INVALID_OPTION: "INVALID_OPTION",
  /** The model has more states than `maxStates`: bound the search further. */
  MODEL_TOO_LARGE: "MODEL_TOO_LARGE",
  /** A replay could not follow its path and the run could not even be cancelled. */
  REPLAY_STUCK: "REPLAY_STUCK",
  /** `testPaths` found no `describe`/`it` to register tests with. */
  NO_TEST_RUNNER: "NO_TEST_RUNNER",
  /** A replayed path broke saga invariants (thrown by `testPaths`' tests). */
  INVARIANTS_VIOLATED: "INVARIANTS_VIOLATED",
  /** `mockSteps` was given a step the workflow does not have. */
  UNKNOWN_STEP: "UNKNOWN_STEP",
} as const;

/**
 * One of the {@link TestingErrorCode} values.
 *
 * @example
 * const code: TestingErrorCode = "MODEL_TOO_LARGE";
 */
export type TestingErrorCode = (typeof TestingErrorCode)[keyof typeof TestingErrorCode];

/**
 * An error of `generatePaths`, `replay` or `testPaths`.
 *
 * @example
 * try { generatePaths(huge, { maxFailures: 4 }) } catch (e) { if (e instanceof TestingError) console.log(e.code) }
 */
export class TestingError extends Error {
  override readonly name = "TestingError";
  readonly code: TestingErrorCode;

  constructor(code: TestingErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
  }
}
