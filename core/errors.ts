/** Bad input from the user (flags, profiles, plans, scenarios): reported without a stack, exit code 2. */
export class UsageError extends Error {
  override name = "UsageError";
}
