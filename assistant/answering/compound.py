"""Compound questions: the parts of "When is the launch, and why did the date change?".

A question is split where a new question clause starts:

- after ", and" / ", but" / ";" / a comma / " and " when the next words open a question (a wh-word,
  a preposition and a wh-word: "in what year", "by whom"; or, after a comma, any clause that holds
  a wh-word: "..., and the treaty was signed where?");
- at a "?" followed by more text (two questions typed in one message);
- "and why?" / "and by whom?" alone: the wh-word is put in place of the first part's own
  ("When did the date change and why?" -> "When did the date change?", "Why did the date change?").

Lists of names ("Who are Tom, Dick and Harry?"), "between X and Y" and "and" inside a noun phrase
are not split: the words after the joint do not open a question. General English only, nothing
tuned to a corpus. Each part is then resolved against the first ("who signed it?" -> "who signed
the treaty?") with the conversation resolver, the same as a follow-up (assistant.answering.compose.parts).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

from assistant.followups.phrases import AUX, PREPOSITIONS, WH

MAX_PARTS = 4  # more joints than this is a list, not a set of questions
_WORD = re.compile(r"[A-Za-z']+")
# Where a part may end: a "?" with text after it, a ";", a comma (with a conjunction or not), or a
# bare conjunction. Group "sep" is what is dropped; the right side is checked by `_opens_question`.
_JOINT = re.compile(
    r"(?P<sep>\?\s+|\s*;\s*(?:(?:and|but|also|plus)\s+)?|\s*,\s*(?:(?:and|but|also|plus|as well as)\s+)?"
    r"|\s+(?:and|but|as well as)\s+(?:also\s+)?)",
    re.I,
)
_OVERVIEW = re.compile(
    r"^\W*(?:please\s+)?(summari[sz]e|give (?:me )?(?:an? )?(?:overview|summary|timeline)|"
    r"(?:what is|what's) the (?:timeline|history|story|background|status)|"
    r"what (?:has )?happened|list (?:all|every|the)|walk me through|describe the (?:timeline|history|sequence))\b"
    r"|\b(?:timeline|chronology|in (?:chronological )?order|step by step)\b",
    re.I,
)
Shape = Literal["factoid", "compound", "overview"]
# Words that ask or join but say nothing about what is asked.
_FUNCTION = (
    WH
    | AUX
    | PREPOSITIONS
    | frozenset(
        "and or but so the a an this that it its they them he she his her um uh er oh oops well ok okay sorry no "
        "wait rather mean make let me say again first then other".split()
    )
)
# Self-corrections ("What is X, rather what is Y?", "When did A, sorry I meant to say B, when did he
# die?"): the words around such a joint repair one question, they do not start a second one.
_CORRECTION = re.compile(
    r"\b(?:sorry|oops|my bad|i meant?|let me|let rephrase|not that|actually|better yet|make that|scratch that"
    r"|rather|wait)\b"
    r"|\b(?:no|um|uh|er)\W*$",
    re.I,
)
_CORRECTION_NEXT = re.compile(r"^\W*(?:or\s+)?(?:rather|actually|better yet|sorry|i mean|no|oops|wait)\b", re.I)
CORRECTION_WORDS = 6  # the end of the left side that is searched for a correction


def shape(question: str) -> Shape:
    """What kind of answer the question wants: one fact, one answer per part, or an overview."""
    if len(split(question)) > 1:
        return "compound"
    return "overview" if _OVERVIEW.search(question) else "factoid"


def split(question: str) -> list[str]:
    """The question's parts as written, each ending in "?"; a single question gives one part."""
    text = " ".join(question.split()).strip()
    pieces = _merged(_pieces(text))
    parts = _filled(pieces)
    return parts[:MAX_PARTS] if len(parts) > 1 else [text]


# -- finding joints ------------------------------------------------------------------------------
@dataclass(frozen=True)
class _Piece:
    text: str
    joint: str  # the separator before it: "" (first), "and" (a conjunction), "," (a bare comma), "?"


def _pieces(text: str) -> list[_Piece]:
    """The text cut at every joint after which a question opens."""
    pieces: list[_Piece] = []
    start, joint = 0, ""
    for match in _JOINT.finditer(text):
        left, right = text[start : match.start()], text[match.end() :]
        if not _words(left) or not right.strip():
            continue
        separator = match.group("sep")
        comma = bool(re.search(r"[,;?]", separator))
        if _repair(left, right, conjunction=bool(_words(separator))):
            continue
        if _opens_question(_clause(right), comma=comma, after_question="?" in separator) or _elliptical(right):
            pieces.append(_Piece(left, joint))
            start, joint = match.end(), _joint_kind(separator)
    pieces.append(_Piece(text[start:], joint))
    return pieces


