"""The page's own CSS and JavaScript (served with the app; no file is read at run time)."""

CSS = """
.citation mark, .passage mark { background: #ffe066; color: inherit; padding: 0 2px; }
.passage { margin: 4px 0 0; white-space: normal; }
.cite-source { font-size: 0.9em; opacity: 0.8; }
.searched { font-size: 0.9em; font-style: italic; opacity: 0.8; margin-bottom: 4px; }
.note { font-size: 0.85em; opacity: 0.7; margin-top: 4px; }
.error { color: #c92a2a; }
.draft { opacity: 0.6; font-style: italic; border-left: 3px dashed #adb5bd; padding-left: 8px; }
.draft-label { font-size: 0.8em; font-style: normal; text-transform: uppercase; letter-spacing: 0.05em; }
sup.cite a { text-decoration: none; cursor: pointer; }
.answer-tools { font-size: 0.85em; margin-top: 6px; }
.copy-text { display: none; }
a.open-doc { display: inline-block; font-size: 0.85em; margin-top: 4px; }
.stale { color: #b35c00; opacity: 1; }
table.evidence { font-size: 0.85em; border-collapse: collapse; }
table.evidence td, table.evidence th { padding: 2px 6px; vertical-align: top; text-align: left; }
tr.evidence-row.cited td { font-weight: 600; }
table.evidence td:first-child { white-space: nowrap; font-variant-numeric: tabular-nums; }
#signed-in { font-size: 0.9em; opacity: 0.8; }
pre.decision { font-size: 0.8em; white-space: pre-wrap; }
#doc-view { max-height: 620px; overflow: auto !important; border: 1px solid #dee2e6; border-radius: 6px; padding: 6px; }
.doc-text { font-size: 0.9em; }
.doc-row { display: flex; gap: 12px; white-space: pre-wrap; line-height: 1.45; }
.doc-ln { flex: 0 0 7.5em; text-align: right; opacity: 0.55; user-select: none; font-variant-numeric: tabular-nums; }
.doc-line { flex: 1; min-width: 0; }
.doc-text mark { background: #ffe066; color: inherit; padding: 0 2px; }
.doc-more { font-style: italic; opacity: 0.6; margin: 4px 0; }
"""

# A click on an [n] marker opens (and scrolls to) the n-th citation block of the same answer.
# A click on "Open the document" puts the link's target (and a nonce, so the same link works
# twice) in a hidden box and presses the hidden button that opens the viewer. "Copy answer with
# sources" copies the answer's hidden plain text.
JS = """
() => {
  if (window.__citeLinks) return;
  window.__citeLinks = true;
  const copy = async (text) => {
    try { await navigator.clipboard.writeText(text); return true; } catch (e) {
      const area = document.createElement('textarea');
      area.value = text; document.body.appendChild(area); area.select();
      const done = document.execCommand('copy'); area.remove(); return done;
    }
  };
  document.addEventListener('click', async (event) => {
    const near = (selector) => (event.target.closest ? event.target.closest(selector) : null);
    const opener = near('a.open-doc');
    if (opener) {
      event.preventDefault();
      const box = document.querySelector('#open-target textarea, #open-target input');
      box.value = (opener.getAttribute('href') || '').replace('#doc-', '') + ':' + Date.now();
      box.dispatchEvent(new Event('input', {bubbles: true}));
      setTimeout(() => document.querySelector('#open-button').click(), 50);
      return;
    }
    const copier = near('a.copy-answer');
    if (copier) {
      event.preventDefault();
      const holder = copier.closest('.message-content, .message, .bot') || copier.parentElement.parentElement;
      const text = holder.querySelector('.copy-text');
      if (text && await copy(text.textContent)) copier.textContent = 'Copied with sources';
      return;
    }
    const link = near('a.cite-ref');
    if (!link) return;
    event.preventDefault();
    const n = (link.getAttribute('href') || '').replace('#cite-', '');
    const row = link.closest('.message-row');
    if (!row) return;
    for (const title of row.querySelectorAll('.thought-group .title')) {
      if (title.textContent.trim().startsWith('[' + n + ']')) {
        if (!title.classList.contains('expanded')) title.click();
        title.scrollIntoView({block: 'center'});
        break;
      }
    }
  });
}
"""

# After the viewer opens: bring it into view and scroll its text to the marked sentence.
SCROLL_TO_CITED = """
() => {
  let tries = 0;
  const go = () => {
    const mark = document.querySelector('#doc-view mark#cited');
    if (!mark && tries++ < 40) { setTimeout(go, 50); return; }
    document.querySelector('#viewer')?.scrollIntoView({block: 'start'});
    if (mark) mark.scrollIntoView({block: 'center'});  // scrolls the text box, and the page if need be
  };
  go();
}
"""
