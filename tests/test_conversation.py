"""Follow-ups: references are resolved from the previous turn, independent questions are left alone."""

from __future__ import annotations

import re
from dataclasses import dataclass

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from assistant.answering.evidence import asks_for_type
from assistant.answering.prompts import NOT_FOUND
from assistant.errors import LLMError
from assistant.followups.conversation import Message, needs_context, resolve, standalone, standalone_query
from assistant.followups.phrases import CLOSED

TROOPS = ("How many US troops are in Iraq?", "About 2,500 US troops are in Iraq [1].")
FAYYAD = (
    "Who is the head of the Hashed al-Shaabi alliance?",
    "Falih al-Fayyad heads the Hashed al-Shaabi alliance [1].",
)
MICROSOFT = ("Who founded Microsoft?", "Microsoft was founded by Bill Gates and Paul Allen in 1975 [1].")
AIRBUS = ("Who is the CEO of Airbus?", "Guillaume Faury is the chief executive of Airbus [2].")
LYON = ("What is the population of Lyon?", "Lyon has about 520,000 inhabitants [1].")
WATER = ("What is the boiling point of water?", "Water boils at 100 degrees Celsius at sea level [1].")
PHOTOSYNTHESIS = ("How does photosynthesis work?", "Plants turn light, water and carbon dioxide into sugar [1].")
WORLD_CUP = ("Who won the 2018 World Cup?", "France won the 2018 World Cup, beating Croatia 4-2 [1].")
EMAIL = ("Who sent the budget e-mail on Monday?", "Dana Whitfield sent the budget e-mail on Monday at 9:40 [1].")
TAXI = ("Can I expense a taxi to the airport?", "Yes, taxis to the airport are reimbursed with a receipt [1].")
REVENUE = ("What was Apple's revenue in 2022?", "Apple's revenue was $394 billion in fiscal 2022 [1].")
ABSTAINED = NOT_FOUND + "\nThe closest passages found:\n- Tech history (tech.txt): Paul Allen met Bill Gates at school…"


def turn(question: str, answer: str) -> list[Message]:
    return [{"role": "user", "content": question}, {"role": "assistant", "content": answer}]


@dataclass(frozen=True)
class Case:
    """A two-turn conversation and what the follow-up's query must be (exactly, or by its words)."""

    previous: tuple[str, str]
    follow_up: str
    query: str | None = None  # None: the follow-up itself, unchanged
    contains: tuple[str, ...] = ()
    lacks: tuple[str, ...] = ()  # whole words, case-insensitive


# Independent questions name their own subject: left alone whatever came before, even when short.
INDEPENDENT = [
    pytest.param(TROOPS, "Who leads the SDF?", id="short-acronym-after-how-many"),
    pytest.param(TROOPS, "What is Kataib Hezbollah?", id="short-name"),
    pytest.param(REVENUE, "When did the war start?", id="short-noun-phrase"),
    pytest.param(PHOTOSYNTHESIS, "Who wrote Hamlet?", id="short-literature"),
    pytest.param(AIRBUS, "What is inflation?", id="short-economics"),
    pytest.param(TAXI, "Where is Nairobi?", id="short-city"),
    pytest.param(LYON, "How does Bitcoin work?", id="short-technology"),
    pytest.param(WORLD_CUP, "Is coffee healthy?", id="short-yes-no"),
    pytest.param(EMAIL, "Define photosynthesis", id="short-command"),
    pytest.param(WATER, "What does NATO do?", id="short-organisation"),
    pytest.param(TROOPS, "Is it safe to travel to Lisbon?", id="it-that-stands-for-nothing"),
    pytest.param(WATER, "Are there vegan restaurants in Lisbon?", id="there-is-not-a-place"),
    pytest.param(MICROSOFT, "Does Apple pay its staff well?", id="its-own-name"),
    pytest.param(TAXI, "How long does it take to renew a passport?", id="how-long-does-it-take-to"),
    pytest.param(WORLD_CUP, "Who won the league this year?", id="this-year"),
]

