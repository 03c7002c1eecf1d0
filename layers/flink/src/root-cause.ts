/**
 * Flink returns errors as whole Java exception chains (`errors: [summary, "Exc: msg\n\tat ...\nCaused
 * by: ..."]`). A user needs the innermost cause that carries a message, e.g. "Object 'x' not found".
 */
export function flinkRootCause(errors: readonly string[]): string {
  const text = errors.join('\n');
  const causes = [...text.matchAll(/^Caused by: ([\w$.]+)(?::[ \t]*(.*))?$/gm)]
    .map((match) => cleanMessage(match[2] ?? ''))
    .filter((message) => message.length > 0);
  const innermost = causes.at(-1);
  if (innermost) return innermost;
  const headline = text.match(/^[\w$.]+(?:Exception|Error): *(.+)$/m);
  if (headline?.[1]) return cleanMessage(headline[1]);
  const firstLine = errors
    .flatMap((entry) => entry.split('\n'))
    .map((line) => line.trim())
    .find((line) => line.length > 0 && !/^at /.test(line));
  return firstLine ?? 'Flink returned an error without a message';
}

/** Drops a nested "Class: " prefix Flink sometimes repeats inside a message, and trailing blanks. */
function cleanMessage(message: string): string {
  return message.replace(/^(?:[a-z_$][\w$]*\.)+[A-Z][\w$]*(?:Exception|Error): */, '').trim();
}
