"""Build the compound question sets from the outside set: two answerable questions joined as "X, and Y?".

Usage: .venv/bin/python -m bench.compound_set [--per-split 80] [--two-articles 0.25]

From each side of the trust split (bench.calibrate.split: articles sorted by name, alternately
'fit' and 'report'), answerable questions are paired at random (seed 17): most pairs from one
article, a share from two articles of the same side. The key facts are both questions' facts, in
order (fact i belongs to part i), the gold sources both questions' sources. Nothing is filtered
on how the questions are worded: the splitter has to cope with what people type.

Writes data/questions/compound-fit.jsonl and data/questions/compound-report.jsonl (the SQuAD 2.0
text is CC BY-SA 4.0, Disfl-QA's rewrites CC BY 4.0: see the dataset's README).
"""

from __future__ import annotations

import argparse
import json
import random
import re
from collections import defaultdict

from assistant.evaluation.questions import Question, load_questions
from bench.calibrate import DATASET, ROOT, article, split

SEED = 17
OUT = ROOT / "data" / "questions"
# The second question's first word is lower-cased only when it is an ordinary word.
_ORDINARY = re.compile(
    r"^(what|who|whom|whose|which|when|where|why|how|in|on|at|by|for|from|to|of|during|after|before|"
    r"the|a|an|is|are|was|were|did|does|do|can|could|along|according|besides|since|under|if|as|other|some)\b",
    re.I,
)


def join(first: Question, second: Question, n: int, side: str) -> dict[str, object]:
    """One compound question in the evaluation format."""
    left = first.question.rstrip().rstrip("?").rstrip()
    right = second.question.strip()
    if _ORDINARY.match(right):
        right = right[:1].lower() + right[1:]
    right = right if right.endswith("?") else right.rstrip(".") + "?"
    articles = sorted({article(first), article(second)})
    return {
        "id": f"compound-{side}-{n:03d}",
        "question": f"{left}, and {right}",
        "reference_answer": f"{first.reference_answer} | {second.reference_answer}",
        "key_facts": [list(f) for f in (*first.key_facts, *second.key_facts)],
        "gold_sources": sorted({*first.gold_sources, *second.gold_sources}),
        "answerable": True,
        "tags": [
            "compound",
            "parts:2",
            "articles:1" if len(articles) == 1 else "articles:2",
            *(f"article:{a.removesuffix('.txt')}" for a in articles),
            f"part-ids:{first.id},{second.id}",
        ],
    }


def pairs(
    questions: list[Question], count: int, two_articles: float, rng: random.Random
) -> list[tuple[Question, Question]]:
    """`count` pairs of distinct questions (each used once): one article, or two for `two_articles` of them."""
    by_article: dict[str, list[Question]] = defaultdict(list)
    for q in questions:
        if q.answerable and len(q.key_facts) == 1:
            by_article[article(q)].append(q)
    for group in by_article.values():
        rng.shuffle(group)
    names = sorted(by_article)
    out: list[tuple[Question, Question]] = []
    while len(out) < count:
        cross = rng.random() < two_articles
        a, b = rng.sample(names, 2) if cross else [rng.choice(names)] * 2
        if len(by_article[a]) < 1 or len(by_article[b]) < (2 if a == b else 1):
            names = [n for n in names if len(by_article[n]) >= 2] or names
            if all(len(by_article[n]) < 2 for n in names):
                break
            continue
        out.append((by_article[a].pop(), by_article[b].pop()))
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--per-split", type=int, default=80)
    parser.add_argument("--two-articles", type=float, default=0.25, help="share of pairs from two articles")
    args = parser.parse_args()
    questions = load_questions(DATASET / "questions.jsonl")
    rng = random.Random(SEED)
    for side, part in split(questions).items():
        rows = [join(a, b, n, side) for n, (a, b) in enumerate(pairs(part, args.per_split, args.two_articles, rng), 1)]
        path = OUT / f"compound-{side}.jsonl"
        path.write_text("".join(json.dumps(row, ensure_ascii=False) + "\n" for row in rows), encoding="utf-8")
        crossed = sum("articles:2" in row["tags"] for row in rows)  # type: ignore[operator]
        print(f"{path.relative_to(ROOT)}: {len(rows)} questions ({crossed} over two articles)")


if __name__ == "__main__":
    main()