def _repair(left: str, right: str, *, conjunction: bool) -> bool:
    """Whether the joint sits inside a self-correction. After ", and" only a correction right at
    the joint counts ("..., oh I meant gold, and what ..." has finished its repair)."""
    tail = " ".join(left.split()[-(2 if conjunction else CORRECTION_WORDS) :])
    return bool(_CORRECTION.search(tail) or _CORRECTION_NEXT.search(right))


def _joint_kind(separator: str) -> str:
    if "?" in separator:
        return "?"
    return "and" if _words(separator) or ";" in separator else ","


def _clause(right: str) -> str:
    """The right side up to its next comma or semicolon: where its wh-word must be."""
    return re.split(r"[,;]", right, maxsplit=1)[0]


def _merged(pieces: list[_Piece]) -> list[str]:
    """Pieces that are not questions of their own joined to a neighbour: an opening phrase
    ("Outside of X, what ...", "..., and after X fled, where ...") or an abandoned start
    ("what did, uh sorry, when was ...") to the next; a continuation after a bare comma to the last."""
    out: list[str] = []
    carry = ""
    for piece in pieces:
        text = f"{carry}{_glue(piece)}{piece.text}" if carry else piece.text
        if _is_question(text, first=not out):
            out.append(text)
            carry = ""
        elif out and piece.joint == "," and not carry:
            out[-1] = f"{out[-1]}, {text}"
        else:
            carry = text
    if carry and out:
        out[-1] = f"{out[-1]}, {carry}"
    elif carry:
        out.append(carry)
    return out


def _glue(piece: _Piece) -> str:
    return {"": "", "?": "? ", ",": ", ", "and": ", and "}[piece.joint]


def _is_question(text: str, *, first: bool) -> bool:
    """Asks something of its own: a wh-word (or an opening auxiliary) and a content word, and it
    is not only an opening phrase ("Outside of national recognition, ...")."""
    words = _words(text)
    if not first and _elliptical(text):
        return True
    if not words:
        return False
    content = [w for w in words if w not in _FUNCTION]
    return bool(content) and (any(w in WH for w in words) or words[0] in AUX)


def _opens_question(right: str, *, comma: bool, after_question: bool) -> bool:
    words = _words(right)
    if not words:
        return False
    if after_question:  # "When is X? Why did Y?": a second sentence is a second question
        return len(words) >= 2
    if words[0] in WH and len(words) >= 2:
        return True
    if words[0] in PREPOSITIONS and len(words) >= 3 and (words[1] in WH or words[2] in WH):
        return True  # "in what year ...", "by how much ..."
    if comma and words[0] in AUX and len(words) >= 3:
        return True  # "..., and did it pass?"
    return comma and len(words) >= 3 and any(w in WH for w in words[1:])  # "..., and the treaty was signed where?"


def _elliptical(right: str) -> bool:
    """ "why?", "and by whom?", "where exactly?": a wh-word with nothing to ask about of its own."""
    words = _words(right)
    content = [w for w in words if w not in WH and w not in PREPOSITIONS and w not in ("exactly", "so", "then")]
    return bool(words) and not content and any(w in WH for w in words) and len(words) <= 3


def _filled(pieces: list[str]) -> list[str]:
    """Each piece as a question; an elliptical one borrows the first part's clause."""
    out: list[str] = []
    for piece in pieces:
        piece = piece.strip(" ,;").rstrip("?").strip()
        if not piece:
            continue
        if out and _elliptical(piece):
            piece = _borrow(out[0], piece)
        elif out and len(_words(piece)) < 2:
            out[-1] = f"{out[-1].rstrip('?')} and {piece}?"
            continue
        out.append(_capitalised(piece.rstrip("?")) + "?")
    return out


def _borrow(first: str, wh: str) -> str:
    """ "When did the date change?" + "why" -> "Why did the date change?"."""
    words = first.rstrip("?").split()
    k = 0
    while k < len(words) and _low(words[k]) in PREPOSITIONS | {"and", "so", "but"}:
        k += 1
    if k < len(words) and _low(words[k]) in WH:
        k += 1
        # "how many people", "which year": the asked-about noun goes with the old wh-word
        while k < len(words) and _low(words[k]) in ("many", "much", "long", "often", "far", "old", "year", "day"):
            k += 1
    rest = " ".join(words[k:])
    return f"{wh.strip().rstrip('?')} {rest}".strip()


def _capitalised(text: str) -> str:
    text = text.strip()
    return text[:1].upper() + text[1:]


def _low(word: str) -> str:
    return word.lower().strip(",.;:?!\"'")


def _words(text: str) -> list[str]:
    return [w.lower() for w in _WORD.findall(text)]
