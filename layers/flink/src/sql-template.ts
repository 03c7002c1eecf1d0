import { SqlTemplateValueInvalidError, SqlTemplateVariableMissingError } from './errors.js';

const placeholder = /\$\{([A-Z][A-Z0-9_]*)\}/g;

/**
 * A list of connector options (`'key' = 'value'`) for a `WITH (...)` clause, e.g. the Kafka client's
 * security settings. Its placeholder stands on a line of its own inside the clause, before at least one
 * more option: each entry renders as one `'key' = 'value',` line, none renders as nothing.
 */
export interface SqlOptionList {
  readonly kind: 'sql-options';
  readonly entries: Readonly<Record<string, string>>;
}

/** What a template variable may hold: text, or a list of options. */
export type SqlTemplateValue = string | SqlOptionList;

/** Wraps connector options for {@link renderSqlTemplate}. */
export function sqlOptions(entries: Readonly<Record<string, string>>): SqlOptionList {
  return { kind: 'sql-options', entries };
}

/** Where in the SQL text a placeholder stands; it decides how a value must be escaped. */
type Context = 'code' | 'string' | 'identifier' | 'line-comment' | 'block-comment';

/** Text outside quotes must be a plain token: a number, an identifier or a dotted name. */
const plainToken = /^[A-Za-z0-9_.]+$/;

/**
 * Replaces every `${NAME}` placeholder (NAME = [A-Z][A-Z0-9_]*) with its variable, escaped for where
 * it stands: inside a '...' literal a quote is doubled, inside a "..." or `...` identifier its quote is
 * doubled, outside quotes only a plain token (or an option list) is accepted, and in a comment a value
 * must not end the comment. A value that cannot be placed safely is rejected, naming the variable, so
 * no value can change the statement's meaning. All missing variables are reported together, before
 * anything is contacted; extra variables are ignored.
 */
export function renderSqlTemplate(
  template: string,
  variables: Readonly<Record<string, SqlTemplateValue>>,
): string {
  const missing = new Set<string>();
  for (const match of template.matchAll(placeholder)) {
    if (!Object.hasOwn(variables, match[1]!)) missing.add(match[1]!);
  }
  if (missing.size > 0) throw new SqlTemplateVariableMissingError([...missing].sort());

  let output = '';
  let context: Context = 'code';
  let quote = '';
  let index = 0;
  while (index < template.length) {
    const found = /^\$\{([A-Z][A-Z0-9_]*)\}/.exec(template.slice(index, index + 64));
    if (found) {
      const name = found[1]!;
      const value = variables[name]!;
      index += found[0].length;
      if (typeof value === 'string') output += placeText(name, value, context, quote);
      else {
        const lineStart = /(?:^|\n)([ \t]*)$/.exec(output);
        const after = /^[ \t]*\n\s*'/.exec(template.slice(index));
        if (context !== 'code' || !lineStart || !after) {
          throw new SqlTemplateValueInvalidError(
            name,
            "an option list must stand on a line of its own inside WITH (...), followed by another 'key' = 'value' option",
          );
        }
        const indent = lineStart[1]!;
        const lines = Object.entries(value.entries).map(
          ([key, entry]) => `${quoteLiteral(key)} = ${quoteLiteral(entry)},`,
        );
        if (lines.length > 0) output += lines.join(`\n${indent}`);
        else {
          // Nothing to add: drop the placeholder's whole line.
          output = output.slice(0, output.length - indent.length);
          index += template.slice(index).indexOf('\n') + 1;
        }
      }
      continue;
    }
    const char = template[index]!;
    const next = template[index + 1];
    output += char;
    index += 1;
    if (context === 'code') {
      if (char === '-' && next === '-') context = 'line-comment';
      else if (char === '/' && next === '*') {
        context = 'block-comment';
        output += next;
        index += 1;
      } else if (char === "'") [context, quote] = ['string', char];
      else if (char === '"' || char === '`') [context, quote] = ['identifier', char];
    } else if (context === 'line-comment') {
      if (char === '\n') context = 'code';
    } else if (context === 'block-comment') {
      if (char === '*' && next === '/') {
        output += next;
        index += 1;
        context = 'code';
      }
    } else if (char === quote) {
      // A doubled quote is an escaped quote inside the literal or identifier, not its end.
      if (next === quote) {
        output += next;
        index += 1;
      } else context = 'code';
    }
  }
  return output;
}

