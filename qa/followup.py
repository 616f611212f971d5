"""Follow-ups: whether a turn leans on the one before, and folding it into the previous reading — what it
states overrides the previous turn, what it omits is taken from it.

>>> from qa.reader import read_one
>>> r = merge(read_one("那金额呢？"), read_one("公安破获多少起案件？"))
>>> r.asked, r.actors, r.followup
('money', ('公安',), True)
"""

from __future__ import annotations

import re
from dataclasses import replace

from qa.reading import Reading
from qa.slots import names_thing
from qa.vocabulary import vocabulary


def is_followup(text: str, reading: "Reading") -> bool:
    """A turn that leans on the one before: opens with 那/还有…, ends with 呢, or names no thing."""
    v = vocabulary()
    stripped = re.sub(r"[？?！!。，,\s]", "", text)
    followup = v.tables["cues"]["followup"]
    if stripped.startswith(tuple(followup["openers"])) or stripped.endswith(tuple(followup["closers"])):
        return True
    if reading.operation in ("sum", "difference", "compare") and len(reading.parts) < 2:
        return True  # 跟评审专家库加起来多少人: one thing to add to what was answered before
    return len(stripped) <= 8 or not names_thing(text)


def merge(new: Reading, previous: Reading) -> Reading:
    """A follow-up: what it states overrides the previous turn; what it omits is taken from it."""
    v = vocabulary()
    stated_kind = new.asked not in ("count", "text") or bool(new.measure) or bool(new.counted)
    dropped = set()
    if new.actors:  # 海关呢？: the previous actor goes, and the actions it did go with it
        dropped |= {a.lower() for name in previous.actors for a in v.actors[name]}
        dropped |= {w for w, _ in previous.action_words}
    if new.actions:
        dropped |= {w for name in previous.actions for w in v.actions[name]}
    if new.years:
        dropped |= {str(y) for y in previous.years}
    inherited = tuple(t for t in previous.all_terms if t not in new.terms and t not in dropped
                      and not any(t in d or d in t for d in dropped if len(d) > 1))
    parts = new.parts
    if not parts and previous.parts and not stated_kind:
        parts = tuple(merge(replace(new, parts=()), p) for p in previous.parts)
    elif parts:  # 具体是多少件，比上年多了多少？ after 每万人发明专利拥有量排第几: each part takes the topic
        parts = tuple(merge(replace(p, followup=False), replace(previous, parts=())) for p in parts)
    return replace(
        new,
        asked=new.asked if stated_kind else previous.asked,
        cues=new.cues if stated_kind else tuple(dict.fromkeys((*new.cues, *previous.cues))),
        measure=new.measure or (previous.measure if not stated_kind else ""),
        units=new.units or (previous.units if not stated_kind else frozenset()),
        years=new.years or (() if new.now_offset is not None else previous.years),
        now_offset=new.now_offset if new.now_offset is not None else previous.now_offset,
        base_years=new.base_years or previous.base_years,
        months=new.months or previous.months,
        actors=new.actors or previous.actors,
        # An action belongs to its actor and thing: 海关呢？ or 罚没款呢？ after 公安侦破… is not about 侦破.
        actions=new.actions or (() if new.actors or new.terms else previous.actions),
        action_words=new.action_words or (() if new.actors or new.terms else previous.action_words),
        inherited=inherited, counted=new.counted or previous.counted,
        places=new.places or previous.places, scope=new.scope or previous.scope,
        average=new.average or previous.average, relative_year=new.relative_year or previous.relative_year,
        parts=parts, followup=True,
    )


def mirror_answer(reading: Reading) -> Reading:
    """那起诉呢？ after 批准逮捕103件179人: ask again for one figure per unit the last answer gave."""
    from qa.numbers import parse_quantity

    if reading.parts or reading.measure or reading.asked not in ("count", "text") or len(reading.focus) < 2:
        return reading
    units = list(dict.fromkeys(q.unit for q in map(parse_quantity, reading.focus) if q is not None and q.unit))
    if len(units) < 2:
        return reading
    v = vocabulary()
    parts = tuple(replace(reading, measure=u, units=v.units_for(u), asked="count", parts=()) for u in units)
    return replace(reading, parts=parts)


def figures_of(answer: str) -> tuple[str, ...]:
    """Figures an earlier answer gave: those of its first line when it is one of ours (答：…)."""
    from qa.numbers import find_quantities

    if answer.startswith("答"):  # ours: 答：564名（抓获犯罪嫌疑人564名） 原文：… (history may arrive on one line)
        text = re.split(r"[（(\n]|原文", answer, maxsplit=1)[0]
    else:
        text = answer[:200]
    return tuple(dict.fromkeys(q.text for q in find_quantities(text)))
