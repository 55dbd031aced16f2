import { createReadStream } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { parse as parseCsv } from 'csv-parse';
import ExcelJS from 'exceljs';
import mammoth from 'mammoth';
import TurndownService from 'turndown';
import { markdownTable } from './markdown-table.js';

/** Bump when the Markdown produced for the same source changes, so every file is regenerated once. */
export const CONVERTER_VERSION = 1;

export type Converter = (file: string) => Promise<string>;

function turndown(): TurndownService {
  const td = new TurndownService({ headingStyle: 'atx', bulletListMarker: '-', codeBlockStyle: 'fenced', emDelimiter: '_' });
  td.remove(['style', 'script', 'head', 'title', 'meta']);
  // Inline images (data: URIs from docx, Takeout's relative image files) are not text; keep the alt.
  td.addRule('images', { filter: 'img', replacement: (_content, node) => (node as unknown as { getAttribute(n: string): string | null }).getAttribute('alt') ?? '' });
  return td;
}

export const docxToMarkdown: Converter = async (file) => {
  const { value } = await mammoth.convertToHtml({ path: file }, { convertImage: mammoth.images.imgElement(async () => ({ src: '' })) });
  return turndown().turndown(value);
};

/** HTML text as Markdown (a Drive Doc exported as HTML converts the same way as a Takeout .html). */
export const htmlTextToMarkdown = (html: string): string => turndown().turndown(html);

export const htmlToMarkdown: Converter = async (file) => htmlTextToMarkdown(await readFile(file, 'utf8'));

/** One `## Sheet` section with a table per worksheet. The workbook is read whole (exceljs); Drive sheets are small. */
export const xlsxToMarkdown: Converter = async (file) => {
  const wb = new ExcelJS.Workbook();
  await wb.xlsx.readFile(file);
  const sections: string[] = [];
  wb.eachSheet((ws) => {
    const rows: string[][] = [];
    ws.eachRow({ includeEmpty: false }, (row) => {
      const cells: string[] = [];
      for (let c = 1; c <= row.cellCount; c++) cells.push(valueText(row.getCell(c).value));
      rows.push(cells);
    });
    sections.push(`## ${ws.name}\n\n${markdownTable(rows)}`);
  });
  return sections.join('\n\n');
};

/** The CSV as one table (header = first row); a syntax error fails the file with its line. */
export const csvToMarkdown: Converter = async (file) => {
  const rows: string[][] = [];
  const parser = createReadStream(file).pipe(parseCsv({ bom: true, relax_column_count: true, skip_empty_lines: true }));
  for await (const record of parser) rows.push(record as string[]);
  return markdownTable(rows);
};

export const CONVERTERS: Record<string, Converter> = {
  '.docx': docxToMarkdown,
  '.html': htmlToMarkdown,
  '.htm': htmlToMarkdown,
  '.xlsx': xlsxToMarkdown,
  '.csv': csvToMarkdown,
};

/** An exceljs cell value as text: formulas by their result, dates as ISO (date only at midnight UTC), links as Markdown. */
export function valueText(v: ExcelJS.CellValue): string {
  if (v == null) return '';
  if (v instanceof Date) {
    const iso = v.toISOString();
    return iso.endsWith('T00:00:00.000Z') ? iso.slice(0, 10) : iso.replace('.000Z', 'Z');
  }
  if (typeof v !== 'object') return String(v);
  if ('richText' in v) return v.richText.map((r) => r.text).join('');
  if ('hyperlink' in v) return `[${typeof v.text === 'string' ? v.text : valueText(v.text as ExcelJS.CellValue)}](${v.hyperlink})`;
  if ('formula' in v || 'sharedFormula' in v) return valueText((v as ExcelJS.CellFormulaValue).result as ExcelJS.CellValue);
  if ('error' in v) return String(v.error);
  return '';
}
