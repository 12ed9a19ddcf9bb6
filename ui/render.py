"""Answers as chat messages and Markdown: pure functions, every document or model string escaped.

Chat messages are plain {"role", "content", "metadata"} dicts (what gr.Chatbot takes). Their
content is one line of HTML with every document and model string passed through
`html.escape`, so Markdown never re-interprets document text and a document cannot inject
markup or script. The supporting sentence is wrapped in <mark> inside its passage.
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from assistant.history import Turn  # one notion of a turn: what is saved is what is shown
from assistant.types import Answer, Citation
from index.text import MARKER  # [1], [1, 2] as the citation check leaves them

Message = dict[str, Any]

PASSAGE_TITLE_CHARS = 80  # document titles longer than this are cut in block titles


def esc(text: object) -> str:
    """`text` as inert HTML: <, >, &, and quotes escaped."""
    return html.escape(str(text), quote=True)


def md_text(text: object) -> str:
    """`text` for a place Gradio renders as Markdown: HTML escaped, and no link or image syntax."""
    escaped = html.escape(str(text), quote=False).replace("\\", "\\\\")
    return escaped.replace("[", "\\[").replace("]", "\\]")


def _lines(escaped: str) -> str:
    """Newlines as <br>: keeps an HTML block on one line, so Markdown leaves it alone."""
    return escaped.replace("\r\n", "\n").replace("\n", "<br>")


def source_label(title: str, doc_id: str, location: str) -> str:
    """'Title — file, lines 3-5' (plain text, not escaped)."""
    title = " ".join(title.split())
    if len(title) > PASSAGE_TITLE_CHARS:
        title = title[: PASSAGE_TITLE_CHARS - 1] + "…"
    where = f"{doc_id}, {location}" if location else doc_id
    return f"{title} — {where}" if title and title != doc_id else where


def citation_title(citation: Citation) -> str:
    """The collapsible block's title: '[1] Title — file, lines 3-5' (Markdown, escaped)."""
    return f"[{citation.number}] {md_text(source_label(citation.title, citation.doc_id, citation.location_label))}"


def highlight(passage: str, quote: str) -> str:
    """The passage as escaped HTML with `quote` wrapped in <mark>; no mark when it is not found."""
    start, end = _find(passage, quote)
    if start < 0:
        return _lines(esc(passage))
    return _lines(esc(passage[:start]) + "<mark>" + esc(passage[start:end]) + "</mark>" + esc(passage[end:]))


def _find(passage: str, quote: str) -> tuple[int, int]:
    """Span of `quote` in `passage`, exact or with any run of whitespace matching any other."""
    quote = quote.strip()
    if not quote:
        return -1, -1
    at = passage.find(quote)
    if at >= 0:
        return at, at + len(quote)
    pattern = r"\s+".join(re.escape(word) for word in quote.split())
    found = re.search(pattern, passage)
    return (found.start(), found.end()) if found else (-1, -1)


def answer_html(text: str) -> str:
    """Model output as escaped HTML; each [n] becomes a marker that opens citation n."""
    escaped = _lines(esc(text.strip()))
    return MARKER.sub(_marker, escaped)


def _marker(match: re.Match[str]) -> str:
    numbers = re.findall(r"\d+", match.group(1))
    links = ", ".join(f'<a class="cite-ref" href="#cite-{n}">{n}</a>' for n in numbers)  # the page's JS opens it
    return f'<sup class="cite">[{links}]</sup>'


DRAFT_LABEL = "Draft, checking citations…"  # streamed text is unchecked until the answer replaces it


def streaming_message(text: str) -> Message:
    """The answer while it is still being generated, shown as an unchecked draft (greyed, labelled)
    until the checked answer replaces it; '' before the first token: a placeholder."""
    if not text.strip():
        return {"role": "assistant", "content": '<div class="answer streaming pending">Searching…</div>'}
    body = f'<div class="draft-label">{esc(DRAFT_LABEL)}</div>{_lines(esc(text.strip()))}'
    return {"role": "assistant", "content": f'<div class="answer streaming draft">{body}</div>'}


def waiting_message(ahead: int, loading: bool = False) -> Message:
    """The answer's place in the model's queue while another session's answer is generated."""
    text = "Loading the language model…" if loading else f"Waiting for the language model: {ahead} ahead of you…"
    return {"role": "assistant", "content": f'<div class="answer streaming pending waiting">{esc(text)}</div>'}


def error_message(text: str) -> Message:
    return {"role": "assistant", "content": f'<div class="error">{_lines(esc(text))}</div>'}


def user_message(question: str) -> Message:
    return {"role": "user", "content": f'<div class="question">{_lines(esc(question))}</div>'}


