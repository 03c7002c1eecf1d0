/**
 * The source text of a top-level member's value in a JSON object's text, for values JSON.parse
 * would round (a decimal's digits). JSON.parse's reviver `context.source` gives it too, but calls a
 * function for every value of every record; the decoder needs only its decimal fields' text.
 */

const whitespace = /[ \t\n\r]*/y;
const jsonNumber = /-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?/y;
const quotedNames = new Map<string, string>();

/**
 * The text of the number that `name` holds at the top level of the JSON object `text` (which
 * JSON.parse accepted), or undefined when it holds no number. The common record (one object, no
 * escapes, the name once) is answered by a few searches; anything else by a scan of the object's
 * members, where the last member of a repeated name wins, as in JSON.parse.
 */
export function numberSource(text: string, name: string): string | undefined {
  let quoted = quotedNames.get(name);
  if (quoted === undefined) {
    quoted = `"${name}"`;
    quotedNames.set(name, quoted);
  }
  const at = text.indexOf(quoted);
  const open = text.indexOf('{');
  // Without a backslash every quote in the text delimits a string; with one object only, a quoted
  // name followed by a colon is a top-level member name, and appearing once it is the only one.
  if (
    at !== -1 &&
    text.indexOf(quoted, at + quoted.length) === -1 &&
    text.indexOf('{', open + 1) === -1 &&
    !text.includes('\\')
  ) {
    let position = skipWhitespace(text, at + quoted.length);
    if (text[position] === ':') {
      position = skipWhitespace(text, position + 1);
      jsonNumber.lastIndex = position;
      const match = jsonNumber.exec(text);
      return match === null ? undefined : match[0];
    }
  }
  return scanMembers(text, name);
}

function skipWhitespace(text: string, position: number): number {
  whitespace.lastIndex = position;
  whitespace.exec(text);
  return whitespace.lastIndex;
}

/** Walks the top-level members of the object, skipping nested values; the last `name` wins. */
function scanMembers(text: string, name: string): string | undefined {
  let position = skipWhitespace(text, 0);
  if (text[position] !== '{') return undefined;
  position += 1;
  let found: string | undefined;
  for (;;) {
    position = skipWhitespace(text, position);
    if (text[position] !== '"') return found;
    const keyEnd = stringEnd(text, position);
    const key = JSON.parse(text.slice(position, keyEnd)) as string;
    position = skipWhitespace(text, skipWhitespace(text, keyEnd) + 1);
    const valueEnd = valueEndOf(text, position);
    if (key === name) {
      jsonNumber.lastIndex = position;
      const match = jsonNumber.exec(text);
      found = match !== null && jsonNumber.lastIndex === valueEnd ? match[0] : undefined;
    }
    position = skipWhitespace(text, valueEnd);
    if (text[position] !== ',') return found;
    position += 1;
  }
}

/** The index after the string that starts at `start` (a quote). */
function stringEnd(text: string, start: number): number {
  let position = start + 1;
  while (position < text.length) {
    const char = text[position];
    if (char === '\\') position += 2;
    else if (char === '"') return position + 1;
    else position += 1;
  }
  return position;
}

/** The index after the value that starts at `start`: a string, an object or array, or a literal. */
function valueEndOf(text: string, start: number): number {
  const first = text[start];
  if (first === '"') return stringEnd(text, start);
  if (first === '{' || first === '[') {
    let depth = 0;
    let position = start;
    while (position < text.length) {
      const char = text[position];
      if (char === '"') {
        position = stringEnd(text, position);
        continue;
      }
      if (char === '{' || char === '[') depth += 1;
      else if (char === '}' || char === ']') {
        depth -= 1;
        if (depth === 0) return position + 1;
      }
      position += 1;
    }
    return position;
  }
  let position = start;
  while (position < text.length && !',}] \t\n\r'.includes(text[position]!)) position += 1;
  return position;
}
