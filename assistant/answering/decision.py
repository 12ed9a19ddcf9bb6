"""Answer or abstain: one calibrated probability from signals the pipeline already computes.

    query, passages, evidence, BM25 statistics -> Signals -> Calibration (logistic model)
    -> P(the documents answer the question) -> abstain below the calibration's threshold

One cross-encoder threshold cannot tell "on topic" from "answers the question": an
adversarial unanswerable question ("When did the French, not the Normans, ...") finds
on-topic sentences that score well. What gives it away is combined here: how strongly the best
sentence answers, whether it holds the kind of answer asked for, and how much of the
question's rare vocabulary the sentence, its passage and the top passages contain at all.

The shipped calibration (`calibration.json` beside this module) is fitted by
`bench/calibrate.py` on the fitting half of an outside question set (docs/choices.md says
which); `assistant calibrate QUESTIONS.jsonl` fits one on a user's own questions and keeps it
with the index, where it takes precedence.
"""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from dataclasses import asdict, dataclass, fields
from pathlib import Path
from typing import Any, Protocol

from assistant.answering.evidence import HARD_KINDS, asked_kinds, holds_kind
from assistant.types import Evidence, Passage
from index.errors import ConfigError
from index.files import write_atomically

SHIPPED = Path(__file__).with_name("calibration.json")
SHIPPED_JUDGED = Path(__file__).with_name("calibration-judge.json")  # for ASSISTANT_JUDGE=local
JUDGED = ("judge",)  # signals only a judge computes (Signals.judge)
CALIBRATION_VERSION = 1
NO_SCORE = -12.0  # a cross-encoder logit below any real one (they run about -11..11)
TOP_PASSAGES = 5  # the passages evidence is drawn from (evidence.PASSAGES_FOR_EVIDENCE)


class TermStats(Protocol):
    """What the decision needs of the lexical index (index.lexical.LexicalIndex)."""

    def terms(self, text: str) -> list[str]: ...

    def idf(self, stem: str) -> float: ...


@dataclass(frozen=True)
class Signals:
    """Everything the decision looks at, each a plain number (see `signals` for their meaning)."""

    best: float  # best evidence logit
    best_typed: float  # best logit among sentences holding the asked-for number or date
    margin: float  # best minus second best logit
    cover_sentence: float  # idf-weighted share of the question's terms in the best sentence (+ title)
    cover_passage: float  # ... in the best sentence's passage (+ title)
    cover_top: float  # ... anywhere in the top passages
    missing_idf: float  # the rarest question term found in none of the top passages (0: none missing)
    asks_hard: float  # 1 when a number or a date is asked for
    asks_soft: float  # 1 when a person or a place is asked for
    soft_fit: float  # 1 when the best sentence holds a name the question does not (person/place asked)
    dense_top: float  # cosine similarity of the best passage to the question
    agree: float  # 1 when the best passage was found by both dense and BM25 search
    judge: float = 0.0  # the local LLM's log-odds that the best evidence answers (judge.py; 0: no judge ran)

    @classmethod
    def names(cls) -> tuple[str, ...]:
        return tuple(f.name for f in fields(cls))

    @classmethod
    def cheap(cls) -> tuple[str, ...]:
        """The signals computed for every question: all but the opt-in judge's."""
        return tuple(n for n in cls.names() if n not in JUDGED)

    def values(self) -> tuple[float, ...]:
        return tuple(float(getattr(self, name)) for name in self.names())

    def to_dict(self) -> dict[str, float]:
        return {k: round(v, 4) for k, v in asdict(self).items()}


# The form of a question, not its content: left out of the coverage signals. "how" and "many" are
# rare in most documents (a high idf) but no passage is expected to contain them; nor the
# self-corrections of spoken questions ("no sorry", "or rather", "I mean").
QUESTION_FORM = (
    "how many much what which who whom whose when where why whether does did do is are was were "
    "no sorry rather mean um uh er actually wait"
)


def _question_terms(query: str, stats: TermStats) -> dict[str, float]:
    form = set(stats.terms(QUESTION_FORM))
    return {t: stats.idf(t) for t in stats.terms(query) if t not in form}


def _coverage(weights: dict[str, float], text_terms: set[str]) -> float:
    total = sum(weights.values())
    return sum(w for t, w in weights.items() if t in text_terms) / total if total else 0.0


def signals(
    query: str,
    passages: Sequence[Passage],
    evidence: Sequence[Evidence],
    stats: TermStats,
    *,
    asked: str | None = None,
) -> Signals:
    """The signals for answering `query` from this retrieval and evidence; the kind of answer
    asked for is read from `asked` when given (a follow-up's own words), else from `query`."""
    asked = asked or query
    scores = sorted((e.score for e in evidence), reverse=True)
    kinds = asked_kinds(asked)
    hard = [k for k in kinds if k in HARD_KINDS]
    typed = [e.score for e in evidence if all(holds_kind(k, e.sentence) for k in hard)]
    weights = _question_terms(query, stats)
    best = max(evidence, key=lambda e: e.score, default=None)
    top = passages[:TOP_PASSAGES]
    top_terms = {t for p in top for t in stats.terms(f"{p.title}\n{p.text}")}
    missing = [w for t, w in weights.items() if t not in top_terms]
    soft = [k for k in kinds if k not in HARD_KINDS]
    lead = best.passage if best is not None else (top[0] if top else None)
    return Signals(
        best=scores[0] if scores else NO_SCORE,
        best_typed=max(typed, default=NO_SCORE),
        margin=scores[0] - scores[1] if len(scores) > 1 else 0.0,
        cover_sentence=_coverage(weights, set(stats.terms(f"{best.passage.title}\n{best.context}"))) if best else 0.0,
        cover_passage=_coverage(weights, set(stats.terms(f"{lead.title}\n{lead.text}"))) if lead else 0.0,
        cover_top=_coverage(weights, top_terms),
        missing_idf=max(missing, default=0.0),
        asks_hard=float(bool(hard)),
        asks_soft=float(bool(soft)),
        soft_fit=float(bool(soft and best and any(holds_kind(k, best.sentence, asked) for k in soft))),
        dense_top=float(lead.dense) if lead is not None and lead.dense is not None else 0.0,
        agree=float(lead is not None and lead.dense is not None and lead.lexical is not None),
    )