def answer_messages(answer: Answer, turn: int | None = None) -> list[Message]:
    """The final answer, then one collapsed block per citation (or per closest passage), then
    the evidence that was considered. With the turn's index, each block links to its document
    (the page's JS opens `#doc-<turn>-<n>` in the viewer) and the answer has a copy link."""
    searched = ""
    if answer.query and answer.query != answer.question:
        searched = f'<div class="searched">Searched for: {esc(answer.query)}</div>'
    tools = "" if turn is None else _tools(answer)
    evidence = [] if turn is None else [evidence_block(answer)]
    if answer.abstained:
        head = {"role": "assistant", "content": searched + _abstention_html(answer) + tools}
        return [head, *closest_blocks(answer, turn=turn), *evidence]
    body = f'<div class="answer">{answer_html(answer.text)}</div>'
    notes = "".join(f'<div class="note">{esc(note)}</div>' for note in answer.notes)
    return [
        {"role": "assistant", "content": searched + body + notes + tools},
        *citation_blocks(answer.citations, turn),
        *evidence,
    ]


def _tools(answer: Answer) -> str:
    """The copy link, and the text it copies (hidden; the page's JS puts it on the clipboard)."""
    return (
        '<div class="answer-tools"><a class="copy-answer" href="#copy">Copy answer with sources</a></div>'
        f'<div class="copy-text">{esc(copy_text(answer))}</div>'
    )


def copy_text(answer: Answer) -> str:
    """The answer as plain text with its footnotes: what "Copy answer with sources" copies."""
    if answer.abstained:
        closest = [
            f"- {source_label(p.title, p.doc_id, p.location.label() if p.location else '')}"
            for p in answer.passages[:3]
        ]
        return "\n".join([answer.text.split("\n", 1)[0], *(["", "Closest passages:", *closest] if closest else [])])
    notes = [
        f'[{c.number}] {source_label(c.title, c.doc_id, c.location_label)}: "{" ".join(c.quote.split())}"'
        for c in answer.citations
    ]
    return answer.text.strip() + ("\n\n" + "\n".join(notes) if notes else "")


def _abstention_html(answer: Answer) -> str:
    first = answer.text.split("\n", 1)[0]
    more = " The closest passages found are below." if answer.passages else ""
    return f'<div class="answer abstained">{esc(first)}{more}</div>'


def citation_blocks(citations: Iterable[Citation], turn: int | None = None) -> list[Message]:
    return [
        _block(
            citation_title(c),
            c.title,
            c.doc_id,
            c.location_label,
            highlight(c.passage or c.quote, c.quote),
            None if turn is None else f"{turn}-{c.number}",
        )
        for c in citations
    ]


def closest_blocks(answer: Answer, limit: int = 3, turn: int | None = None) -> list[Message]:
    """The closest passages of an abstention, each with its best evidence sentence marked."""
    best: dict[str, str] = {}
    for item in sorted(answer.evidence, key=lambda e: -e.score):
        best.setdefault(item.passage.chunk_id, item.sentence)
    blocks = []
    for i, passage in enumerate(answer.passages[:limit], start=1):
        label = passage.location.label() if passage.location else ""
        title = f"Closest passage {i}: {md_text(source_label(passage.title, passage.doc_id, label))}"
        body = highlight(passage.text, best.get(passage.chunk_id, ""))
        blocks.append(
            _block(title, passage.title, passage.doc_id, label, body, None if turn is None else f"{turn}-p{i}")
        )
    return blocks


def _block(title: str, doc_title: str, doc_id: str, location: str, body: str, target: str | None = None) -> Message:
    where = f", {esc(location)}" if location else ""
    link = (
        ""
        if target is None
        else f'<a class="open-doc" href="#doc-{esc(target)}">Open the document at this sentence</a>'
    )
    content = (
        f'<div class="citation"><div class="cite-source">{esc(doc_title)} '
        f"(<code>{esc(doc_id)}</code>{where})</div>"
        f'<blockquote class="passage">{body}</blockquote>{link}</div>'
    )
    return {"role": "assistant", "content": content, "metadata": {"title": title, "status": "done"}}


