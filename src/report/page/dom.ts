// Building the DOM: elements from a tag, attributes and children, text only
// through textContent (names and paths come from the traced system).

export type Attrs = Record<string, string | number | boolean | null | undefined | ((event: Event) => void)>;
export type Child = Node | string | null;

function build<E extends Element>(e: E, attrs: Attrs = {}, children: Child[] = []): E {
  for (const [k, v] of Object.entries(attrs)) {
    if (v == null || v === false) continue;
    if (k === 'text') e.textContent = String(v);
    else if (typeof v === 'function') e.addEventListener(k.slice(2), v);
    else e.setAttribute(k, String(v));
  }
  for (const c of children) {
    if (c != null) e.appendChild(typeof c === 'string' ? document.createTextNode(c) : c);
  }
  return e;
}

/** An HTML element; attrs.text is its text, attrs.onX a listener of X. */
export function h<K extends keyof HTMLElementTagNameMap>(tag: K, attrs?: Attrs, children?: Child[]): HTMLElementTagNameMap[K] {
  return build(document.createElement(tag), attrs, children);
}

export function s<K extends keyof SVGElementTagNameMap>(tag: K, attrs?: Attrs, children?: Child[]): SVGElementTagNameMap[K] {
  return build(document.createElementNS('http://www.w3.org/2000/svg', tag), attrs, children);
}

/**
 * The dotted paths of T's numbers and strings (not into arrays: their elements
 * are addressed at run time), so a misspelt field fails the type check.
 */
export type Path<T> = {
  [K in keyof T & string]: T[K] extends string | number | null ? K : T[K] extends readonly unknown[] ? never : `${K}.${Path<T[K]>}`;
}[keyof T & string];

export function valueAt(object: unknown, path: string): unknown {
  return path.split('.').reduce<unknown>((v, k) => (v == null ? undefined : (v as Record<string, unknown>)[k]), object);
}
