// A small Markdown renderer to Preact elements, for previews of task descriptions. It never
// produces an HTML string, so what a person typed is always text in the page: no raw HTML,
// links only to http(s) and mailto. (Comments use the server's sanitised body_html.)

import type { ComponentChildren, VNode } from "preact";

const SAFE_LINK = /^(https?:\/\/|mailto:)/i;

export function inline(text: string, key = 0): ComponentChildren[] {
  const out: ComponentChildren[] = [];
  // code, bold, italic, link, bare URL, in that order of precedence
  const pattern =
    /`([^`]+)`|\*\*([^*]+)\*\*|__([^_]+)__|\*([^*\s][^*]*)\*|_([^_\s][^_]*)_|\[([^\]]+)\]\(([^)\s]+)\)|(https?:\/\/[^\s<)]+)/g;
  let last = 0;
  let found: RegExpExecArray | null;
  let n = key * 1000;
  while ((found = pattern.exec(text))) {
    if (found.index > last) out.push(text.slice(last, found.index));
    const [, code, bold1, bold2, em1, em2, label, href, bare] = found;
    n += 1;
    if (code !== undefined) out.push(<code key={n}>{code}</code>);
    else if (bold1 !== undefined || bold2 !== undefined) out.push(<strong key={n}>{inline(bold1 ?? bold2, n)}</strong>);
    else if (em1 !== undefined || em2 !== undefined) out.push(<em key={n}>{inline(em1 ?? em2, n)}</em>);
    else if (label !== undefined)
      out.push(
        SAFE_LINK.test(href) ? (
          <a key={n} href={href} rel="nofollow noopener noreferrer" target="_blank">
            {label}
          </a>
        ) : (
          label
        ),
      );
    else if (bare !== undefined)
      out.push(
        <a key={n} href={bare} rel="nofollow noopener noreferrer" target="_blank">
          {bare}
        </a>,
      );
    last = pattern.lastIndex;
  }
  if (last < text.length) out.push(text.slice(last));
  return out;
}

export function Markdown({ source }: { source: string }): VNode {
  const lines = source.replace(/\r\n?/g, "\n").split("\n");
  const blocks: VNode[] = [];
  let i = 0;
  while (i < lines.length) {
    const line = lines[i];
    const key = blocks.length;
    if (!line.trim()) {
      i += 1;
      continue;
    }
    if (line.startsWith("```")) {
      const code: string[] = [];
      i += 1;
      while (i < lines.length && !lines[i].startsWith("```")) code.push(lines[i++]);
      i += 1;
      blocks.push(
        <pre key={key}>
          <code>{code.join("\n")}</code>
        </pre>,
      );
      continue;
    }
    const heading = /^(#{1,6})\s+(.*)$/.exec(line);
    if (heading) {
      const Tag = `h${Math.min(6, heading[1].length + 2)}` as "h3";
      blocks.push(<Tag key={key}>{inline(heading[2], key)}</Tag>);
      i += 1;
      continue;
    }
    if (/^\s*([-*+]|\d+[.)])\s+/.test(line)) {
      const ordered = /^\s*\d/.test(line);
      const items: VNode[] = [];
      while (i < lines.length && /^\s*([-*+]|\d+[.)])\s+/.test(lines[i])) {
        const text = lines[i].replace(/^\s*([-*+]|\d+[.)])\s+/, "");
        const task = /^\[( |x)\]\s+(.*)$/i.exec(text);
        items.push(
          <li key={i}>
            {task ? (
              <>
                <input type="checkbox" checked={task[1] !== " "} disabled aria-label="done" /> {inline(task[2], i)}
              </>
            ) : (
              inline(text, i)
            )}
          </li>,
        );
        i += 1;
      }
      blocks.push(ordered ? <ol key={key}>{items}</ol> : <ul key={key}>{items}</ul>);
      continue;
    }
    if (line.startsWith(">")) {
      const quote: string[] = [];
      while (i < lines.length && lines[i].startsWith(">")) quote.push(lines[i++].replace(/^>\s?/, ""));
      blocks.push(
        <blockquote key={key}>
          <Markdown source={quote.join("\n")} />
        </blockquote>,
      );
      continue;
    }
    const paragraph: string[] = [];
    while (i < lines.length && lines[i].trim() && !/^(```|#{1,6}\s|>|\s*([-*+]|\d+[.)])\s+)/.test(lines[i]))
      paragraph.push(lines[i++]);
    blocks.push(<p key={key}>{inline(paragraph.join(" "), key)}</p>);
  }
  return <div class="markdown">{blocks}</div>;
}
