// A problem with a value: the key it sits under, what was given, what is wrong and what is allowed.
// The one shape every validator returns (config, provided certificates, API rules), so the config
// layer can report them all at once.

export interface Problem {
  /** Full key path, e.g. "berth:network.vpcCidr". */
  readonly key: string;
  /** What the user wrote (undefined when missing; "(hidden)" for secrets). */
  readonly value: unknown;
  /** What is wrong and what is allowed. */
  readonly message: string;
}
