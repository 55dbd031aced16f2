/**
 * `[[target]]`, `[[target|alias]]`, `[[target#heading]]`, `[[target#^block|alias]]` → target
 * paths as written (without `.md`). Embeds (`![[image.png]]`) and links inside code are not
 * mentions and are left out.
 */
export function wikilinkTargets(markdown: string): string[] {
  const text = markdown.replace(/```[\s\S]*?```/g, '').replace(/~~~[\s\S]*?~~~/g, '').replace(/`[^`\n]*`/g, '');
  const out: string[] = [];
  for (const m of text.matchAll(/(!?)\[\[([^\]\n]+?)\]\]/g)) {
    if (m[1]) continue;
    const target = cleanTarget(m[2] as string);
    if (target) out.push(target);
  }
  return out;
}

/** `People/Ada Lovelace.md#Work|Ada` → `People/Ada Lovelace`. */
export function cleanTarget(link: string): string {
  return link
    .split('|')[0]!
    .split('#')[0]!
    .trim()
    .replace(/\.md$/i, '')
    .replace(/\\/g, '/')
    .replace(/^\/+/, '');
}

/** Markdown as short plain text: links become their alias or name. */
export function plainNoteText(markdown: string): string {
  return markdown
    .replace(/!\[\[[^\]]*\]\]/g, '')
    .replace(/\[\[([^\]|]+)\|([^\]]+)\]\]/g, '$2')
    .replace(/\[\[([^\]]+)\]\]/g, (_, t: string) => cleanTarget(t).split('/').pop() ?? t)
    .replace(/!\[[^\]]*\]\([^)]*\)/g, '')
    .replace(/\[([^\]]+)\]\([^)]*\)/g, '$1')
    .replace(/^#{1,6}\s+/gm, '')
    .replace(/[*_]{1,3}([^*_\n]+)[*_]{1,3}/g, '$1');
}