FOLLOW_UPS = [
    # Pronouns: a who-question's answer names the person; otherwise the previous question's subject.
    pytest.param(Case(FAYYAD, "What did he demand?", "What did Falih al-Fayyad demand?"), id="he-answer-person"),
    pytest.param(Case(MICROSOFT, "Where did he study?", "Where did Bill Gates study?"), id="he-first-founder"),
    pytest.param(Case(MICROSOFT, "When did they meet?", "When did Bill Gates and Paul Allen meet?"), id="they-listed"),
    pytest.param(Case(MICROSOFT, "When was it founded?", "When was Microsoft founded?"), id="it-question-subject"),
    pytest.param(Case(AIRBUS, "When did his term start?", "When did Guillaume Faury's term start?"), id="his"),
    pytest.param(
        Case(EMAIL, "Did she attach the spreadsheet?", "Did Dana Whitfield attach the spreadsheet?"), id="she-email"
    ),
    pytest.param(
        Case(
            ("What is CRISPR?", "CRISPR is a gene-editing method developed by Jennifer Doudna [1]."),
            "Who invented it?",
            "Who invented CRISPR?",
        ),
        id="it-what-is-ignores-answer-names",
    ),
    pytest.param(Case(LYON, "What is its largest employer?", "What is Lyon's largest employer?"), id="its-city"),
    pytest.param(
        Case(
            (
                "Which US senators visited Turkiye in late January?",
                "Democratic Senators Jeanne Shaheen and Chris Murphy met President Erdogan [1]. "
                "President Joe Biden welcomed the vote [2].",
            ),
            "Who did they meet there?",
            contains=("Senators",),
            lacks=("Biden", "they"),
        ),
        id="they-plural-subject-not-a-name-in-the-answer",
    ),
    pytest.param(
        Case(
            ("Which city hosted the 2012 Olympics?", "London hosted the 2012 Summer Olympics [1]."),
            "How many people live there?",
            "How many people live in London?",
        ),
        id="there-which-city-answer",
    ),
    pytest.param(
        Case(
            ("Where is Tesla's headquarters?", "Tesla's headquarters is in Austin, Texas [1]."),
            "How many people work there?",
            "How many people work in Austin?",
        ),
        id="there-where-answer",
    ),
    pytest.param(Case(TROOPS, "Why are they there?", "Why are US troops in Iraq?"), id="they-and-there"),
    pytest.param(Case(WORLD_CUP, "Who was their coach?", "Who was France's coach?"), id="their-team"),
    pytest.param(
        Case(WATER, "Why is it so high?", "Why is the boiling point of water so high?", lacks=("Celsius",)),
        id="it-noun-phrase",
    ),
    pytest.param(
        Case(("When was the Eiffel Tower built?", "It was completed in 1889 [1]."), "How tall is it?"),
        id="it-landmark",
    ),
    pytest.param(
        Case(
            ("What did Angela Merkel say about migration?", "She said that Germany could manage [1]."),
            "When did she leave office?",
            "When did Angela Merkel leave office?",
        ),
        id="she-question-subject",
    ),
    # After an abstention the answer lends no names: the question's own description stands in.
    pytest.param(
        Case(
            (FAYYAD[0], NOT_FOUND),
            "What did he demand?",
            "What did the head of the Hashed al-Shaabi alliance demand?",
        ),
        id="he-after-abstention",
    ),
    pytest.param(
        Case((MICROSOFT[0], ABSTAINED), "Where did he study?", contains=("Microsoft",), lacks=("he", "Gates", "Allen")),
        id="he-after-abstention-with-closest-passages",
    ),
    # Ellipsis: the previous question with the part that changed.
    pytest.param(Case(TROOPS, "And in Syria?", "How many US troops are in Syria?"), id="and-in-place"),
    pytest.param(
        Case(
            ("What is the capital of Germany?", "Berlin is the capital of Germany [1]."),
            "What about France?",
            "What is the capital of France?",
        ),
        id="what-about-country",
    ),
    pytest.param(
        Case(
            ("How many people work for Shell in the Netherlands?", "About 10,000 people [1]."),
            "and the UK?",
            "How many people work for Shell in the UK?",
        ),
        id="and-the-uk",
    ),
    pytest.param(
        Case(
            ("What was Apple's revenue in 2019?", "It was $260 billion [1]."),
            "how about in 2020?",
            "What was Apple's revenue in 2020?",
        ),
        id="how-about-year",
    ),
    pytest.param(Case(REVENUE, "And 2023?", "What was Apple's revenue in 2023?"), id="and-bare-year"),
    pytest.param(Case(TROOPS, "how about in 2020?", "How many US troops are in Iraq in 2020?"), id="year-added"),
    pytest.param(Case(WATER, "What about ethanol?", "What is the boiling point of ethanol?"), id="what-about-liquid"),
    pytest.param(Case(PHOTOSYNTHESIS, "What about respiration?", "How does respiration work?"), id="swap-subject"),
    pytest.param(Case(AIRBUS, "And Boeing?", "Who is the CEO of Boeing?"), id="and-company"),
    pytest.param(
        Case(
            ("How many US troops are deployed in Iraq?", "About 2,500 [1]."),
            "And how many in Syria?",
            "How many US troops are deployed in Syria?",
        ),
        id="and-how-many-in-place",
    ),
    pytest.param(Case(TAXI, "What about trains?", "Can I expense trains to the airport?"), id="office-policy"),
    # No subject of its own: asked about the previous question's.
    pytest.param(
        Case(("When did the war start?", "The war started in 2011 [1]."), "Why?", "Why did the war start?"),
        id="why",
    ),
    pytest.param(Case(PHOTOSYNTHESIS, "Tell me more", "Tell me more about photosynthesis"), id="tell-me-more"),
]


