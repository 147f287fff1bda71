// Keep number-only query terms of 3+ digits (HTTP statuses, ports): searchtools.js drops
// every number-only term, but docs/_ext/search_numbers.py indexes these (same rule).
document.addEventListener("DOMContentLoaded", () => {
  if (typeof Search === "undefined" || typeof splitQuery === "undefined") return;
  const parse = Search._parseQuery;
  Search._parseQuery = (query) => {
    const parsed = parse(query);
    const [, searchTerms, , highlightTerms] = parsed;
    for (const term of splitQuery(query.trim())) {
      if (/^\d{3,}$/.test(term)) {
        searchTerms.add(term);
        highlightTerms.add(term);
      }
    }
    return parsed;
  };
});
