// A code block or a table that scrolls sideways must be reachable by keyboard (WCAG 2.1.1;
// axe: scrollable-region-focusable) and named for screen readers. Only boxes that really
// overflow become tab stops; the check is redone when the width changes (phone rotation).
(() => {
  const name = (pre) => {
    const container = pre.closest(".literal-block-wrapper");
    const caption = container && container.querySelector(".caption-text");
    if (caption) return caption.textContent.trim();
    const lang = [...pre.closest("[class*='highlight-']").classList]
      .find((c) => c.startsWith("highlight-"));
    const kind = lang ? lang.slice("highlight-".length) : "text";
    return pre.closest(".captured") ? `Output (${kind})` : `Code (${kind})`;
  };
  // A table is named by its caption, or else by its column headings.
  const tableName = (box) => {
    const table = box.querySelector("table");
    const caption = table && table.querySelector("caption");
    if (caption) return `Table: ${caption.textContent.replace("¶", "").trim()}`;
    const heads = table ? [...table.querySelectorAll("thead th")] : [];
    const words = heads.map((th) => th.textContent.trim()).filter(Boolean).join(", ");
    return words ? `Table: ${words}` : "Table";
  };
  const mark = (box, label) => {
    if (box.scrollWidth > box.clientWidth + 1) {
      box.setAttribute("tabindex", "0");
      box.setAttribute("role", "region");
      box.setAttribute("aria-label", label(box));
    } else if (box.getAttribute("tabindex") === "0") {
      box.removeAttribute("tabindex");
      box.removeAttribute("role");
      box.removeAttribute("aria-label");
    }
  };
  const update = () => {
    for (const pre of document.querySelectorAll(".highlight pre")) mark(pre, name);
    for (const box of document.querySelectorAll("article .table-wrapper")) mark(box, tableName);
  };
  document.addEventListener("DOMContentLoaded", update);
  let pending;
  window.addEventListener("resize", () => {
    clearTimeout(pending);
    pending = setTimeout(update, 100);
  });
})();
