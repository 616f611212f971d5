"""Reading a question into one typed record: what is asked, what to do with it, about whom and when.

The reader knows no report: it reads words against the shared vocabulary (qa/vocab). What the
report says about those words is the matcher's business.

>>> r = read("警察抓了多少人？")
>>> r.asked, r.operation, r.actors, r.actions, sorted(r.units)[:2]
('count', 'value', ('公安',), ('抓获',), ['人', '人次'])
>>> read("法院和检察院谁的案子多？").operation, len(read("法院和检察院谁的案子多？").parts)
('compare', 2)
>>> t = read("公安抓获的犯罪嫌疑人是不是超过了500名？").threshold
>>> (t.op, t.value, t.unit)
('>', 500.0, '名')
"""


from __future__ import annotations

from dataclasses import replace
from functools import lru_cache
from typing import Sequence

from qa.asking import bare_years, find_operation, find_threshold, is_base_year, short_years
from qa.followup import figures_of, is_followup, merge, mirror_answer
from qa.lexical import tokenize
from qa.months import month_span
from qa.numbers import find_years
from qa.parts import split_shaped
from qa.reading import DIGITS, Reading, Turn
from qa.slots import (content_nouns, content_terms, counts_of, find_actions, find_actors, find_counted, find_measure,
                      find_places, find_scope, now_offset, numerals_to_digits, relative_year, rewrite_phrases,
                      topic_dropped)
from qa.vocabulary import vocabulary


@lru_cache(maxsize=1024)
def read_one(question: str, text: str | None = None, *, split: bool = True) -> Reading:
    """Read one question on its own (no history). ``text`` is its normalised form. Kept: a chat reads its
    last questions again with every follow-up (a Reading is frozen, so one may serve them all)."""
    phrased = rewrite_phrases(text if text is not None else question)
    text = numerals_to_digits(phrased)
    v = vocabulary()
    tokens = tokenize(text, search=False)
    cues = v.cue_groups(text)
    asked = cues[0] if cues else "text"
    measure, units = find_measure(text, count_nouns=asked not in ("growth", "percent", "ratio", "rank"))
    terms = content_terms(text)
    action_words = topic_dropped(find_actions(tokens), text)
    shape, pieces = split_shaped(text) if split else ("", [text])
    parts = tuple(read_one(p, p, split=False) for p in pieces) if len(pieces) > 1 else ()
    # Several asks are answered one by one: 有几项？…加起来有多少？ sums nothing across the two questions.
    operation = "value" if shape == "asks" else find_operation(text, len(parts))
    threshold = find_threshold(text) if operation == "yesno" else None
    if operation in ("compare", "difference", "sum") and asked in ("name", "text", "list"):
        asked = "count"
    if threshold is not None and threshold.text in v.tables["cues"]["threshold"]["doubling"]:
        asked = "growth"  # 翻了一番吗 asks about a rise
    elif threshold is not None and asked in ("text", "name", "count"):
        asked = {"%": "percent", "位": "rank"}.get(threshold.unit, "money" if threshold.unit.endswith("元") else "count")
    if asked == "growth" and operation == "difference" and not measure:
        # 人数少了多少: a count noun before a difference in words asks how many, not a rate
        counted, counted_units = find_measure(text)
        if counted:
            asked, measure, units = "count", counted, counted_units
    if asked == "count" and units and units <= v.unit_groups["money"]:
        asked = "money"
    if asked == "text" and measure:  # 批捕的人数: a count noun asks for a count
        asked = "count"
    written_years = find_years(text)
    whole = Reading(
        question=question, text=text, asked=asked, cues=cues, operation=operation, threshold=threshold,
        measure=measure, units=units,
        years=tuple(dict.fromkeys([*(y.year for y in written_years if not is_base_year(y, text)), *short_years(text),
                                   *bare_years(text)])),
        base_years=tuple(dict.fromkeys(y.year for y in written_years if is_base_year(y, text))),
        months=month_span(text), actors=find_actors(text), actions=tuple(dict.fromkeys(a for w, a in action_words if any(w in t for t in terms))),
        action_words=tuple(w for w in action_words if any(w[0] in t for t in terms)), terms=terms,
        nouns=content_nouns(text, terms),
        relative_year=relative_year(phrased), now_offset=now_offset(phrased),
        counted=find_counted(text), places=find_places(text),
        numbers=tuple(DIGITS.findall(text)), scope=find_scope(text, [w for w, _ in action_words]),
        average=any(w in text for w in v.tables["cues"]["unstated"]["average"]),
    )
    return replace(whole, parts=_share_context(parts, whole, shape)) if parts else whole


