/** A cell as one line of Markdown table text: pipes escaped, line breaks as `<br>`. */
export function cellText(value: string): string {
  return value.replace(/\\/g, '\\\\').replace(/\|/g, '\\|').replace(/\r?\n/g, '<br>').trim();
}

/**
 * Rows → a GitHub-flavoured Markdown table, the first row as header. Short rows are padded and
 * trailing empty columns dropped, so ragged CSVs and sparse sheets still render.
 */
export function markdownTable(rows: string[][]): string {
  const nonEmpty = rows.filter((r) => r.some((c) => c.trim() !== ''));
  if (nonEmpty.length === 0) return '_(empty)_';
  let width = Math.max(...nonEmpty.map((r) => r.length));
  while (width > 1 && nonEmpty.every((r) => (r[width - 1] ?? '').trim() === '')) width -= 1;
  const line = (r: string[]) => `| ${Array.from({ length: width }, (_, i) => cellText(r[i] ?? '')).join(' | ')} |`;
  const [head, ...body] = nonEmpty;
  return [line(head as string[]), `| ${Array.from({ length: width }, () => '---').join(' | ')} |`, ...body.map(line)].join('\n');
}
