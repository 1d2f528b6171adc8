import type { CatalogTag } from './api.js';

/** One line of the namespace tree: a level (site, area, asset) or a tag. */
export interface Row {
  path: string;
  depth: number;
  label: string;
  tag: CatalogTag | undefined;
  expanded: boolean;
  /** Tags below a level. */
  count: number;
}

interface Node {
  path: string;
  label: string;
  children: Map<string, Node>;
  tag: CatalogTag | undefined;
  count: number;
}

/** The ISA-95 tree of the tags' topics: site → area → asset → tag (below the namespace root, if any). */
export function buildTree(tags: readonly CatalogTag[]): Node {
  const root: Node = { path: '', label: '', children: new Map(), tag: undefined, count: 0 };
  for (const tag of tags) {
    let node = root;
    node.count++;
    for (const level of tag.topic.split('/')) {
      const path = node.path === '' ? level : `${node.path}/${level}`;
      let child = node.children.get(level);
      if (child === undefined) node.children.set(level, (child = { path, label: level, children: new Map(), tag: undefined, count: 0 }));
      child.count++;
      node = child;
    }
    node.tag = tag;
  }
  return root;
}

/**
 * The lines to show: the expanded levels' children, in name order; with a filter, every tag whose topic
 * holds it (any case) under its levels, all open.
 */
export function visibleRows(tree: Node, expanded: ReadonlySet<string>, filter: string): Row[] {
  const rows: Row[] = [];
  const needle = filter.trim().toLowerCase();
  const matches = (node: Node): boolean => (node.tag !== undefined ? node.path.toLowerCase().includes(needle) : [...node.children.values()].some(matches));
  const walk = (node: Node, depth: number) => {
    for (const child of [...node.children.values()].sort((a, b) => a.label.localeCompare(b.label, undefined, { numeric: true }))) {
      if (needle !== '' && !matches(child)) continue;
      const open = needle !== '' || expanded.has(child.path);
      rows.push({ path: child.path, depth, label: child.label, tag: child.tag, expanded: open, count: child.count });
      if (child.tag === undefined && open) walk(child, depth + 1);
    }
  };
  walk(tree, 0);
  return rows;
}

/** The path of every level (not tag) of the tree: what "Expand all" opens. */
export function levelPaths(tree: Node): string[] {
  const paths: string[] = [];
  const walk = (node: Node) => {
    for (const child of node.children.values()) {
      if (child.tag !== undefined) continue;
      paths.push(child.path);
      walk(child);
    }
  };
  walk(tree);
  return paths;
}
