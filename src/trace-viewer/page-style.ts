/**
 * The stylesheet of the trace page, inlined in its `<style>`: a light, card-based
 * layout ~1200px wide; the DAG and the timeline scroll inside their cards, and the
 * timeline's time axis stays in view while its rows scroll.
 */

/**
 * The page's CSS.
 *
 * @example
 * const head = `<style>${PAGE_CSS}</style>`;
 */
export const PAGE_CSS = `
:root { color-scheme: light; --fg: #0f172a; --muted: #475569; --faint: #64748b; --border: #e2e8f0; }
* { box-sizing: border-box; }
body { margin: 0; padding: 24px 28px 40px; background: #f1f5f9; color: var(--fg);
  font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Helvetica, Arial, sans-serif; }
main { max-width: 1180px; margin: 0 auto; }
h1 { font-size: 22px; margin: 0 0 6px; overflow-wrap: anywhere; }
h1 .version { color: var(--faint); font-weight: 500; }
h2 { font-size: 15px; margin: 0 0 10px; }
h3 { font-size: 13px; margin: 0 0 6px; color: var(--muted); }
.meta { color: var(--muted); margin: 0; overflow-wrap: anywhere; }
.description { color: var(--muted); margin: 6px 0 0; }
code { font: 12px ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; background: #e2e8f0;
  padding: 1px 5px; border-radius: 4px; overflow-wrap: anywhere; }
.badge { display: inline-block; padding: 0 10px; border-radius: 999px; border: 1px solid;
  font-size: 12px; font-weight: 600; line-height: 20px; vertical-align: 1px; }
.card { background: #fff; border: 1px solid var(--border); border-radius: 10px; padding: 16px 20px; margin-top: 16px; }
.stats { display: flex; flex-wrap: wrap; gap: 10px 36px; margin: 0; }
.stats dt { color: var(--faint); font-size: 12px; }
.stats dd { margin: 0; font-size: 17px; font-weight: 600; }
.columns { display: grid; grid-template-columns: repeat(auto-fit, minmax(300px, 1fr)); gap: 8px 28px; margin-top: 14px; }
.columns:empty { display: none; }
.columns ol, .columns ul { margin: 0; padding-left: 22px; }
.columns li { margin: 2px 0; overflow-wrap: anywhere; }
.error-text { color: #991b1b; }
.notice { margin: 0; padding: 8px 12px; border-radius: 6px; background: #fef3c7; color: #78350f; }
.scroll { overflow: auto; max-height: 75vh; border: 1px solid var(--border); border-radius: 6px; background: #fff; }
svg { display: block; }
.timeline-axis { position: sticky; top: 0; z-index: 1; background: #fff; }
.legend { display: flex; flex-wrap: wrap; gap: 4px 18px; margin: 0 0 10px; padding: 0; list-style: none;
  font-size: 12px; color: var(--muted); }
.swatch { display: inline-block; width: 22px; height: 11px; margin-right: 6px; vertical-align: -1px;
  border: 1.5px solid; border-radius: 3px; }
.swatch.dot { width: 11px; border-radius: 50%; }
.swatch.dashed { border-style: dashed; }
.swatch.hatch { border-style: dashed; background: repeating-linear-gradient(45deg, #f59e0b 0 2px, #fffbeb 2px 5px); }
.bar { cursor: default; }
.bar:hover rect, .bar:focus rect { stroke-width: 2.4; }
.bar:focus { outline: none; }
.bar:focus-visible rect { stroke: #0f172a; }
#tooltip { position: fixed; z-index: 10; max-width: 480px; padding: 8px 10px; border-radius: 6px;
  background: #0f172a; color: #f8fafc; font-size: 12px; line-height: 1.45; white-space: pre-wrap;
  overflow-wrap: anywhere; pointer-events: none; box-shadow: 0 4px 14px rgba(15, 23, 42, 0.25); }
#tooltip[hidden] { display: none; }
#tooltip strong { display: block; margin-bottom: 2px; }
`;
