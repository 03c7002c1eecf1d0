/**
 * The smoke function's name: fixed, with the stack prefix, so `npm run smoke -- --target aws
 * --stack-prefix <prefix>` finds it without looking the stack up (Lambda names: at most 64 letters,
 * digits, dashes and underscores; a prefix is at most 41 characters).
 */
export function smokeFunctionName(stackPrefix: string): string {
  return `${stackPrefix}-smoke`;
}