def _share_context(parts: tuple[Reading, ...], whole: Reading, shape: str) -> tuple[Reading, ...]:
    """What one part leaves unsaid comes from the others and from the whole question.

    Every part takes the actor named in another part when it names none. Parts of several asks
    (审结多少件，同比增长多少) share one subject: a later part carries the earlier parts' words and
    action. Parts over joined things (法院和检察院谁多) contrast, so they share nothing else. A part
    whose own question word is vague (哪个, 多少) asks what the whole question asks.
    """
    actors = next((p.actors for p in parts if p.actors), ())
    shared, before = [], []
    # A distributed item that is nothing but a cue (销售额及增速分别为多少: 增速) asks that for itself
    # only; a cue written with a thing (批次与数量较上年的增幅分别为多少) is shared by every item.
    own_cues = {c for p in parts if _cue_only(p) for c in p.cues if c != "count"} if shape == "each" else set()
    for p in parts:
        # A vague part (多少, 哪个) of one ask over joined things asks what the whole asks, unless the
        # whole asks it only because another part says so; each of several asks has its own question
        # word (IP法庭新收案件多少，增长多少: a count, then a rate).
        vague = (p.asked in ("name", "text", "count") and not p.measure and shape != "asks"
                 and whole.asked not in own_cues and not _counts_explicitly(p))
        # …and so does an item that is nothing but a cue (增加值及其增幅各为多少: 增幅 of the 增加值)
        carry = bool(before) and (shape == "asks" or shape == "each" and _cue_only(p))
        # …but an ask that names a thing of its own (立案多少件？罚没款多少？) keeps no action of the others
        acts = carry and not _names_own_thing(p)
        shared.append(replace(
            p, actors=p.actors or actors,
            actions=p.actions or (tuple(a for q in before for a in q.actions) if acts else ()),
            action_words=p.action_words or (tuple(w for q in before for w in q.action_words) if acts else ()),
            inherited=tuple(dict.fromkeys(t for q in before for t in q.terms if t not in p.terms)) if carry else (),
            asked=whole.asked if vague and whole.asked not in ("name", "text") else p.asked,
            cues=tuple(dict.fromkeys((*p.cues, *whole.cues))) if vague else p.cues,
            units=p.units or (whole.units if shape != "asks" else frozenset()), years=p.years or whole.years,
            months=p.months or whole.months,
            now_offset=p.now_offset if p.now_offset is not None else whole.now_offset,
        ))
        before.append(p)
    return tuple(shared)


def _counts_explicitly(part: Reading) -> bool:
    """Whether a part asks for a count in words of its own (窝点数量, 案件总数, 立案数), not just with 多少."""
    v = vocabulary()
    cue_words = (w for w in v.asked_cues["count"] if w not in v.ask_words)
    return part.asked == "count" and (any(map(counts_of, part.terms)) or any(w in part.text for w in cue_words))


def _names_own_thing(part: Reading) -> bool:
    """Whether a part names a thing of its own: a content word that is not itself a cue phrase or a filler
    (罚没款多少 names 罚没款; 同比增长多少 names nothing)."""
    fillers = vocabulary().fillers
    return any(t not in _asked_cue_words() and t not in fillers for t in part.terms)


@lru_cache(maxsize=1)
def _asked_cue_words() -> frozenset[str]:
    """Every cue phrase of the asked table (what a question asks for), as one set."""
    return frozenset(w for ws in vocabulary().asked_cues.values() for w in ws)


def _cue_only(part: Reading) -> bool:
    """Whether every content word of a part is a cue word (增速, 同比增幅) other than a count's."""
    v = vocabulary()
    cue_words = [w for name, ws in v.asked_cues.items() if name != "count" for w in ws]
    return bool(part.terms) and all(any(c in t for c in cue_words) or t in v.fillers for t in part.terms)

def read(question: str, history: Sequence[Turn] = (), *, text: str | None = None,
         normalise=lambda s: s) -> Reading:
    """Read a question in the light of the chat history (the last few user turns, folded in order)."""
    reading = read_one(question, text)
    users = [normalise(t.content) for t in history if t.role == "user" and t.content.strip()][-3:]
    if not users or not is_followup(reading.text, reading):
        return reading
    previous = read_one(users[0])
    for earlier in users[1:]:
        turn = read_one(earlier)
        previous = merge(turn, previous) if is_followup(turn.text, turn) else turn
    answer = next((t.content for t in reversed(history) if t.role == "assistant"), "")
    merged = replace(merge(reading, previous), focus=figures_of(answer))
    return mirror_answer(merged)
