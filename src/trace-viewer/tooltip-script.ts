/**
 * The page's only script: hover (and keyboard focus) tooltips. Every bar, DAG step and
 * timeline row label carries its details in an SVG `<title>`, which browsers show
 * natively after a delay, and which is all a reader without JavaScript gets. The
 * script moves each `<title>` into a `data-tip` attribute (so the native tooltip
 * does not double it) and shows it at once in a styled box that follows the pointer.
 * Text goes in through `textContent` only, never as markup.
 */

/**
 * The script's source, inlined in a `<script>` at the end of the page's body.
 *
 * @example
 * const tail = `<div id="tooltip" role="tooltip" hidden></div><script>${TOOLTIP_SCRIPT}</script>`;
 */
export const TOOLTIP_SCRIPT = `
(() => {
  "use strict";
  const tip = document.getElementById("tooltip");
  for (const el of document.querySelectorAll(".bar, .node.step, .row-label")) {
    const title = el.querySelector(":scope > title");
    if (title === null) continue;
    el.setAttribute("data-tip", title.textContent);
    title.remove();
  }
  let current = null;
  const place = (x, y) => {
    const box = tip.getBoundingClientRect();
    let left = x + 14;
    let top = y + 16;
    if (left + box.width > innerWidth - 8) left = x - box.width - 14;
    if (top + box.height > innerHeight - 8) top = y - box.height - 12;
    tip.style.left = Math.max(8, left) + "px";
    tip.style.top = Math.max(8, top) + "px";
  };
  const show = (el, x, y) => {
    const [first, ...rest] = el.getAttribute("data-tip").split("\\n");
    const strong = document.createElement("strong");
    strong.textContent = first;
    tip.replaceChildren(strong, rest.join("\\n"));
    tip.hidden = false;
    place(x, y);
  };
  const hide = () => {
    tip.hidden = true;
    current = null;
  };
  const target = (event) => (event.target instanceof Element ? event.target.closest("[data-tip]") : null);
  document.addEventListener("pointerover", (event) => {
    const el = target(event);
    if (el === null || el === current) return;
    current = el;
    show(el, event.clientX, event.clientY);
  });
  document.addEventListener("pointermove", (event) => {
    if (current !== null) place(event.clientX, event.clientY);
  });
  document.addEventListener("pointerout", (event) => {
    if (current !== null && !current.contains(event.relatedTarget)) hide();
  });
  document.addEventListener("focusin", (event) => {
    const el = target(event);
    if (el === null) return;
    const box = el.getBoundingClientRect();
    current = el;
    show(el, box.left, box.bottom);
  });
  document.addEventListener("focusout", hide);
  document.addEventListener("keydown", (event) => {
    if (event.key === "Escape") hide();
  });
  addEventListener("scroll", hide, true);
})();
`;