@dataclass(frozen=True)
class Calibration:
    """A logistic model over standardised signals, and the probability below which to abstain."""

    features: tuple[str, ...]
    weights: tuple[float, ...]
    bias: float
    means: tuple[float, ...]
    scales: tuple[float, ...]
    threshold: float
    source: str  # where it was fitted: question set, split, date

    @classmethod
    def cutoff(cls, feature: str, value: float, source: str = "") -> Calibration:
        """A plain threshold on one signal: answer when it is at least `value` (tests with fake
        scorers on their own scale; the behaviour before calibration was "best_typed" >= 2.0)."""
        return cls((feature,), (50.0,), 0.0, (value - 1e-6,), (1.0,), 0.5, source or f"{feature} >= {value:g}")

    @property
    def needs_judge(self) -> bool:
        """It weighs a signal only a judge computes (ASSISTANT_JUDGE)."""
        return any(f in JUDGED for f in self.features)

    def probability(self, s: Signals) -> float:
        values = dict(zip(Signals.names(), s.values(), strict=True))
        z = self.bias + sum(
            w * (values[f] - m) / sc
            for f, w, m, sc in zip(self.features, self.weights, self.means, self.scales, strict=True)
        )
        return 1.0 / (1.0 + math.exp(-max(-40.0, min(40.0, z))))

    def contributions(self, s: Signals) -> dict[str, float]:
        """Each signal's push on the log-odds (positive: towards answering), for explanations."""
        values = dict(zip(Signals.names(), s.values(), strict=True))
        return {
            f: round(w * (values[f] - m) / sc, 3)
            for f, w, m, sc in zip(self.features, self.weights, self.means, self.scales, strict=True)
        }

    def to_dict(self) -> dict[str, Any]:
        return {"version": CALIBRATION_VERSION, **asdict(self)}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Calibration:
        if data.get("version") != CALIBRATION_VERSION:
            raise ConfigError(f"calibration version {data.get('version')!r} is not {CALIBRATION_VERSION}; refit it")
        unknown = set(data["features"]) - set(Signals.names())
        if unknown:
            raise ConfigError(
                f"the calibration uses signals this version does not compute: {sorted(unknown)}; refit it"
            )
        return cls(
            features=tuple(data["features"]),
            weights=tuple(float(w) for w in data["weights"]),
            bias=float(data["bias"]),
            means=tuple(float(m) for m in data["means"]),
            scales=tuple(float(s) for s in data["scales"]),
            threshold=float(data["threshold"]),
            source=str(data.get("source", "")),
        )

    @classmethod
    def load(cls, path: Path) -> Calibration:
        """Read a calibration file; ConfigError saying how to fix it when it is unreadable."""
        try:
            return cls.from_dict(json.loads(path.read_text(encoding="utf-8")))
        except (OSError, ValueError, KeyError, TypeError) as exc:
            raise ConfigError(f"cannot read the calibration {path}: {exc}; run `assistant calibrate` again") from exc

    def save(self, path: Path) -> None:
        write_atomically(path, json.dumps(self.to_dict(), indent=1))


@dataclass(frozen=True)
class Decision:
    """Whether to answer, how sure, and why."""

    probability: float  # that the documents answer the question
    threshold: float
    signals: Signals
    contributions: dict[str, float]
    calibration: str  # its source

    @property
    def abstain(self) -> bool:
        return self.probability < self.threshold

    def to_dict(self) -> dict[str, Any]:
        return {
            "probability": round(self.probability, 4),
            "threshold": round(self.threshold, 4),
            "abstain": self.abstain,
            "signals": self.signals.to_dict(),
            "contributions": self.contributions,
            "calibration": self.calibration,
        }


def decide(s: Signals, calibration: Calibration) -> Decision:
    return Decision(
        calibration.probability(s), calibration.threshold, s, calibration.contributions(s), calibration.source
    )


def user_calibration_path(home: Path, collection: str, *, judged: bool = False) -> Path:
    """Where `assistant calibrate` keeps a calibration fitted for one collection (with the judge:
    another file, so that turning the judge on or off never mixes the two)."""
    return (home / "judged" if judged else home) / f"calibration-{collection}.json"


def load_calibration(home: Path, collection: str, *, judged: bool = False) -> Calibration:
    """The collection's own calibration when `assistant calibrate` made one, else the shipped
    one; with `judged` (ASSISTANT_JUDGE on) those fitted with the judge's signal."""
    own = user_calibration_path(home, collection, judged=judged)
    return Calibration.load(own if own.is_file() else SHIPPED_JUDGED if judged else SHIPPED)
