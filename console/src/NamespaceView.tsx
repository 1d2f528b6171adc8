import { useEffect, useMemo, useRef, useState } from 'preact/hooks';
import type { CatalogTag } from './api.js';
import { formatAge, formatValue } from './format.js';
import type { LiveNamespace } from './live.js';
import { buildTree, levelPaths, visibleRows, type Row } from './tree.js';
import { useLive, useNow } from './use-live.js';

const ROW_HEIGHT = 26;
/** Lines drawn beyond the visible ones, so that a quick scroll shows no blank. */
const OVERSCAN = 10;

/**
 * The namespace as a tree, site → area → asset → tag, with value, unit, quality and age. Only the lines in
 * view are rendered (a window over the rows), so that 10,000 tags scroll and update like 100.
 */
export function NamespaceView(props: { live: LiveNamespace; tags: readonly CatalogTag[]; selected: string | undefined; onSelect: (topic: string) => void }) {
  const { live, tags } = props;
  useLive(live);
  const now = useNow();
  const tree = useMemo(() => buildTree(tags), [tags]);
  const [expanded, setExpanded] = useState<ReadonlySet<string>>(() => new Set([...tree.children.keys()]));
  const [filter, setFilter] = useState('');
  const rows = useMemo(() => visibleRows(tree, expanded, filter), [tree, expanded, filter]);
  const [scrollTop, setScrollTop] = useState(0);
  const [height, setHeight] = useState(600);
  const box = useRef<HTMLDivElement>(null);
  useEffect(() => {
    const measure = () => setHeight(box.current?.clientHeight ?? 600);
    measure();
    addEventListener('resize', measure);
    return () => removeEventListener('resize', measure);
  }, []);
  const first = Math.max(0, Math.floor(scrollTop / ROW_HEIGHT) - OVERSCAN);
  const last = Math.min(rows.length, Math.ceil((scrollTop + height) / ROW_HEIGHT) + OVERSCAN);
  const toggle = (row: Row) => {
    const next = new Set(expanded);
    if (next.has(row.path)) next.delete(row.path);
    else next.add(row.path);
    setExpanded(next);
  };
  const expandAll = () => setExpanded(new Set(levelPaths(tree)));
  return (
    <section class="namespace">
      <div class="toolbar">
        <input type="search" placeholder="Filter tags (part of a topic)" value={filter} data-testid="filter" onInput={(event) => setFilter(event.currentTarget.value)} />
        <button type="button" onClick={expandAll}>Expand all</button>
        <button type="button" onClick={() => setExpanded(new Set())}>Collapse</button>
        <span class="count">{tags.length} tags</span>
      </div>
      <div
        class="rows"
        ref={box}
        data-testid="tree"
        onScroll={(event) => {
          setScrollTop(event.currentTarget.scrollTop);
          setHeight(event.currentTarget.clientHeight);
        }}
      >
        <div style={{ height: `${rows.length * ROW_HEIGHT}px`, position: 'relative' }}>
          {rows.slice(first, last).map((row, index) => (
            <TreeRow key={row.path} row={row} top={(first + index) * ROW_HEIGHT} live={live} now={now} selected={row.path === props.selected} onToggle={toggle} onSelect={props.onSelect} />
          ))}
        </div>
      </div>
    </section>
  );
}

function TreeRow(props: { row: Row; top: number; live: LiveNamespace; now: number; selected: boolean; onToggle: (row: Row) => void; onSelect: (topic: string) => void }) {
  const { row } = props;
  const style = { top: `${props.top}px`, height: `${ROW_HEIGHT}px`, paddingLeft: `${row.depth * 18 + 6}px` };
  if (row.tag === undefined) {
    return (
      <div class="row level" style={style} onClick={() => props.onToggle(row)}>
        <span class="twist">{row.expanded ? '▾' : '▸'}</span> {row.label} <span class="muted">({row.count})</span>
      </div>
    );
  }
  const value = props.live.values.get(row.tag.topic);
  const quality = value?.quality ?? 'none';
  return (
    <div class={`row tag${props.selected ? ' selected' : ''}`} style={style} data-topic={row.tag.topic} data-quality={quality} onClick={() => props.onSelect(row.path)}>
      <span class="name">{row.label}</span>
      <span class="value" data-testid="value">{formatValue(value?.value)}</span>
      <span class="unit">{value?.unit ?? row.tag.unit ?? ''}</span>
      <span class={`quality ${quality}`} title={value?.status ?? quality}>
        {quality === 'good' || quality === 'none' ? quality : `${quality} ${value?.status ?? ''}`}
      </span>
      <span class="age">{value === undefined ? '' : formatAge(props.now - value.changedAt)}</span>
    </div>
  );
}