@pytest.mark.parametrize(("previous", "question"), INDEPENDENT)
def test_an_independent_question_is_searched_as_asked(previous: tuple[str, str], question: str) -> None:
    resolution = resolve(question, turn(*previous))
    assert resolution.query == question and resolution.kind == "independent" and not resolution.resolved
    assert not needs_context(question)


@pytest.mark.parametrize("case", FOLLOW_UPS)
def test_a_follow_up_is_resolved_from_the_previous_turn(case: Case) -> None:
    previous, answer = case.previous
    resolution = resolve(case.follow_up, turn(previous, answer))
    assert resolution.resolved and resolution.question == case.follow_up, resolution
    assert needs_context(case.follow_up)
    if case.query is not None:
        assert resolution.query == case.query, resolution.how
    assert all(word in resolution.query for word in case.contains), resolution
    assert not any(re.search(rf"\b{re.escape(word)}\b", resolution.query, re.I) for word in case.lacks), resolution
    assert resolution.query != f"{previous} {case.follow_up}", "never glued"


def test_at_least_eight_short_independent_questions_and_twenty_follow_ups_are_covered() -> None:
    short = [p for p in INDEPENDENT if len(p.values[1].split()) <= 5]
    assert len(short) >= 8 and len(INDEPENDENT) + len(FOLLOW_UPS) >= 20


def test_the_issue_the_how_many_type_does_not_carry_over_to_an_independent_question() -> None:
    resolution = resolve("Who leads the SDF?", turn(*TROOPS))
    assert resolution.query == "Who leads the SDF?"
    assert not asks_for_type(resolution.typed_question), "a who-question does not demand a number"


