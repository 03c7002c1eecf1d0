// biome-ignore-all lint/suspicious/noTemplateCurlyInString: these strings are SQL templates with ${NAME} placeholders
import { renderSqlTemplate, SqlTemplateVariableMissingError, splitSqlStatements } from '@apphub/flink';
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
    expect(renderSqlTemplate('${A}', { A: "$& $' $1" })).toBe("$& $' $1");
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
