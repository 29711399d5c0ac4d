// Sphinx 9.2's search page builds a text summary for each result, and for a result that points
// at an index entry (an empty anchor) the summary comes back null; appending null throws, and
// the page logs an error. Give such results an empty summary instead.
document.addEventListener("DOMContentLoaded", () => {
  if (typeof Search === "undefined" || !Search.makeSearchSummary) return;
  const makeSearchSummary = Search.makeSearchSummary;
  Search.makeSearchSummary = (...args) =>
    makeSearchSummary(...args) ?? document.createElement("p");
});