def test_an_ellipsis_keeps_the_previous_questions_answer_type() -> None:
    resolution = resolve("And in Syria?", turn(*TROOPS))
    assert resolution.kind == "ellipsis" and resolution.typed_question == resolution.query
    assert asks_for_type(resolution.typed_question)
    assert resolution.how == "ellipsis: 'in Iraq' -> 'in Syria'"


def test_how_names_what_was_replaced() -> None:
    resolution = resolve("What did he demand?", turn(*FAYYAD))
    assert resolution.kind == "pronoun" and resolution.how == "'he' -> 'Falih al-Fayyad'"
    assert resolution.to_dict() == {
        "query": "What did Falih al-Fayyad demand?",
        "question": "What did he demand?",
        "kind": "pronoun",
        "how": "'he' -> 'Falih al-Fayyad'",
    }


def test_a_follow_up_to_a_follow_up_is_resolved_through_the_chain() -> None:
    history = [
        *turn("Who leads the SDF?", "The SDF is led by Mazloum Abdi [1]."),
        *turn("Where was he born?", "He was born in Kobani [2]."),
    ]
    assert resolve("When did he join the SDF?", history).query == "When did Mazloum Abdi join the SDF?"
    assert resolve("What is the population there?", history).query == "What is the population in Kobani?"


AUSTRALIA = ("What is the capital of Australia?", ABSTAINED)


@pytest.mark.parametrize(
    "question",
    [
        "How many US troops are in Syria, and why did Nuland say withdrawing them was not an option?",
        "How many fighters escaped, and where did they go?",
        "Why were the talks delayed and who delayed them?",
    ],
)
def test_they_and_them_after_a_plural_of_the_questions_own_earlier_clause_mean_it(question: str) -> None:
    resolution = resolve(question, turn(*AUSTRALIA))
    assert resolution.query == question and resolution.kind == "independent", resolution


def test_they_in_the_same_clause_as_the_plural_still_refers_back() -> None:
    assert resolve("How many troops did they send?", turn(*WORLD_CUP)).query == "How many troops did France send?"


HOUTHI = ("What did the Houthi rebels attack?", "The Houthi rebels attacked tankers in the Red Sea [1].")


@pytest.mark.parametrize(
    ("question", "searched"),
    [
        ("How many tankers were hit, and what did they demand?", "what did the Houthi demand?"),
        ("How many missiles were intercepted, and why did they fire them?", "why did the Houthi fire them?"),
    ],
)
def test_they_after_a_passive_clause_still_refers_back_and_them_means_what_was_acted_on(
    question: str, searched: str
) -> None:
    assert resolve(question, turn(*HOUTHI)).query.endswith(searched)


def test_a_pronoun_with_nothing_to_refer_to_is_left_as_it_is() -> None:
    resolution = resolve("Where was she born?", turn(*TROOPS))
    assert resolution.kind == "unresolved" and resolution.query == "Where was she born?"
    assert needs_context("Where was she born?")


@pytest.mark.parametrize(
    "history",
    [
        pytest.param(None, id="none"),
        pytest.param([], id="empty"),
        pytest.param([{"role": "assistant", "content": "Hello! Ask me about your documents."}], id="no-user-turn"),
        pytest.param([{"role": "user", "content": "   "}], id="blank-user-turn"),
    ],
)
def test_without_a_previous_question_the_question_is_unchanged(history: list[Message] | None) -> None:
    resolution = resolve("What did he demand?", history)
    assert resolution.query == "What did he demand?" and resolution.kind == "no history"
    assert standalone_query("What did he demand?", history) == "What did he demand?"


# -- standalone_query and the LLM rewriter ---------------------------------------------------------
class FakeRewriter:
    """Replies from a queue (an exception is raised), and a log of what it was asked."""

    def __init__(self, *replies: str | Exception) -> None:
        self.replies = list(replies)
        self.calls: list[tuple[str, str]] = []

    def __call__(self, history: str, question: str) -> str:
        self.calls.append((history, question))
        reply = self.replies.pop(0)
        if isinstance(reply, Exception):
            raise reply
        return reply


