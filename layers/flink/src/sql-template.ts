import { SqlTemplateVariableMissingError } from './errors.js';

const placeholder = /\$\{([A-Z][A-Z0-9_]*)\}/g;

/**
 * Replaces every `${NAME}` placeholder (NAME = [A-Z][A-Z0-9_]*) with its variable. All missing
 * variables are reported together, before anything is contacted; extra variables are ignored.
 */
export function renderSqlTemplate(template: string, variables: Readonly<Record<string, string>>): string {
  const missing = new Set<string>();
  for (const match of template.matchAll(placeholder)) {
    const name = match[1]!;
    if (!Object.hasOwn(variables, name)) missing.add(name);
  }
  if (missing.size > 0) throw new SqlTemplateVariableMissingError([...missing].sort());
  return template.replace(placeholder, (_match, name: string) => variables[name]!);
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
