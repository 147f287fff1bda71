// Sphinx's search scorer (html_search_scorer), with its default weights, and one change:
// the landing page mentions every topic in its cards, so a word found only in its text
// ranks it below the pages those cards lead to. Checked by tests/site/test_search.py.
var Scorer = {
  score: (result) => {
    const [docname, , , , score] = result;
    return docname === "index" ? score - 3 : score;
  },
  objNameMatch: 11,
  objPartialMatch: 6,
  objPrio: { 0: 15, 1: 5, 2: -5 },
  objPrioDefault: 0,
  title: 15,
  partialTitle: 7,
  term: 5,
  partialTerm: 2,
};
