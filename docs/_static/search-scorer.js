// Sphinx's search scorer (html_search_scorer) for this site. Sphinx gives a page the score of
// its single best word and breaks ties by title, so a query whose words are on most pages
// ("litellm claude code", "Connection refused") lists pages in alphabetical order. Here a
// page found by its words scores by:
// - how much of the query it covers, word by word, a rare word weighing more than a common
//   one: a word in the page's title counts most, then one in a section title, then one in the
//   text; how much of the page's title the query covers; and how often the page uses the
//   query's rarer words (docs/_ext/search_ranking.py counts them);
// - the query's words in that order in a message, command or setting the page quotes (its
//   inline literals, from the same extension), so a pasted error finds the pages that quote
//   it;
// - the kind of page: tutorials, how-to guides, troubleshooting and questions rank above
//   reference and explanation; the landing page, the section indexes and the glossary,
//   which mention every topic to link to it, rank below the pages they lead to, unless a
//   title or a glossary term matches the query.
// A query found in a section title keeps Sphinx's score, raised by what a title match is
// worth here. Checked by tests/site/test_search.py (real queries, real search page).
var Scorer = (() => {
  const WEIGHT = { pageTitle: 15, sectionTitle: 10, text: 5, partialTitle: 7, partialText: 2 };
  const QUOTED = 8; // the whole query, in order, in one literal the page quotes
  const FOCUS = 3; // the query covers the page's whole title
  const OFTEN = 4; // the page uses the query's words 16 times or more (2 times: 1)
  const TITLE_MATCH = 2; // added to Sphinx's score for the query inside a section title
  const GLOSSARY_TERM = 18; // a glossary term matched (Sphinx gives index entries up to 100)
  const LISTS = /^(index|(how-to|reference|explanation)\/index|reference\/glossary)$/;
  const KIND = [
    [/^tutorials\//, 4],
    [/^troubleshooting\//, 4],
    [/^how-to\//, 3],
    [/^faq\//, 2],
  ];
  const LIST_TEXT = -5; // a list page found only by words in its text

  const data = (part) => (window.SEARCH_RANKING || {})[part] || {};
  const wordsOf = (text) => (text.toLowerCase().match(/[\p{L}\p{N}_]+/gu) || []);
  const files = (entry) => (entry === undefined ? [] : [].concat(entry));
  let query = null; // what the page being ranked is compared with, set per search
  let fileOf = null; // docname -> index in the search index

  const prepare = (text, searchTerms) => {
    const index = Search._index;
    const stemmer = new Stemmer();
    const count = index.docnames.length;
    fileOf = new Map(index.docnames.map((name, file) => [name, file]));
    const terms = [...searchTerms].map((word) => {
      const inText = new Set(files(index.terms[word]));
      const inTitles = new Set(files(index.titleterms[word]));
      const partText = new Set();
      const partTitles = new Set();
      if (word.length > 2) {
        for (const [term, found] of Object.entries(index.terms))
          if (term !== word && term.includes(word)) files(found).forEach((f) => partText.add(f));
        for (const [term, found] of Object.entries(index.titleterms))
          if (term !== word && term.includes(word)) files(found).forEach((f) => partTitles.add(f));
      }
      const exact = new Set([...inText, ...inTitles]).size;
      const documents = exact || new Set([...partText, ...partTitles]).size || 1;
      return { word, inText, inTitles, partText, partTitles, idf: Math.log(1 + count / documents) };
    });
    const titleWords = new Map();
    const titleOf = (file) => {
      if (!titleWords.has(file))
        titleWords.set(file, wordsOf(index.titles[file] || "").map((w) => stemmer.stemWord(w)));
      return titleWords.get(file);
    };
    // Glossary terms (index entries) the query names in another form ("virtual keys" for
    // "virtual key"), which Sphinx's substring match misses.
    const stems = (words) => words.filter((w) => !stopwords.has(w)).map((w) => stemmer.stemWord(w))
      .sort().join(" ");
    const asked = [...searchTerms].filter((w) => !stopwords.has(w)).sort().join(" ");
    const lower = text.toLowerCase().trim();
    const termPages = new Set();
    for (const [entry, found] of Object.entries(index.indexentries || {}))
      if (stems(wordsOf(entry)) === asked
          && !(entry.includes(lower) && lower.length >= entry.length / 2))
        found.forEach(([file]) => termPages.add(file));
    query = { terms, words: wordsOf(text), titleOf, termPages };
  };

  // How much of the query a page covers, 2 to 15, rare words weighing more.
  const coverage = (file) => {
    const title = query.titleOf(file);
    let sum = 0;
    let weights = 0;
    for (const t of query.terms) {
      let w = 0;
      if (t.inTitles.has(file)) w = title.includes(t.word) ? WEIGHT.pageTitle : WEIGHT.sectionTitle;
      else if (t.inText.has(file)) w = WEIGHT.text;
      else if (t.partTitles.has(file)) w = WEIGHT.partialTitle;
      else if (t.partText.has(file)) w = WEIGHT.partialText;
      sum += w * t.idf;
      weights += t.idf;
    }
    return weights ? sum / weights : 0;
  };

  // How much of the page's title the query covers, 0 to FOCUS.
  const focus = (file) => {
    const title = query.titleOf(file).filter((w) => !stopwords.has(w));
    if (!title.length) return 0;
    const asked = new Set(query.terms.map((t) => t.word));
    return (FOCUS * title.filter((w) => asked.has(w)).length) / title.length;
  };

  // How often the page uses the query's words, rare words weighing more: 0 to OFTEN.
  const often = (docname) => {
    const counts = data("counts")[docname] || {};
    let sum = 0;
    let weights = 0;
    for (const t of query.terms) {
      sum += t.idf * Math.min(OFTEN, Math.log2(counts[t.word] || 1));
      weights += t.idf;
    }
    return weights ? sum / weights : 0;
  };

  // The longest run of the query's words, in order, inside one literal the page quotes, as a
  // share of the query: the whole query, or a run of three words or more of a long one.
  const quoted = (docname) => {
    const asked = query.words;
    if (asked.length < 2) return 0;
    const phrases = data("quotes")[docname] || [];
    let best = 0;
    for (const phrase of phrases) {
      const words = phrase.split(" ");
      for (let i = 0; i < words.length; i++)
        for (let j = 0; j < asked.length; j++) {
          let run = 0;
          while (i + run < words.length && j + run < asked.length
                 && words[i + run] === asked[j + run]) run++;
          if (run > best) best = run;
        }
    }
    return best === asked.length || best >= 3 ? (QUOTED * best) / asked.length : 0;
  };

  const kindOfPage = (docname, kind) => {
    if (LISTS.test(docname)) return kind === "text" ? LIST_TEXT : 0;
    for (const [pattern, bonus] of KIND) if (pattern.test(docname)) return bonus;
    return 0;
  };

  if (typeof Search !== "undefined") {
    const perform = Search._performSearch;
    Search._performSearch = (text, searchTerms, ...rest) => {
      prepare(text, searchTerms);
      return perform(text, searchTerms, ...rest);
    };
  }

  return {
    score: (result) => {
      const [docname, , , , score, , kind] = result;
      if (query === null) return score;
      let total = score;
      if (kind === "text") {
        const file = fileOf.get(docname);
        total = coverage(file) + focus(file) + often(docname);
        if (query.termPages.has(file)) return GLOSSARY_TERM + quoted(docname);
      } else if (kind === "title") total = score + TITLE_MATCH;
      else if (kind === "index") total = Math.min(score, GLOSSARY_TERM);
      return total + quoted(docname) + kindOfPage(docname, kind);
    },
    // Sphinx's defaults, for the matches this file does not rescore (objects).
    objNameMatch: 11,
    objPartialMatch: 6,
    objPrio: { 0: 15, 1: 5, 2: -5 },
    objPrioDefault: 0,
    title: 15,
    partialTitle: 7,
    term: 5,
    partialTerm: 2,
  };
})();
