// Python in the page: the console of {python-console} (booktools/editions/browser.py).
//
// The directive leaves <div class="book-console" data-start=... data-run=...>: every word shown
// here comes from those attributes, which come from the MyST text. Nothing of Pyodide loads
// until the reader presses Start; then the loader, the interpreter and the standard library come
// from _static/pyodide/ of this book (never from another server), companion.zip is unpacked into
// Python's site-packages, and asyncio and companion are imported. Each entry runs with top-level
// await (Pyodide's eval_code_async), as in `python -m asyncio`; the value of a last expression
// is shown as the interactive prompt shows it.
"use strict";

(function () {
  const root = document.documentElement.dataset.content_root || "./";
  const staticURL = new URL(root + "_static/", document.baseURI).href;

  const SETUP = `
import asyncio, companion, sys, traceback
from pyodide.code import eval_code_async

_book_namespace = {"__name__": "__main__", "asyncio": asyncio, "companion": companion}

async def _book_run(source):
    try:
        result = await eval_code_async(source, _book_namespace, filename="<console>")
    except BaseException as error:
        # As the interactive prompt does: from the reader's code on, not the console's own.
        frames = traceback.extract_tb(error.__traceback__)
        first = next((i for i, f in enumerate(frames) if f.filename == "<console>"), len(frames))
        shown = frames[first:]
        print("Traceback (most recent call last):", file=sys.stderr)
        print("".join(traceback.format_list(shown)), end="", file=sys.stderr)
        print("".join(traceback.format_exception_only(error)), end="", file=sys.stderr)
    else:
        if result is not None:
            print(repr(result))
`;

  let starting = null;

  // What this browser lacks to run Python, as the name of the words that say so, or null:
  // WebAssembly itself (turned off, as some browsers' hardened modes do), or its stack switching
  // (JSPI), which Pyodide needs for asyncio.run to wait. Pyodide looks for the same two names.
  function lacking() {
    if (typeof WebAssembly !== "object" || WebAssembly === null) return "unavailable";
    if (!("Suspending" in WebAssembly) && !("Suspender" in WebAssembly)) {
      return "no-stack-switching";
    }
    return null;
  }

  // Load Pyodide once per page, whatever asks first.
  function startPython(write) {
    if (!starting) {
      starting = (async () => {
        const { loadPyodide } = await import(staticURL + "pyodide/pyodide.mjs");
        const pyodide = await loadPyodide({ indexURL: staticURL + "pyodide/" });
        pyodide.setStdout({ batched: (text) => write(text + "\n", "out") });
        pyodide.setStderr({ batched: (text) => write(text + "\n", "err") });
        const zip = await fetch(staticURL + "companion.zip");
        if (!zip.ok) throw new Error("companion.zip: " + zip.status);
        pyodide.unpackArchive(await zip.arrayBuffer(), "zip");
        await pyodide.runPythonAsync(SETUP);
        return pyodide;
      })();
    }
    return starting;
  }

  function element(tag, attributes, text) {
    const node = document.createElement(tag);
    for (const [name, value] of Object.entries(attributes)) node.setAttribute(name, value);
    if (text) node.textContent = text;
    return node;
  }

  function setUp(box, index) {
    const words = box.dataset;
    const start = element("button", { type: "button", class: "book-console-start" }, words.start);
    const status = element("p", { class: "book-console-status", role: "status" });
    const log = element("pre", {
      class: "book-console-log", role: "log", tabindex: "0", "aria-label": words.output,
      hidden: "",
    });
    const inputId = "book-console-input-" + index;
    const label = element("label", { for: inputId, hidden: "" }, words.input);
    const input = element("textarea", {
      id: inputId, class: "book-console-input", rows: "3", spellcheck: "false",
      autocapitalize: "off", autocomplete: "off", hidden: "",
    });
    const run = element("button", { type: "button", class: "book-console-run", hidden: "" },
      words.run);
    box.append(start, status, log, label, input, run);

    const write = (text, kind) => {
      const span = element("span", { class: "book-console-" + kind }, text);
      log.append(span);
      log.scrollTop = log.scrollHeight;
    };

    let busy = false;
    async function submit() {
      const source = input.value;
      if (busy || !source.trim()) return;
      busy = true;
      run.disabled = true;
      const lines = source.replace(/\n+$/, "").split("\n");
      write(lines.map((line, i) => (i ? "... " : ">>> ") + line).join("\n") + "\n", "in");
      const pyodide = await startPython(write);
      pyodide.globals.set("_book_source", source);
      try {
        await pyodide.runPythonAsync("await _book_run(_book_source)");
      } catch (error) {
        write(String(error) + "\n", "err");
      }
      input.value = "";
      busy = false;
      run.disabled = false;
      input.focus();
    }

    start.addEventListener("click", async () => {
      start.disabled = true;
      const missing = lacking();
      if (missing) {
        // The box's data-no-stack-switching is its dataset's noStackSwitching.
        status.textContent = words[missing.replace(/-(.)/g, (_, letter) => letter.toUpperCase())];
        return;
      }
      status.textContent = words.loading;
      try {
        const pyodide = await startPython(write);
        const version = pyodide.runPython("sys.version.split()[0]");
        status.textContent = words.ready.replace("{version}", version);
      } catch (error) {
        status.textContent = words.failed + " (" + String(error) + ")";
        start.disabled = false;
        starting = null;
        return;
      }
      start.hidden = true;
      for (const node of [log, label, input, run]) node.hidden = false;
      input.focus();
    });
    run.addEventListener("click", submit);
    input.addEventListener("keydown", (event) => {
      // Enter runs the entry; Shift+Enter starts a new line, for a block of several lines.
      if (event.key === "Enter" && !event.shiftKey) {
        event.preventDefault();
        submit();
      }
    });
  }

  // -- Run controls on the book's examples ------------------------------------------------------
  // The page's examples, in order (booktools/editions/browser.py): each runs in the page's one
  // namespace, after every example before it, as the book's two other runners run them.

  const RUNNER = `
import json, book_inbrowser

def _book_example(kind, source, want, flags, namespace_setup, page):
    namespace = _book_pages.get(page)
    if namespace is None:
        namespace = _book_pages[page] = {"__name__": "__main__"}
        exec(namespace_setup, namespace)
    if kind == "doctest":
        return json.dumps(book_inbrowser.run_session(source, flags, namespace))
    return json.dumps([book_inbrowser.run_code(source, want, flags, namespace)])

_book_pages = {}
`;
  let runnerReady = null;

  async function runExample(example, source, setup) {
    const pyodide = await startPython((text) => console.info(text));
    if (!runnerReady) runnerReady = pyodide.runPythonAsync(RUNNER);
    await runnerReady;
    // runPythonAsync, not a direct call: asyncio.run in an example needs an async entry point
    // to switch stacks.
    // undefined, not null, for "no expected output": Pyodide turns null into jsnull, not None.
    pyodide.globals.set("_book_call", [example.kind, source, example.want,
      example.flags, setup, location.pathname]);
    return JSON.parse(await pyodide.runPythonAsync("_book_example(*_book_call.to_py())"));
  }

  function setUpExamples() {
    const data = document.getElementById("book-examples");
    if (!data) return;
    const { words, setup, examples } = JSON.parse(data.textContent);
    let next = 0; // the first example the page's namespace has not run yet
    const IMPORTS = { kind: "testcode", want: undefined, flags: 0 };
    let queue = Promise.resolve();

    async function runUpTo(example, source) {
      for (; next < example.index; next++) {
        const earlier = examples[next];
        if (earlier.reason === null) await runExample(earlier, earlier.source, setup);
        // One that cannot run here still imports its modules, for the examples after it.
        else if (earlier.imports) await runExample(IMPORTS, earlier.imports, setup);
      }
      next = Math.max(next, example.index + 1);
      return runExample(example, source, setup);
    }

    for (const example of examples) {
      if (!example.shown || example.reason !== null) continue;
      const block = document.querySelector(".book-run-" + example.index);
      const pre = block && block.querySelector("pre");
      if (!pre) continue;
      const last = document.querySelector(".book-run-out-" + example.index) || block;
      // Unedited, the example runs as the book's runners run it, with the doctest flags the
      // page does not show; edited, as the reader wrote it.
      const shownText = pre.innerText;
      const bar = element("div", { class: "book-run" });
      const run = element("button", { type: "button", class: "book-run-button" },
        words["example-run"]);
      const edit = element("button", { type: "button", class: "book-edit-button",
        "aria-pressed": "false" }, words["example-edit"]);
      const status = element("span", { class: "book-run-status", role: "status" });
      const result = element("pre", { class: "book-run-result", role: "group", tabindex: "0",
        "aria-label": words["example-browser"], hidden: "" });
      bar.append(run, edit, status);
      last.after(bar, result);

      edit.addEventListener("click", () => {
        const editing = pre.getAttribute("contenteditable") !== "plaintext-only";
        if (editing) {
          pre.setAttribute("contenteditable", "plaintext-only");
          pre.setAttribute("role", "textbox");
          pre.setAttribute("aria-multiline", "true");
          pre.setAttribute("aria-label", words["example-edit"]);
          pre.focus();
        } else {
          for (const name of ["contenteditable", "role", "aria-multiline", "aria-label"]) {
            pre.removeAttribute(name);
          }
        }
        edit.setAttribute("aria-pressed", String(editing));
      });

      run.addEventListener("click", () => {
        const missing = lacking();
        if (missing) {
          // Said where the reader looks; the example and the book's output stay as they are.
          status.textContent = words[missing];
          return;
        }
        run.disabled = true;
        status.textContent = words["example-running"];
        queue = queue.then(async () => {
          try {
            await startPython((text) => console.info(text));
          } catch (error) {
            starting = null; // the next press tries again
            status.textContent = words.failed + " (" + String(error) + ")";
            run.disabled = false;
            return;
          }
          try {
            const text = pre.innerText;
            const steps = await runUpTo(example, text === shownText ? example.source : text);
            show(result, example.kind, steps, words);
            const same = steps.every((step) => step.ok !== false);
            status.textContent = same ? words["example-same"] : words["example-differs"];
            bar.classList.toggle("book-run-differs", !same);
          } catch (error) {
            status.textContent = words["example-differs"];
            result.textContent = String(error);
            result.hidden = false;
          } finally {
            run.disabled = false;
          }
        });
      });
    }
  }

  // What ran, prompt by prompt: the prompt, what it printed here, and, where that differs, what
  // the book shows, marked.
  function show(result, kind, steps, words) {
    result.textContent = "";
    for (const step of steps) {
      if (kind === "doctest") {
        const lines = step.source.replace(/\n$/, "").split("\n");
        result.append(element("span", { class: "book-run-in" },
          lines.map((line, i) => (i ? "... " : ">>> ") + line).join("\n") + "\n"));
      }
      const bad = step.ok === false;
      if (bad && step.want !== null) {
        // Mark the lines that differ, here and in the book's output; if no line differs as
        // text (a difference in blank space at the end), the whole output is marked.
        const [got, want] = marked(step.got, step.want);
        result.append(got);
        const book = element("span", { class: "book-run-want" }, words["example-book"] + "\n");
        book.append(...want.childNodes);
        result.append(book);
      } else {
        result.append(element("span",
          { class: bad ? "book-run-got book-run-bad" : "book-run-got" }, step.got));
      }
    }
    result.hidden = false;
  }

  // The two outputs as spans of lines, those that are not in a longest common subsequence of
  // the two marked (class book-run-bad): what a line diff would show.
  function marked(gotText, wantText) {
    const lines = (text) => (text === "" ? [] : text.split(/(?<=\n)/));  // "": no line at all
    const got = lines(gotText), want = lines(wantText);
    const same = (a, b) => a.replace(/\n$/, "") === b.replace(/\n$/, "");
    // common[i][j]: the length of a longest common subsequence of got[i:] and want[j:].
    const common = Array.from({ length: got.length + 1 }, () => new Array(want.length + 1).fill(0));
    for (let i = got.length - 1; i >= 0; i--) {
      for (let j = want.length - 1; j >= 0; j--) {
        common[i][j] = same(got[i], want[j])
          ? common[i + 1][j + 1] + 1 : Math.max(common[i + 1][j], common[i][j + 1]);
      }
    }
    const kept = [new Set(), new Set()];
    for (let i = 0, j = 0; i < got.length && j < want.length;) {
      if (same(got[i], want[j])) { kept[0].add(i++); kept[1].add(j++); }
      else if (common[i + 1][j] >= common[i][j + 1]) i++;
      else j++;
    }
    const everything = kept[0].size === got.length && kept[1].size === want.length;
    const spans = [got, want].map((lines, side) => {
      const box = element("span", side ? {} : { class: "book-run-got" });
      lines.forEach((line, n) => {
        const differs = everything || !kept[side].has(n);
        box.append(differs ? element("span", { class: "book-run-bad" }, line)
          : document.createTextNode(line));
      });
      return box;
    });
    return spans;
  }

  function ready() {
    document.querySelectorAll(".book-console").forEach(setUp);
    setUpExamples();
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", ready);
  else ready();
})();
