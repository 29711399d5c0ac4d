// The book's search results: sections by name, the sections that name the query first.
// Loaded on the search page only, with book-search-sections.js (BOOK_SECTIONS: for each page,
// its sections' titles and the section each anchor sits in), which the build writes
// (booktools/editions/html.py).
//
// Sphinx's searchtools.js lists a hit on an index entry under its page's title alone, so one
// page's hits read "Running many at once" six times; it matches a section title only when the
// query is at least half the title's length, so "How is as_completed built?" is never found by
// its title; and it lists every index entry not marked as main after every other hit. Here the
// results Sphinx finds are taken as they are and then:
//
// 1. Each result is placed in its section (a hit on an index entry, a section title or the
//    page's text; an object keeps its own name) and titled "Page > Section".
// 2. Every section whose title names the query (its words, in order, as whole words) is added,
//    if Sphinx did not find it.
// 3. One result per section: the one with the best score, linked to the section's heading.
// 4. Results whose title names the query come first; within each group, by Sphinx's score,
//    and at equal scores in the order of the book (a chapter before the one that builds on it).
//
// Also: Sphinx 9.2 builds a text summary for each result, and for a hit on an index entry (an
// empty anchor) the summary comes back null; appending null throws. Such a result gets an empty
// summary instead.
"use strict";

document.addEventListener("DOMContentLoaded", () => {
  if (typeof Search === "undefined") return;

  const makeSearchSummary = Search.makeSearchSummary;
  Search.makeSearchSummary = (...args) =>
    makeSearchSummary(...args) ?? document.createElement("p");

  const performSearch = Search._performSearch;
  if (!performSearch || typeof BOOK_SECTIONS === "undefined") return;
  Search._performSearch = (query, ...rest) =>
    bookRanking(query, performSearch(query, ...rest), Search._index);
});

// The words of a text as searchtools.js splits a query, lower case; Chinese, written without
// spaces, one character to a word, so that 事件循环 is named by 事件循环到底运行什么？ (a title is
// one "word" to the splitter) and not by 循环 alone.
const bookWords = (text) =>
  text
    .toLowerCase()
    .replace(/(\p{Script=Han})/gu, " $1 ")
    .split(/[^\p{Letter}\p{Number}_\p{Emoji_Presentation}]+/gu)
    .filter((word) => word);

// True if the words of `query` appear in `title`, in order and next to each other.
const bookNames = (title, query) => {
  const wanted = bookWords(query);
  const words = bookWords(title);
  if (!wanted.length) return false;
  for (let start = 0; start + wanted.length <= words.length; start++) {
    if (wanted.every((word, i) => words[start + i] === word)) return true;
  }
  return false;
};

// Results are arrays [docname, title, anchor, description, score, filename, kind]; Sphinx
// returns them lowest first (the page shows them from the end), and so does this.
const bookRanking = (query, results, index) => {
  const fileOf = new Map(index.docnames.map((docname, file) => [docname, file]));

  const sectionOf = (docname, anchor) => {
    const sections = BOOK_SECTIONS[docname];
    if (!sections || !anchor) return "";
    return sections.anchors[anchor.replace(/^#/, "")] ?? "";
  };
  const pageTitle = (docname) => index.titles[fileOf.get(docname)] ?? docname;
  const sectionTitle = (docname, section) =>
    (section && BOOK_SECTIONS[docname]?.titles[section]) || pageTitle(docname);
  const titled = (docname, section) => {
    const title = sectionTitle(docname, section);
    return title === pageTitle(docname) ? title : `${pageTitle(docname)} > ${title}`;
  };

  const found = results.slice().reverse(); // best first, as Sphinx ranks them
  for (const [title, places] of Object.entries(index.alltitles)) {
    if (!bookNames(title, query)) continue;
    for (const [file, id] of places) {
      const score = Math.round((Scorer.title * query.length) / Math.max(title.length, 1));
      found.push([
        index.docnames[file],
        title,
        id ? `#${id}` : "",
        null,
        score,
        index.filenames[file],
        "title",
      ]);
    }
  }

  const best = new Map(); // place -> result
  found.forEach((result, order) => {
    const [docname, name, anchor, , score, , kind] = result;
    let place, shown;
    if (kind === "object") {
      place = `${docname}${anchor}`;
      shown = result.slice();
      shown[7] = bookNames(name, query);
    } else {
      const section = sectionOf(docname, anchor);
      place = `${docname}#${section}`;
      shown = result.slice();
      shown[1] = titled(docname, section);
      shown[2] = section ? `#${section}` : "";
      // The section's own title, or the page's for a hit outside any section.
      shown[7] = bookNames(sectionTitle(docname, section), query);
    }
    const sections = BOOK_SECTIONS[docname];
    const within = sections ? Object.keys(sections.titles).indexOf(shown[2].slice(1)) : -1;
    shown[8] = [sections?.order ?? Infinity, within, order];
    const kept = best.get(place);
    if (!kept || score > kept[4]) best.set(place, shown);
  });

  const earlier = (a, b) => a.findIndex((x, i) => x !== b[i]);
  const ranked = [...best.values()].sort((a, b) => {
    const differ = earlier(a[8], b[8]);
    return b[7] - a[7] || b[4] - a[4] || (differ < 0 ? 0 : a[8][differ] - b[8][differ]);
  });
  return ranked
    .map((result) => {
      const names = result[7];
      const shown = result.slice(0, 7);
      shown[4] = (names ? 1000 : 0) + result[4]; // shown as the link's data-score
      return shown;
    })
    .reverse();
};
