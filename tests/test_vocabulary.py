"""The shared vocabulary: loaded once from qa/vocab/*.toml, no entry defined twice, look-ups by role."""

from __future__ import annotations

import shutil

import pytest

from qa.vocabulary import FILES, VOCAB_DIR, VocabularyError, alternation, check_unique, load_tables, vocabulary


def test_every_file_loads_and_is_checked():
    tables = load_tables()
    assert set(tables) == set(FILES)


@pytest.mark.parametrize("data, message", [
    ({"fillers": ["那时候", "差不多", "那时候"]}, "'那时候' is listed twice"),
    ({"aliases": {"公安": ["警察", "公安局"], "检察": ["检察院", "警察"]}}, "'警察' is defined twice"),
    ({"actions": {"收案": ["新收", "受理"], "结案": ["审结", "受理"]}}, "'受理' is defined twice"),
])
def test_an_entry_defined_twice_is_rejected(data, message):
    with pytest.raises(VocabularyError, match=message):
        check_unique(data, "test")


def test_unit_groups_may_share_units_but_not_repeat_one():
    check_unique({"unit_groups": {"people": ["人", "人次"], "times": ["次", "人次"]}}, "units")
    with pytest.raises(VocabularyError, match="listed twice"):
        check_unique({"unit_groups": {"people": ["人", "人"]}}, "units")


def test_a_key_defined_twice_in_a_file_is_rejected(tmp_path):
    for name in FILES:
        shutil.copy(VOCAB_DIR / f"{name}.toml", tmp_path / f"{name}.toml")
    path = tmp_path / "synonyms.toml"
    path.write_text(path.read_text(encoding="utf-8") + '\n[extra]\n"a" = 1\n"a" = 2\n', encoding="utf-8")
    with pytest.raises(VocabularyError, match="not valid TOML"):
        load_tables(tmp_path)


def test_lookups_by_role():
    v = vocabulary()
    assert v.actor_of("警察") == "公安" and v.actor_of("Police") == "公安"
    assert v.action_of("审结") == "结案" and v.action_of("新收") == "收案"
    assert v.units_for("人") >= {"名", "人", "人次"}
    assert v.unit_class("名") == "people" and v.unit_class("件") == "things"
    assert v.cue_groups("排第几") == ("rank", "count") and v.asked("同比增长多少") == "growth"
    assert v.actions_in("全市法院新收案件9079件，审结8820件") == ("收案", "结案")


def test_no_word_list_left_in_the_answer_path():
    """The scoring modules hold no Chinese word lists: every word they need comes from qa/vocab."""
    import ast
    import re
    from pathlib import Path

    han = re.compile(r"[\u4e00-\u9fff]")
    for name in ("features", "figure_features", "verifying", "candidates", "prepared", "scorer", "decide", "operating",
                 "ranked", "coverage"):
        tree = ast.parse(Path(f"qa/{name}.py").read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, (ast.List, ast.Tuple, ast.Set)):
                words = [e.value for e in node.elts if isinstance(e, ast.Constant) and isinstance(e.value, str)]
                assert not any(han.search(w) for w in words), (name, words)


def test_alternation_tries_longest_first():
    assert alternation(["人", "人次", "件"]).split("|")[0] == "人次"


def test_a_name_holding_a_cue_phrase_asks_nothing():
    v = vocabulary()
    assert "money" not in v.cue_groups("每万人口高价值发明专利拥有量是多少？")  # 高价值 names patents, not money
    assert "money" in v.cue_groups("涉案价值多少？")  # 价值 on its own still asks for a sum
    assert v.cue_groups("规模以上工业增加值") == ()  # 规模以上 names a class of firms, not a size