def test_the_llm_rewrite_is_used_for_a_follow_up() -> None:
    rewriter = FakeRewriter('"What did Falih al-Fayyad demand from the coalition?"')
    resolution = standalone("What did he demand?", turn(*FAYYAD), rewriter)
    assert resolution.query == "What did Falih al-Fayyad demand from the coalition?"
    assert resolution.question == "What did he demand?" and resolution.resolved
    assert resolution.how.startswith("LLM rewrite") and resolution.kind == "pronoun"
    history, question = rewriter.calls[0]
    assert question == "What did he demand?" and "Falih al-Fayyad" in history


def test_the_llm_is_not_asked_about_an_independent_question() -> None:
    rewriter = FakeRewriter()
    assert standalone_query("Who leads the SDF?", turn(*TROOPS), rewriter) == "Who leads the SDF?"
    assert standalone_query("What did he demand?", [], rewriter) == "What did he demand?"
    assert rewriter.calls == []


@pytest.mark.parametrize(
    "reply",
    [
        pytest.param(LLMError("the LLM server did not answer in time"), id="fails"),
        pytest.param("", id="empty"),
        pytest.param(NOT_FOUND, id="refuses"),
        pytest.param("Falih " * 400, id="runaway"),
    ],
)
def test_a_failed_or_junk_rewrite_falls_back_to_the_resolver_not_to_gluing(reply: str | Exception) -> None:
    query = standalone_query("What did he demand?", turn(*FAYYAD), FakeRewriter(reply))
    assert query == "What did Falih al-Fayyad demand?"


def test_without_an_llm_the_query_is_the_resolvers() -> None:
    assert standalone_query("And in Syria?", turn(*TROOPS)) == "How many US troops are in Syria?"


# -- properties ------------------------------------------------------------------------------------
WORDS = (
    "what who where when why how is are did does the a of in it he she they there his their this that and "
    "about more Syria Apple Lyon CEO revenue troops e-mail budget 2020 Paris water NATO tell me else"
).split()
phrases = st.lists(st.sampled_from(WORDS), min_size=1, max_size=9).map(" ".join)
texts = st.one_of(phrases, phrases.map(lambda p: p[:1].upper() + p[1:] + "?"), st.text(min_size=1, max_size=60))
roles = st.sampled_from(["user", "assistant"])
messages = st.builds(lambda role, content: {"role": role, "content": content}, roles, texts)
histories = st.lists(messages, max_size=6)
names = st.from_regex(r"[A-Z][a-z]{2,8}( [A-Z][a-z]{2,8})?", fullmatch=True).filter(
    lambda name: not any(word.lower() in CLOSED for word in name.split())
)
own_subject_templates = st.sampled_from(
    ["Who leads {}?", "What is {}?", "Where is {}?", "When was {} founded?", "How big is {}?", "Who owns {}?"]
)


@settings(max_examples=300, deadline=None)
@given(texts.filter(str.strip), histories)
def test_the_query_is_never_empty_and_the_question_is_kept(question: str, history: list[Message]) -> None:
    resolution = resolve(question, history)
    assert resolution.query.strip() and resolution.question == question
    assert resolution == resolve(question, history), "deterministic"
    if resolution.kind in ("no history", "independent", "unresolved"):
        assert resolution.query == question and not resolution.resolved


@settings(max_examples=100, deadline=None)
@given(texts.filter(str.strip))
def test_without_history_the_question_is_returned_unchanged(question: str) -> None:
    assert resolve(question, []).query == question


@settings(max_examples=200, deadline=None)
@given(own_subject_templates, names, histories)
def test_a_question_naming_its_subject_is_searched_as_asked(template: str, name: str, history: list[Message]) -> None:
    question = template.format(name)
    resolution = resolve(question, history)
    assert resolution.query == question and not resolution.resolved
    assert not needs_context(question)
