// biome-ignore-all lint/suspicious/noTemplateCurlyInString: these strings are SQL templates with ${NAME} placeholders
import {
  renderSqlTemplate,
  SqlTemplateValueInvalidError,
  SqlTemplateVariableMissingError,
  splitSqlStatements,
  sqlOptions,
} from '@apphub/flink';
import { describe, expect, it } from 'vitest';

describe('renderSqlTemplate', () => {
  it('replaces every placeholder, repeated ones included, and ignores extra variables', () => {
    const sql = "CREATE TABLE t WITH ('topic' = '${TOPIC}', 'group' = '${GROUP_ID}'); -- ${TOPIC}";

    const rendered = renderSqlTemplate(sql, { TOPIC: 'in.1', GROUP_ID: 'g', UNUSED: 'x' });

    expect(rendered).toBe("CREATE TABLE t WITH ('topic' = 'in.1', 'group' = 'g'); -- in.1");
  });

  it('names all missing variables at once, sorted and without repeats', () => {
    const attempt = () => renderSqlTemplate('${B_2} ${A} ${B_2} ${PRESENT}', { PRESENT: 'p' });

    expect(attempt).toThrow(SqlTemplateVariableMissingError);
    expect(attempt).toThrow('SQL template variables missing: A, B_2');
  });

  it('leaves text that is not a placeholder alone', () => {
    expect(renderSqlTemplate('${lower} $NAME ${1X} $${A}', { A: 'a' })).toBe('${lower} $NAME ${1X} $a');
  });

  it('inserts values literally, even ones containing $ patterns', () => {
    expect(renderSqlTemplate("'${A}'", { A: '$& $1 ${B}' })).toBe("'$& $1 ${B}'");
  });

  it('doubles quotes inside literals and identifiers, so a value cannot end its string', () => {
    const sql = "SELECT '${A}' AS `${B}`, \"${C}\" FROM t WHERE x = 'it''s ${A}'";

    const rendered = renderSqlTemplate(sql, { A: "x'); DROP TABLE t; --", B: 'we`ird', C: 'q"uote' });

    expect(rendered).toBe(
      "SELECT 'x''); DROP TABLE t; --' AS `we``ird`, \"q\"\"uote\" FROM t WHERE x = 'it''s x''); DROP TABLE t; --'",
    );
    expect(splitSqlStatements(rendered)).toHaveLength(1);
  });

  it('rejects a value outside quotes unless it is a plain number or name, naming the variable', () => {
    expect(renderSqlTemplate('SELECT ${N} FROM ${T}', { N: '42', T: 'db.events_1' })).toBe(
      'SELECT 42 FROM db.events_1',
    );
    expect(() => renderSqlTemplate('SELECT ${N}', { N: '1; DROP TABLE t' })).toThrow(
      SqlTemplateValueInvalidError,
    );
    expect(() => renderSqlTemplate('SELECT ${N}', { N: '1 OR 1=1' })).toThrow(
      /^SQL template variable N cannot be inserted: "1 OR 1=1" stands outside quotes/,
    );
  });

  it('keeps a value in a comment from ending the comment', () => {
    expect(renderSqlTemplate('-- topic ${T}\nSELECT 1', { T: 'in.1' })).toBe('-- topic in.1\nSELECT 1');
    expect(() => renderSqlTemplate('-- topic ${T}\nSELECT 1', { T: 'a\nDROP TABLE t' })).toThrow(
      /line break/,
    );
    expect(() => renderSqlTemplate('/* ${T} */ SELECT 1', { T: 'x */ DROP TABLE t /*' })).toThrow(/\*\//);
  });

  it('renders an option list as quoted options on lines of their own, or drops its line when empty', () => {
    const template = "CREATE TABLE t WITH (\n  'a' = '1',\n  ${OPTIONS}\n  'b' = '2'\n)";

    const rendered = renderSqlTemplate(template, {
      OPTIONS: sqlOptions({ 'properties.security.protocol': 'SSL', "k'ey": "va'lue" }),
    });

    expect(rendered).toBe(
      "CREATE TABLE t WITH (\n  'a' = '1',\n  'properties.security.protocol' = 'SSL',\n  'k''ey' = 'va''lue',\n  'b' = '2'\n)",
    );
    expect(renderSqlTemplate(template, { OPTIONS: sqlOptions({}) })).toBe(
      "CREATE TABLE t WITH (\n  'a' = '1',\n  'b' = '2'\n)",
    );
  });

  it('refuses an option list inside quotes, mid-line or as the last option', () => {
    const options = { OPTIONS: sqlOptions({ a: 'b' }) };
    expect(() => renderSqlTemplate("WITH ('x' = '${OPTIONS}', 'y' = 'z')", options)).toThrow(
      SqlTemplateValueInvalidError,
    );
    expect(() => renderSqlTemplate("WITH ('x' = 'y', ${OPTIONS}\n 'z' = 'w')", options)).toThrow(
      /line of its own/,
    );
    expect(() => renderSqlTemplate("WITH (\n  'x' = 'y',\n  ${OPTIONS}\n)", options)).toThrow(
      /followed by another/,
    );
  });
});

describe('splitSqlStatements', () => {
  it('splits on semicolons outside quotes and comments, dropping comment-only parts and leading comments', () => {
    const script = [
      '-- header comment; with a semicolon',
      "SET 'pipeline.name' = 'a;b';",
      '/* block; comment */',
      "CREATE TABLE `we;ird` (s STRING COMMENT \"x;y\") WITH ('k' = 'it''s; fine');",
      '-- trailing comment only;',
      'INSERT INTO t SELECT 1 -- inner comment stays',
    ].join('\n');

    const statements = splitSqlStatements(script);

    expect(statements).toEqual([
      "SET 'pipeline.name' = 'a;b'",
      "CREATE TABLE `we;ird` (s STRING COMMENT \"x;y\") WITH ('k' = 'it''s; fine')",
      'INSERT INTO t SELECT 1 -- inner comment stays',
    ]);
  });

  it('returns nothing for an empty or comment-only script', () => {
    expect(splitSqlStatements('  ;\n-- only a comment\n/* and; this */ ;; ')).toEqual([]);
  });
});
