// The policy editor: Rego and JSON with line numbers, highlighting and the save-time checks
// beside the lines. It enhances a textarea that stays the form field: every change is written
// back into it, so the form posts the same thing with or without this script. Bundled by
// scripts/build_editor.sh from the pinned npm packages (package-lock.json).
import { EditorState } from "@codemirror/state";
import {
  EditorView, keymap, lineNumbers, highlightActiveLine, highlightActiveLineGutter,
  drawSelection,
} from "@codemirror/view";
import { defaultKeymap, history, historyKeymap } from "@codemirror/commands";
import {
  StreamLanguage, syntaxHighlighting, defaultHighlightStyle, bracketMatching, ensureSyntaxTree,
} from "@codemirror/language";
import { json } from "@codemirror/lang-json";
import { lintGutter, lintKeymap, linter, setDiagnostics } from "@codemirror/lint";

const REGO_KEYWORDS = new Set([
  "package", "import", "as", "default", "else", "not", "with", "some", "every", "in", "if",
  "contains",
]);
const REGO_ATOMS = new Set(["true", "false", "null"]);

// A line-by-line tokenizer for Rego: comments (METADATA blocks apart), strings, raw strings,
// numbers, keywords, rule heads and operators.
const rego = StreamLanguage.define({
  name: "rego",
  startState: () => ({ metadata: false }),
  token(stream, state) {
    if (stream.sol() && !stream.match(/^\s*#/, false)) state.metadata = false;
    if (stream.eatSpace()) return null;
    if (stream.match(/^#\s*METADATA\b/)) {
      state.metadata = true;
      stream.skipToEnd();
      return "meta";
    }
    if (stream.peek() === "#") {
      stream.skipToEnd();
      return state.metadata ? "meta" : "comment";
    }
    if (stream.match(/^"(?:[^"\\]|\\.)*"?/)) return "string";
    if (stream.match(/^`[^`]*`?/)) return "string";
    if (stream.match(/^-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?/)) return "number";
    if (stream.match(/^:=|^==|^!=|^<=|^>=|^[=<>+\-*/%|&]/)) return "operator";
    const word = stream.match(/^[A-Za-z_][A-Za-z0-9_]*/);
    if (word) {
      const text = word[0];
      if (REGO_KEYWORDS.has(text)) return "keyword";
      if (REGO_ATOMS.has(text)) return "atom";
      if (stream.column() === 0) return "def";
      return "variable";
    }
    stream.next();
    return null;
  },
  languageData: { commentTokens: { line: "#" } },
});

function lineRange(doc, number) {
  const line = doc.line(Math.min(Math.max(number, 1), doc.lines));
  return { from: line.from, to: line.to };
}

// The checks recorded at the last save, as diagnostics on their lines.
function savedDiagnostics(doc, notes) {
  return notes.map((note) => ({
    ...lineRange(doc, note.line),
    severity: "error",
    source: note.source,
    message: note.message,
  }));
}

// Where the JSON grammar first fails to parse, or the end of the text.
function treeErrorAt(state) {
  const tree = ensureSyntaxTree(state, state.doc.length, 500);
  let at = state.doc.length;
  if (tree) {
    tree.iterate({
      enter(node) {
        if (node.type.isError && node.from < at) at = node.from;
        return at === state.doc.length;
      },
    });
  }
  return at;
}

// The first JSON syntax error, with its position, or null when the text parses.
function jsonError(state) {
  const text = state.doc.toString();
  try {
    JSON.parse(text);
    return null;
  } catch (error) {
    const found = /position (\d+)/.exec(error.message);
    let at = found ? Number(found[1]) : treeErrorAt(state);
    at = Math.min(at, text.length);
    const before = text.slice(0, at).split("\n");
    const detail = error.message.replace(/\s*\(line \d+ column \d+\)/, "");
    return { at, line: before.length, column: before[before.length - 1].length + 1, detail };
  }
}

// CodeMirror writes its stylesheet into a <style> element: the page's CSP admits it by the
// nonce the server gave this script (the only inline style the page allows).
const STYLE_NONCE = (document.currentScript && document.currentScript.nonce) || "";

function enhance(textarea) {
  const kind = textarea.dataset.editor;
  const label = document.querySelector(`label[for="${textarea.id}"]`);
  const status = document.getElementById(textarea.dataset.status || "");
  const where = textarea.dataset.lineColumn || "Line {line}, column {column}";
  const extensions = [
    lineNumbers(),
    highlightActiveLineGutter(),
    highlightActiveLine(),
    drawSelection(),
    history(),
    bracketMatching(),
    // F8 moves to the next finding of the checks, Ctrl-Shift-m lists them all.
    keymap.of([...lintKeymap, ...defaultKeymap, ...historyKeymap]),
    syntaxHighlighting(defaultHighlightStyle, { fallback: true }),
    lintGutter(),
    EditorView.cspNonce.of(STYLE_NONCE),
    EditorView.lineWrapping,
    EditorView.contentAttributes.of({
      "aria-labelledby": label && label.id ? label.id : "",
      "aria-describedby": [textarea.getAttribute("aria-describedby"), status && status.id]
        .filter((id, i, all) => id && all.indexOf(id) === i).join(" "),
      spellcheck: "false",
      tabindex: "0", // the scrolling region's keyboard access: the text itself takes focus
      "data-editor-for": textarea.id,
    }),
    EditorView.updateListener.of((update) => {
      if (update.docChanged) {
        textarea.value = update.state.doc.toString();
        textarea.dispatchEvent(new Event("input", { bubbles: true }));
      }
    }),
  ];
  const describe = (error) =>
    `${where.replace("{line}", error.line).replace("{column}", error.column)}: ${error.detail}`;
  if (kind === "rego") {
    extensions.push(rego);
  } else if (kind === "json") {
    extensions.push(json());
    extensions.push(
      linter((view) => {
        const error = jsonError(view.state);
        if (status) status.textContent = error ? describe(error) : "";
        if (!error) return [];
        const to = Math.min(error.at + 1, view.state.doc.length);
        return [{ from: Math.min(error.at, to), to, severity: "error", message: describe(error) }];
      }, { delay: 250 }),
    );
  }
  const view = new EditorView({
    state: EditorState.create({ doc: textarea.value, extensions }),
  });
  textarea.after(view.dom);
  textarea.hidden = true;
  view.dom.classList.add("editor");
  if (label) label.addEventListener("click", () => view.focus());
  const notes = JSON.parse(textarea.dataset.notes || "[]");
  if (notes.length) view.dispatch(setDiagnostics(view.state, savedDiagnostics(view.state.doc, notes)));
  if (kind === "json" && textarea.form) {
    textarea.form.addEventListener("submit", (event) => {
      const error = jsonError(view.state);
      if (!error) return;
      event.preventDefault();
      if (status) {
        status.textContent = describe(error);
        status.setAttribute("role", "alert");
      }
      view.dispatch({ selection: { anchor: error.at }, scrollIntoView: true });
      view.focus();
    });
  }
}

function start() {
  document.querySelectorAll("textarea[data-editor]").forEach(enhance);
}

if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
else start();