def evidence_block(answer: Answer) -> Message:
    """'Evidence considered': every scored sentence, best first (cited ones marked), and why the
    answer was given or refused (assistant.report.format_decision), for the curious and for
    reporting a wrong answer."""
    from assistant.report import format_decision

    cited = {(c.doc_id, c.char_start) for c in answer.citations}
    rows = []
    for item in sorted(answer.evidence, key=lambda e: -e.score):
        where = source_label("", item.passage.doc_id, item.location.label() if item.location else "")
        used = (
            " cited" if any(d == item.passage.doc_id and item.char_start <= s < item.char_end for d, s in cited) else ""
        )
        cells = f"<td>{item.score:+.2f}</td><td>{esc(where)}</td><td>{esc(item.sentence)}</td>"
        rows.append(f'<tr class="evidence-row{used}">{cells}</tr>')
    table = (
        '<table class="evidence"><tr><th>score</th><th>source</th><th>sentence</th></tr>' + "".join(rows) + "</table>"
        if rows
        else "<div>No sentence was scored (nothing was retrieved).</div>"
    )
    try:
        decided = format_decision(answer.decision)
    except (KeyError, TypeError, ValueError):  # a conversation saved by another version
        decided = "(the decision was saved in a form this version cannot show)"
    why = f'<pre class="decision">{esc(decided)}</pre>'
    verdict = "refused" if answer.abstained else "answered"
    title = f"Evidence considered: {len(answer.evidence)} sentences, {verdict}"
    decision = answer.decision
    if decision.get("probability") is not None and decision.get("threshold") is not None:
        title += f" (P = {decision['probability']:.2f}, threshold {decision['threshold']:.2f})"
    content = f'<div class="evidence-view">{table}{why}</div>'
    return {"role": "assistant", "content": content, "metadata": {"title": md_text(title), "status": "done"}}


def stale_message(stale: Sequence[tuple[int, str]]) -> Message:
    """What changed in the index since a reopened answer: '[2] no longer points at ...' per citation."""
    items = "".join(f"<li>[{n}] {esc(why)}</li>" for n, why in stale)
    text = "The index has changed since this answer: these citations no longer point at the same text."
    return {"role": "assistant", "content": f'<div class="note stale">{esc(text)}<ul>{items}</ul></div>'}


# -- status and upload reports -------------------------------------------------------
def status_markdown(status: Mapping[str, Any], answerer: str) -> str:
    """The corpus status panel (Markdown; values escaped)."""
    if status.get("error"):
        return f"**Index:** {md_text(status['error'])}"
    if not status.get("indexed"):
        return f"**No documents indexed yet** in {md_text(status.get('store', ''))}.\n\nUpload documents below."
    lines = [
        f"**Documents:** {status.get('documents', 0)}",
        f"**Chunks:** {status.get('chunks', 0)}",
        f"**Embedding model:** {md_text(status.get('embedding_model') or '?')}",
        f"**Answerer:** {md_text(answerer)}",
    ]
    return "  \n".join(lines)


def upload_markdown(outcomes: Sequence[Mapping[str, str]], error: str = "", seconds: float | None = None) -> str:
    """One line per uploaded file: accepted, rejected or skipped, and why."""
    lines = [f"- **{md_text(o['status'])}** {md_text(o['name'])}: {md_text(o['reason'])}" for o in outcomes]
    if error:
        lines.append(f"- **indexing failed**: {md_text(error)}")
    if seconds is not None:
        lines.append(f"\nIndexed in {seconds:.1f} s.")
    return "\n".join(lines) or "No files."


# -- Markdown export ------------------------------------------------------------------
def export_markdown(turns: Sequence[Turn], title: str = "Conversation") -> str:
    """The conversation as Markdown; each answer's [n] becomes a footnote with source and quote.

    Document and model text is HTML-escaped here too, so the file is inert wherever it is rendered.
    """
    parts = [f"# {title}\n"]
    for t, turn in enumerate(turns, start=1):
        parts.append(f"## {t}. {_md(turn.question)}\n")
        if turn.answer is None:
            parts.append(f"Error: {_md(turn.error)}\n")
            continue
        parts.append(_export_answer(turn.answer, t))
    return "\n".join(parts).rstrip() + "\n"


def _md(text: str) -> str:
    return html.escape(" ".join(text.split()), quote=False)


def _export_answer(answer: Answer, turn: int) -> str:
    lines = []
    if answer.query and answer.query != answer.question:
        lines.append(f"*Searched for: {_md(answer.query)}*\n")
    if answer.abstained:
        lines.append(_md(answer.text.split("\n", 1)[0]) + "\n")
        for p in answer.passages[:3]:
            label = p.location.label() if p.location else ""
            lines.append(f"- Closest: {_md(source_label(p.title, p.doc_id, label))}")
        return "\n".join(lines) + "\n"
    text = MARKER.sub(lambda m: "".join(f"[^{turn}-{n}]" for n in re.findall(r"\d+", m.group(1))), _md(answer.text))
    lines.append(text + "\n")
    for c in answer.citations:
        where = f", {c.location_label}" if c.location_label else ""
        lines.append(f'[^{turn}-{c.number}]: {_md(c.title)} ({_md(c.doc_id)}{where}): "{_md(c.quote)}"')
    return "\n".join(lines) + "\n"
