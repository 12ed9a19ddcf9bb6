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
"""

# A click on an [n] marker opens (and scrolls to) the n-th citation block of the same answer.
JS = """
() => {
  if (window.__citeLinks) return;
  window.__citeLinks = true;
  document.addEventListener('click', (event) => {
    const link = event.target.closest ? event.target.closest('a.cite-ref') : null;
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