/** A text value escaped for where its placeholder stands, or an error naming the variable. */
function placeText(name: string, value: string, context: Context, quote: string): string {
  switch (context) {
    case 'string':
    case 'identifier':
      return value.replaceAll(quote, quote + quote);
    case 'line-comment':
      if (!/[\r\n]/.test(value)) return value;
      throw new SqlTemplateValueInvalidError(name, 'it contains a line break and stands in a -- comment');
    case 'block-comment':
      if (!value.includes('*/')) return value;
      throw new SqlTemplateValueInvalidError(name, 'it contains */ and stands in a /* */ comment');
    case 'code':
      if (plainToken.test(value)) return value;
      throw new SqlTemplateValueInvalidError(
        name,
        `${JSON.stringify(value)} stands outside quotes and is not a plain number or name; quote the placeholder in the template`,
      );
  }
}

function quoteLiteral(text: string): string {
  return `'${text.replaceAll("'", "''")}'`;
}

/**
 * Splits a SQL script into statements on `;` outside string literals, quoted identifiers and
 * comments, keeping an `EXECUTE STATEMENT SET BEGIN ... END` block whole. Parts that hold only
 * comments or whitespace are dropped. Comments before a statement
 * are removed (some of Flink's statement parsers match from the first character); inner comments stay.
 */
export function splitSqlStatements(sql: string): string[] {
  const statements: string[] = [];
  let current = '';
  let hasCode = false;
  let index = 0;
  const flush = () => {
    if (hasCode) statements.push(stripLeadingComments(current));
    current = '';
    hasCode = false;
  };
  while (index < sql.length) {
    const char = sql[index]!;
    const next = sql[index + 1];
    if (char === '-' && next === '-') {
      const end = sql.indexOf('\n', index);
      const stop = end === -1 ? sql.length : end;
      current += sql.slice(index, stop);
      index = stop;
    } else if (char === '/' && next === '*') {
      const end = sql.indexOf('*/', index + 2);
      const stop = end === -1 ? sql.length : end + 2;
      current += sql.slice(index, stop);
      index = stop;
    } else if (char === "'" || char === '"' || char === '`') {
      const stop = endOfQuoted(sql, index, char);
      current += sql.slice(index, stop);
      hasCode = true;
      index = stop;
    } else if (char === ';') {
      // Inside EXECUTE STATEMENT SET BEGIN ... END the inner INSERTs' semicolons belong to the statement.
      if (opensStatementSet(current) && !/\bEND\s*$/i.test(current)) current += char;
      else flush();
      index += 1;
    } else {
      current += char;
      if (!/\s/.test(char)) hasCode = true;
      index += 1;
    }
  }
  flush();
  return statements;
}

function opensStatementSet(statement: string): boolean {
  return /^(?:EXECUTE\s+)?STATEMENT\s+SET\s+BEGIN\b|^BEGIN\s+STATEMENT\s+SET\b/i.test(
    stripLeadingComments(statement),
  );
}

function stripLeadingComments(statement: string): string {
  return statement.replace(/^(?:\s+|--[^\n]*(?:\n|$)|\/\*[\s\S]*?\*\/)*/, '').trim();
}

/** Index just past the closing quote; a doubled quote inside is an escaped quote, not the end. */
function endOfQuoted(sql: string, start: number, quote: string): number {
  let index = start + 1;
  while (index < sql.length) {
    if (sql[index] === quote) {
      if (sql[index + 1] === quote) {
        index += 2;
        continue;
      }
      return index + 1;
    }
    index += 1;
  }
  return sql.length;
}
