"""A total asked over a list the report writes item by item, with no total of its own.

`第21届中国专利奖天津一共拿了几个奖？` against `共获得金奖1项，优秀奖14项，外观设计优秀奖3项`: the
best single figure (金奖1项) answers one item, not the total. The items of such a list are the
sentence's figures of one unit, kind and year that count the same action (an enumeration); the question
picks one item when a word of it names that item and no other, else it asks for the items it names
(all of them when it names none), and the answer is their sum, computed and cited.

>>> label("天津专利权人共获得金奖", ("共计", "共"))
'获得金奖'
>>> label("优秀奖", ("共",))
'优秀奖'
>>> label("专家组成的市知识产权专家组", ("共",))
'市知识产权专家组'
"""

from __future__ import annotations

import re
from typing import Callable, NamedTuple, Sequence

Expand = Callable[[str], Sequence[str]]


def label(subject: str, openers: Sequence[str]) -> str:
    """The item's own words: a subject cut after its last total opener (共获得金奖 -> 获得金奖), so the
    words before a list, which every item shares in meaning, count for its first item only; and cut
    to its head after the last 的 (专家组成的市知识产权专家组 -> 市知识产权专家组)."""
    cut = max((subject.rfind(o) + len(o) for o in openers if o in subject), default=0)
    head = subject[cut:].rsplit("的", 1)[-1]
    return head or subject[cut:] or subject


def same_measure(a, b) -> bool:
    """Two figures of one sentence that count the same kind of thing in the same unit and year, neither a
    comparison: items of one list, or a total and the part of it done (立案237起，破案178起)."""
    return (a.sentence_start == b.sentence_start and a.unit == b.unit and a.kind == b.kind and a.year == b.year
            and not a.comparison and not b.comparison)


def remainder_pair(fact, facts: Sequence) -> tuple | None:
    """``fact`` and the one other figure of its measure in its sentence, larger first (还有多少起没破:
    立案237起 and 破案178起); None when there is no such figure or more than one."""
    others = [f for f in facts if f is not fact and same_measure(f, fact)]
    if len(others) != 1 or fact.value is None or others[0].value is None:
        return None
    return tuple(sorted((fact, others[0]), key=lambda f: -f.value))


def enumeration(fact, facts: Sequence, actions: Callable[[str], Sequence[str]]) -> tuple:
    """The items of the list ``fact`` belongs to: the figures of its sentence with its unit, kind and
    year, no comparison and no written total, counting the same actions (``actions`` reads a clause).
    Fewer than two items: no list."""
    own = set(actions(fact.clause))
    items = tuple(f for f in facts if same_measure(f, fact) and f.scope != "total" and set(actions(f.clause)) == own)
    return items if len(items) >= 2 and fact in items else ()


def asked_items(terms: Sequence[str], items: Sequence, openers: Sequence[str], expand: Expand) -> tuple:
    """The items a question asks about: those named by a word that names some items but not all
    (every item when no word tells them apart). Use it with the best-ranked item: when that one is
    not among those named, the named ones were inclusions (连外观设计的算上), and every item is asked."""
    labels = [label(f.subject, openers) for f in items]

    def names(term: str, text: str) -> bool:
        return any(w in text for w in expand(term))

    telling = [t for t in terms if 0 < sum(names(t, text) for text in labels) < len(labels)]
    named = tuple(f for f, text in zip(items, labels) if any(names(t, text) for t in telling))
    return named or tuple(items)


def group_items(terms: Sequence[str], items: Sequence, openers: Sequence[str], expand: Expand) -> tuple:
    """The items every telling word of ``terms`` names (a word naming some items but not all); () when
    no word tells them apart.

    >>> class F(NamedTuple):
    ...     subject: str
    >>> fs = [F("市知识产权专家组"), F("知识产权保护专家库"), F("知识产权评审专家库")]
    >>> same = lambda t: (t,)
    >>> [f.subject for f in group_items(["两个", "专家库"], fs, [], same)]
    ['知识产权保护专家库', '知识产权评审专家库']
    >>> [f.subject for f in group_items(["省", "人大代表"], [F("全国人大代表建议"), F("省人大代表建议"), F("省政协提案")], [], same)]
    ['省人大代表建议']
    >>> group_items(["乡村道路"], fs, [], same)
    ()
    """
    labels = [label(f.subject, openers) for f in items]

    def names(term: str, text: str) -> bool:
        return any(w in text for w in expand(term))

    telling = [t for t in terms if 0 < sum(names(t, text) for text in labels) < len(labels)]
    if not telling:
        return ()
    return tuple(f for f, text in zip(items, labels) if all(names(t, text) for t in telling))


def _parallel(a, b) -> bool:
    """Two figures that measure different items the same way: one unit, kind and year, both changes or
    neither (医疗保健上涨5.7% and 衣着上涨1.1%), neither a written total."""
    return (a.unit == b.unit and a.kind == b.kind and a.year == b.year and bool(a.comparison) == bool(b.comparison)
            and "total" not in (a.scope, b.scope))


def rivals(fact, facts: Sequence, least: int = 3) -> tuple:
    """The list a which-question over items (哪一类涨得最多) compares ``fact`` within: the figures of its
    sentence measured like it, or of its paragraph when its sentence holds fewer than ``least``; ()
    when fewer than two items are found."""
    parallel = [f for f in facts if _parallel(f, fact)]
    sentence = tuple(f for f in parallel if f.sentence_start == fact.sentence_start)
    paragraph = tuple(f for f in parallel if (f.section, f.paragraph) == (fact.section, fact.paragraph))
    items = sentence if len(sentence) >= least else paragraph
    return items if len(items) >= 2 else ()


def of_kind(items: Sequence, question: str, which: Sequence[str], fillers: Sequence[str] = ()) -> tuple:
    """The items whose subject holds the noun the question's which-word asks for (哪个产业 -> 产业:
    第一产业投资, not 基础设施投资); all items when that leaves fewer than two or no noun is written.
    ``fillers`` may stand between the which-word and its noun (哪一产业, 哪个产业).

    >>> class F(NamedTuple):
    ...     subject: str
    >>> [f.subject for f in of_kind([F("第一产业投资"), F("第二产业投资"), F("基础设施投资")], "哪个产业增速最快", ["哪"], ["个"])]
    ['第一产业投资', '第二产业投资']
    """
    filler = f"(?:{'|'.join(map(re.escape, fillers))})?" if fillers else ""
    m = re.search(f"(?:{'|'.join(map(re.escape, which))}){filler}([\u4e00-\u9fff]{{2}})", question)
    if not m:
        return tuple(items)
    named = tuple(f for f in items if m.group(1) in f.subject)
    return named if len(named) >= 2 else tuple(items)


def signed(fact) -> float:
    """The figure's value with its direction: 下降8.1% is -8.1 among changes."""
    return -fact.value if fact.direction == "down" else fact.value


def extreme(items: Sequence, most: bool):
    """The item with the largest (``most``) or smallest signed value; None on a tie for it."""
    best = (max if most else min)(items, key=signed)
    return None if sum(signed(f) == signed(best) for f in items) > 1 else best
