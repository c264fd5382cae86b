import { type DefaultTreeAdapterTypes, parse } from 'parse5';

// The start-up check of an email template's `htmlBody`: where each placeholder sits in the HTML.
// HTML escaping (routing.ts) makes a value safe in text and in a quoted attribute value, and nowhere
// else: inside <script> or <style>, an on* handler, a style/srcset/srcdoc attribute, an unquoted
// attribute, a tag or attribute name, a comment (Outlook's conditional comments hold live markup) or
// a <meta>, a value would be code, CSS or markup. Such a template fails `npm run dev` and
// `serverless package`, naming the template. parse5 (the WHATWG parser jsdom uses) finds the
// contexts: a hand-written scan would miss the parser's own rules. It is a dev dependency, run by the
// preflight and the deploy check only, never bundled into a function.

type Node = DefaultTreeAdapterTypes.Node;
type Element = DefaultTreeAdapterTypes.Element;

/** `{{{path}}}` first, then `{{path}}`, as the renderer reads them. */
const PLACEHOLDERS = /\{\{\{\s*[\w.-]+\s*\}\}\}|\{\{\s*[\w.-]+\s*\}\}/g;

/** Elements whose text is code or CSS: no placeholder inside. */
const CODE_ELEMENTS = new Set(['script', 'style']);
/** Attributes whose value is code, CSS, a URL list or a document: no placeholder inside. */
const CODE_ATTRIBUTES = new Set(['style', 'srcset', 'srcdoc', 'imagesrcset']);

const isElement = (node: Node): node is Element => 'tagName' in node;

/**
 * Every placeholder of `html` that sits where escaping cannot make a value safe, one problem each
 * (`{{path}} is inside <script>`); an empty list means every placeholder is in text or in a quoted
 * attribute value.
 */
export function htmlPlaceholderProblems(html: string): string[] {
  const placeholders: string[] = [];
  // Each placeholder becomes a marker the parser keeps as it is, in names and in text alike.
  const marked = html.replace(PLACEHOLDERS, (placeholder) => {
    placeholders.push(placeholder);
    return `xtplmark${placeholders.length - 1}x`;
  });
  if (placeholders.length === 0) return [];
  const markers = (text: string) =>
    [...text.matchAll(/xtplmark(\d+)x/g)].map((match) => Number(match[1]));
  const found = new Set<number>();
  const problems: string[] = [];
  const refuse = (text: string, where: string) => {
    for (const index of markers(text)) {
      found.add(index);
      problems.push(`${placeholders[index]} is ${where}`);
    }
  };
  const accept = (text: string) => {
    for (const index of markers(text)) found.add(index);
  };

  const visit = (node: Node, inCode: string | undefined) => {
    if (node.nodeName === '#text') {
      const { value } = node as DefaultTreeAdapterTypes.TextNode;
      if (inCode) refuse(value, `inside <${inCode}>: a value there would be code`);
      else accept(value);
    } else if (node.nodeName === '#comment') {
      const { data } = node as DefaultTreeAdapterTypes.CommentNode;
      refuse(data, 'inside a comment: conditional comments hold markup escaping cannot protect');
    }
    if (!isElement(node)) {
      for (const child of 'childNodes' in node ? node.childNodes : []) visit(child, inCode);
      return;
    }
    refuse(node.tagName, 'in a tag name');
    const attributes = node.sourceCodeLocation?.attrs ?? {};
    for (const { name, value } of node.attrs) {
      refuse(name, `in an attribute name of <${node.tagName}>`);
      if (markers(value).length === 0) continue;
      const location = attributes[name];
      const source = location ? marked.slice(location.startOffset, location.endOffset) : '';
      const quoted = /^[^=]*=\s*["']/.test(source);
      if (name.startsWith('on'))
        refuse(value, `in the event handler ${name}= of <${node.tagName}>`);
      else if (CODE_ATTRIBUTES.has(name))
        refuse(value, `in the ${name}= attribute of <${node.tagName}>`);
      else if (node.tagName === 'meta') refuse(value, 'in a <meta> attribute');
      else if (!quoted) refuse(value, `in the unquoted attribute ${name}= of <${node.tagName}>`);
      else accept(value);
    }
    const code = CODE_ELEMENTS.has(node.tagName) ? node.tagName : inCode;
    const content =
      node.tagName === 'template' ? (node as DefaultTreeAdapterTypes.Template).content : undefined;
    for (const child of [...node.childNodes, ...(content ? [content] : [])]) visit(child, code);
  };
  visit(parse(marked, { sourceCodeLocationInfo: true }), undefined);

  placeholders.forEach((placeholder, index) => {
    if (!found.has(index)) {
      problems.push(
        `${placeholder} is where the HTML parser does not keep it (a doctype, a duplicate attribute…)`,
      );
    }
  });
  return problems;
}
