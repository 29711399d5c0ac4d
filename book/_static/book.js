// The book's script on every HTML page (booktools/editions/html.py adds it).
//
// Figures, enlarged. Each figure's image links to its file. Following the link opens the image
// in a box over the page, at the size it was drawn (at least the screen's width), which
// scrolls if it is wider than the screen: on a phone a chart shrinks to the screen's width and
// its labels to a few pixels, and here they are as large as on a desktop. A click or a tap
// anywhere, or Escape, closes the box and gives the focus back to the link. Without
// JavaScript, the link opens the image file itself.
(() => {
  const open = (link, event) => {
    const image = link.querySelector("img");
    if (!image || event.ctrlKey || event.metaKey || event.shiftKey || event.button > 0) return;
    event.preventDefault();
    const box = document.createElement("dialog");
    box.className = "book-zoom";
    box.setAttribute("aria-label", image.alt);
    box.tabIndex = 0; // it scrolls: the arrow keys scroll it once it has the focus
    const large = box.appendChild(image.cloneNode());
    large.removeAttribute("width");
    large.removeAttribute("height");
    large.removeAttribute("style");
    large.style.width = `${Math.max(image.naturalWidth, window.innerWidth)}px`;
    box.addEventListener("click", () => box.close());
    // A modal dialog closes on Escape by itself, but Chromium may ignore that key when nothing
    // was clicked since the dialog opened.
    box.addEventListener("keydown", (key) => {
      if (key.key === "Escape") box.close();
    });
    box.addEventListener("close", () => box.remove());
    document.body.appendChild(box);
    box.showModal();
  };
  document.addEventListener("click", (event) => {
    const link = event.target.closest?.("a.book-enlarge");
    if (link) open(link, event);
  });
})();

// Run update() once the page is loaded, and again, at most once a frame, when the window changes
// size: what fits a desktop screen may not fit a phone's.
const onLoadAndResize = (update) => {
  let pending = null;
  const later = () => {
    if (pending === null) pending = requestAnimationFrame(() => ((pending = null), update()));
  };
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", update);
  } else {
    update();
  }
  window.addEventListener("resize", later);
};

// A code block or a table wider than the text column scrolls sideways; a reader without a mouse
// scrolls it with the arrow keys only if it can take the keyboard focus, so each one that
// scrolls is given a place in the tab order (tabindex="0"). Checked again when the window
// changes size, since a block that fits a desktop screen may scroll on a phone. Blocks that
// fit stay out of the tab order.
(() => {
  const SCROLLERS = "article pre, article .table-wrapper, article .highlight";

  const update = () => {
    for (const box of document.querySelectorAll(SCROLLERS)) {
      const scrolls = box.scrollWidth > box.clientWidth + 1;
      const overflow = getComputedStyle(box).overflowX;
      if (scrolls && (overflow === "auto" || overflow === "scroll")) {
        box.tabIndex = 0;
      } else if (box.getAttribute("tabindex") === "0") {
        box.removeAttribute("tabindex");
      }
    }
  };

  onLoadAndResize(update);
})();

// Tables too wide for the screen are stacked: each row becomes a block, and each cell is
// labelled with its column's heading (taken from the table's own header row), so that every
// column, the last one too (the errata's verdict), can be read without scrolling sideways.
// Decided again when the window changes size; a table that fits stays a table.
(() => {
  const tables = () => document.querySelectorAll("article table.docutils");

  const label = (table) => {
    const heads = Array.from(table.querySelectorAll("thead tr:last-child > th"), (th) =>
      th.textContent.trim(),
    );
    for (const row of table.querySelectorAll("tbody > tr")) {
      Array.from(row.children).forEach((cell, column) => {
        if (heads[column] && !cell.dataset.label) cell.dataset.label = heads[column];
      });
    }
    return heads.length > 0;
  };

  const update = () => {
    for (const table of tables()) {
      table.classList.remove("book-stacked");
      const box = table.parentElement;
      const wide = Math.max(table.offsetWidth, box.scrollWidth) > box.clientWidth + 1;
      if (wide && label(table)) {
        table.classList.add("book-stacked");
      }
    }
  };

  onLoadAndResize(update);
})();
