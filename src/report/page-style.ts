// The HTML report's stylesheet, inlined into the page: system fonts only, so
// the file renders the same offline.

export const PAGE_STYLE = String.raw`
:root {
  --fg: #1f2328; --muted: #59636e; --line: #d1d9e0; --soft: #f6f8fa; --accent: #0969da;
  --bad: #cf222e; --bad-soft: #ffebe9; --warn-soft: #fff8c5; --bar: #54aeff; --bar2: #f6a35b;
  font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif;
  color: var(--fg); background: #fff;
}
* { box-sizing: border-box; }
body { margin: 0; }
header.page { padding: 20px 32px 12px; border-bottom: 1px solid var(--line); }
header.page h1 { font-size: 22px; margin: 0 0 4px; font-weight: 600; }
header.page .facts { color: var(--muted); display: flex; flex-wrap: wrap; gap: 4px 18px; }
header.page .facts b { color: var(--fg); font-weight: 500; }
nav.sections { position: sticky; top: 0; z-index: 5; background: rgba(255,255,255,.96); border-bottom: 1px solid var(--line);
  padding: 6px 32px; display: flex; gap: 18px; flex-wrap: wrap; }
nav.sections a { color: var(--accent); text-decoration: none; font-weight: 500; }
nav.sections a:hover { text-decoration: underline; }
main { padding: 8px 32px 48px; max-width: 1400px; }
section.block { margin-top: 28px; }
section.block > h2 { font-size: 18px; font-weight: 600; margin: 0 0 10px; padding-bottom: 4px; border-bottom: 1px solid var(--line); }
h3 { font-size: 14px; font-weight: 600; margin: 18px 0 6px; }
.hint { color: var(--muted); font-size: 12px; margin: 2px 0 8px; }
.alert { margin: 16px 32px 0; padding: 10px 14px; border-radius: 6px; border: 1px solid var(--bad); background: var(--bad-soft); }
.alert strong { color: var(--bad); }
.alert ul { margin: 6px 0 0; padding-left: 20px; }
.cards { display: grid; grid-template-columns: repeat(auto-fill, minmax(150px, 1fr)); gap: 10px; }
.card { border: 1px solid var(--line); border-radius: 8px; padding: 8px 12px; background: var(--soft); }
.card .label { color: var(--muted); font-size: 12px; }
.card .value { font-size: 20px; font-weight: 600; font-variant-numeric: tabular-nums; }
.card.bad { border-color: var(--bad); background: var(--bad-soft); }
.card.bad .value { color: var(--bad); }
.grid2 { display: grid; grid-template-columns: repeat(auto-fit, minmax(460px, 1fr)); gap: 8px 28px; }
.table-wrap { max-height: 420px; overflow: auto; border: 1px solid var(--line); border-radius: 6px; }
table.data { border-collapse: collapse; width: 100%; font-variant-numeric: tabular-nums; }
table.data th, table.data td { padding: 4px 10px; border-bottom: 1px solid var(--line); white-space: nowrap; }
table.data th { position: sticky; top: 0; background: var(--soft); text-align: left; font-weight: 600; cursor: pointer; user-select: none; }
table.data th.num, table.data td.num { text-align: right; }
table.data th[aria-sort=ascending]::after { content: " \25B2"; font-size: 10px; }
table.data th[aria-sort=descending]::after { content: " \25BC"; font-size: 10px; }
table.data tbody tr:hover { background: #eef5ff; }
table.data td.text { max-width: 480px; overflow: hidden; text-overflow: ellipsis; }
.bars { display: grid; grid-template-columns: minmax(120px, 260px) 1fr auto; gap: 3px 10px; align-items: center; }
.bars .bar-label { overflow: hidden; text-overflow: ellipsis; white-space: nowrap; }
.bars .bar-track { display: flex; height: 14px; background: var(--soft); border-radius: 3px; overflow: hidden; }
.bars .bar-fill { height: 100%; background: var(--bar); }
.bars .bar-fill.second { background: var(--bar2); }
.bars .bar-value { font-variant-numeric: tabular-nums; text-align: right; white-space: nowrap; }
.legend-inline { display: inline-flex; gap: 12px; font-size: 12px; color: var(--muted); margin-left: 8px; }
.swatch { display: inline-block; width: 10px; height: 10px; border-radius: 2px; margin-right: 4px; vertical-align: -1px; }
svg.timeline, svg.histogram { width: 100%; height: auto; display: block; }
svg text { font: 11px system-ui, sans-serif; fill: var(--muted); }
svg .lane-bg { fill: var(--soft); }
svg .hist-bar { fill: var(--bar); }
svg .hist-bar:hover, svg .run:hover { opacity: 1 !important; stroke: #000; stroke-width: .6; }
svg .axis { stroke: var(--line); }
.legend { display: flex; flex-wrap: wrap; gap: 4px 16px; margin-top: 6px; font-size: 12px; }
.hist-grid { display: grid; grid-template-columns: repeat(auto-fill, minmax(300px, 1fr)); gap: 10px 20px; }
.hist-single { max-width: 420px; }
.hist-card h4 { margin: 0; font-size: 13px; font-weight: 600; }
.hist-card .hint { margin: 0 0 2px; }
ul.tree, ul.tree ul { list-style: none; margin: 0; padding-left: 18px; }
ul.tree { padding-left: 0; }
ul.tree li { margin: 2px 0; }
ul.tree .node { display: inline-flex; flex-wrap: wrap; gap: 2px 10px; align-items: baseline; }
ul.tree summary { cursor: pointer; display: list-item; }
ul.tree li.leaf > .node { margin-left: 14px; }
.pid { font-weight: 600; font-variant-numeric: tabular-nums; }
.pname { color: var(--fg); }
.tag { color: var(--muted); font-size: 12px; }
.tag.exec { color: #8250df; }
.toolbar { margin: 4px 0 8px; display: flex; gap: 8px; }
button { font: inherit; padding: 2px 10px; border: 1px solid var(--line); border-radius: 6px; background: var(--soft); cursor: pointer; }
ul.plain { margin: 4px 0; padding-left: 20px; }
footer { color: var(--muted); font-size: 12px; padding: 16px 32px; border-top: 1px solid var(--line); }
`;
