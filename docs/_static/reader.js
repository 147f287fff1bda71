// A code block that scrolls sideways must be reachable by keyboard (WCAG 2.1.1; axe:
// scrollable-region-focusable) and named for screen readers. Only blocks that really
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
  const update = () => {
    for (const pre of document.querySelectorAll(".highlight pre")) {
      if (pre.scrollWidth > pre.clientWidth + 1) {
        pre.setAttribute("tabindex", "0");
        pre.setAttribute("role", "region");
        pre.setAttribute("aria-label", name(pre));
      } else if (pre.getAttribute("tabindex") === "0") {
        pre.removeAttribute("tabindex");
        pre.removeAttribute("role");
        pre.removeAttribute("aria-label");
      }
    }
  };
  document.addEventListener("DOMContentLoaded", update);
  let pending;
  window.addEventListener("resize", () => {
    clearTimeout(pending);
    pending = setTimeout(update, 100);
  });
})();
