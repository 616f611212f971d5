"""Answering over several reports with the real answer path and fact tables, without a model (BM25 + hashing)."""

from __future__ import annotations

from dataclasses import asdict
from pathlib import Path

import pytest

from eval.dataset import load_dataset
from eval.runner import run_eval
from index.library import ReportLibrary
from index.settings import default_report_meta
from qa.engine import EngineConfig, QAEngine
from qa.library_engine import MAX_ASKED, LibraryEngine, open_library
from tests.conftest import CORPUS, FakeEmbedder
from tests.docmaker import make_docx, make_html, make_pdf
from tests.test_loaders import REPORT

REPO = Path(__file__).resolve().parent.parent
P2018 = REPO / "eval" / "corpora" / "procuratorate-ip-crimes-2018-jcrb.txt"
P2019 = REPO / "eval" / "corpora" / "procuratorate-ip-crimes-2019-cctv.txt"
LIBRARY_SET = REPO / "eval" / "library" / "tianjin-procuratorate.jsonl"


class CountingEmbedder(FakeEmbedder):
    def __init__(self) -> None:
        super().__init__()
        self.queries: list[str] = []

    def embed_queries(self, texts):
        self.queries += list(texts)
        return super().embed_queries(texts)


def _engine(cache: Path, reports=(), *, retrieval: str = "bm25", embedder=None) -> LibraryEngine:
    engine = open_library(EngineConfig(corpus=CORPUS, cache_dir=cache, retrieval=retrieval), reports,
                          embedder=embedder or FakeEmbedder())
    engine.warm_up()
    return engine


def _same(answer) -> dict:
    """An answer as data, without its timing."""
    return {k: v for k, v in asdict(answer).items() if k != "latency_ms"}


@pytest.fixture(scope="module")
def three_years(tmp_path_factory):
    """Tianjin 2020 (the default) with the procuratorate's 2018 and 2019 reports."""
    return _engine(tmp_path_factory.mktemp("library-cache"), [P2018, P2019])


def test_with_only_the_default_report_the_answers_are_the_single_engines(model_free_engine, tmp_path):
    engine = _engine(tmp_path)
    assert len(engine.shelf.engines) == 1
    items = load_dataset(REPO / "eval" / "qa.jsonl")[:60]
    for item in items:
        history = [{"role": t.role, "content": t.content} for t in item.history]
        assert _same(engine.ask(item.question, history)) == _same(model_free_engine.ask(item.question, history))


def test_a_pdf_a_docx_and_an_html_report_answer_and_removing_one_leaves_the_others_identical(tmp_path):
    shanghai = [line.replace("北京", "上海").replace("2021", "2022") for line in REPORT]
    beijing_2019 = [line.replace("2021", "2019").replace("7.9万件", "6.1万件") for line in REPORT]
    files = {"pdf": tmp_path / "beijing-2021.pdf", "docx": tmp_path / "shanghai-2022.docx",
             "html": tmp_path / "beijing-2019.html"}
    files["pdf"].write_bytes(make_pdf(REPORT, header="内部资料", lines_per_page=6))
    files["docx"].write_bytes(make_docx(shanghai))
    files["html"].write_bytes(make_html(beijing_2019[1:], title=beijing_2019[0]))
    engine = _engine(tmp_path / "cache", list(files.values()))
    assert [(s.id, s.year, s.place) for s in engine.shelf.shelved] == [
        ("tianjin-ip-2020", 2020, "天津市"), ("beijing-2021", 2021, "北京市"), ("shanghai-2022", 2022, "上海市"),
        ("beijing-2019", 2019, "北京市")]
    questions = {"北京市2021年发明专利授权量是多少？": ("7.9万件", "《北京市2021年知识产权工作报告》"),
                 "2022年公安机关抓获了多少名犯罪嫌疑人？": ("602名", "《上海市2022年知识产权工作报告》"),
                 "2019年北京的专利质押融资金额达到多少？": ("101.8亿元", "《北京市2019年知识产权工作报告》")}
    before = {}
    for question, (figure, report) in questions.items():
        answer = engine.ask(question)
        assert answer.found and [f.text for f in answer.figures] == [figure], (question, answer.answer)
        assert answer.reports == (report,) and all(c.report == report for c in answer.citations)
        assert f"报告：{report}" in answer.answer and f"[1] {report}" in answer.answer
        before[question] = _same(answer)
    difference = engine.ask("北京2021年比2019年的发明专利授权量多了多少？")
    assert difference.computed.formula == "7.9万件（2021年）− 6.1万件（2019年）= 1.8万件", difference.answer
    assert [c.report for c in difference.citations[:2]] == ["《北京市2021年知识产权工作报告》", "《北京市2019年知识产权工作报告》"]
    other_place = engine.ask("2022年比2021年公安机关多抓获了多少名犯罪嫌疑人？")  # 上海 2022 against 北京 2021
    assert not other_place.found and "2022年的报告是上海市的、2021年的报告是北京市的" in other_place.reason

    engine.remove("shanghai-2022")
    assert [s.id for s in engine.shelf.shelved] == ["tianjin-ip-2020", "beijing-2021", "beijing-2019"]
    for question in ("北京市2021年发明专利授权量是多少？", "2019年北京的专利质押融资金额达到多少？"):
        assert _same(engine.ask(question)) == before[question]
    gone = engine.ask("2022年公安机关抓获了多少名犯罪嫌疑人？")
    assert not gone.found and "没有2022年的报告" in gone.reason


def test_cross_year_questions_answer_with_both_figures_the_difference_and_both_citations(three_years):
    answer = three_years.ask("19年比18年批捕的知识产权案子多了多少件啊？")
    assert answer.found and answer.computed.text == "1040件"
    assert answer.computed.formula == "4346件（2019年）− 3306件（2018年）= 1040件"
    assert [f.text for f in answer.figures] == ["4346件", "3306件"]
    cited = {f.citation: f.text for f in answer.figures}
    reports = {c.number: c.report for c in answer.citations}
    assert {reports[n] for n in cited} == {"《2019年检察机关批准逮捕涉侵犯知识产权…》", "《2018年检察机关共批捕侵犯知识产权犯罪…》"}
    for number, figure in cited.items():
        assert figure in next(c.text for c in answer.citations if c.number == number)
    rows = three_years.ask("2018年和2019年检察机关提起公诉的人数分别是多少？")
    assert rows.short_answer == "2018年：8325人；2019年：11003人"
    compared = three_years.ask("批准逮捕的案件数，2018年和2019年哪年多？")
    assert compared.computed.operation == "compare" and compared.computed.larger == "4346件"
    # the city's 2020 report and the national 2019 report do not count the same thing
    scope = three_years.ask("2020年比2019年检察机关批准逮捕的人数多了多少？")
    assert not scope.found and "范围不同" in scope.reason


def test_a_question_naming_no_report_gets_each_reports_figure_in_a_row(three_years):
    answer = three_years.ask("检察机关批准逮捕了多少人？")
    assert answer.short_answer == "2018年：5627人；2019年：7430人；2020年：179人"
    assert len(answer.reports) == 3 and {c.report for c in answer.citations} == set(answer.reports)
    only = three_years.ask("公安机关抓获了多少名犯罪嫌疑人？")  # only Tianjin says: one labelled answer
    assert [f.text for f in only.figures] == ["564名"] and only.citations[0].report == "《天津市2020年知识产权工作报告》"


def test_the_library_eval_set_model_free(three_years):
    run = run_eval(three_years, load_dataset(LIBRARY_SET))
    failed = [(s.id, s.reasons) for s in run.scores if not s.correct]
    assert run.summary["overall"]["accuracy"] >= 0.9, failed
    assert run.summary["refusal"]["recall"] == 1.0, failed


def test_a_question_is_embedded_once_and_at_most_max_asked_reports_answer(tmp_path, monkeypatch):
    from index.library import ReportLibrary
    from index.synthetic import add_synthetic_copies
    from qa.engine import build_spec

    embedder = CountingEmbedder()
    engine = _engine(tmp_path, retrieval="hybrid", embedder=embedder)
    add_synthetic_copies(engine.library, engine.library.records()[0], 5, embedder=engine.embedder, spec=build_spec())
    engine.reload()
    assert len(engine.shelf.engines) == 6
    asked = []
    original = QAEngine.ask_traced
    monkeypatch.setattr(QAEngine, "ask_traced", lambda self, *a, **k: asked.append(self) or original(self, *a, **k))
    searches = []
    combined = engine.shelf.retriever.index
    # the retriever searches every chunk at once (CombinedIndex.cosines)
    monkeypatch.setattr(combined, "cosines", lambda *a, **k: searches.append(a) or type(combined).cosines(combined, *a, **k))
    embedder.queries.clear()
    answer = engine.ask("海关扣留了多少侵权货物？")
    assert len(searches) == 1 and len(asked) == MAX_ASKED
    assert len(set(embedder.queries)) == 1, embedder.queries  # one query text, embedded once for every report
    assert len(embedder.queries) == 1
    assert "另有3份报告也有相关段落" in answer.answer


def test_a_damaged_report_is_rebuilt_or_left_out_and_the_others_answer(tmp_path):
    engine = _engine(tmp_path, [P2018])
    rid = "procuratorate-ip-crimes-2018-jcrb"
    next(engine.library.index_root(rid, "fake-embedder").rglob("facts.sqlite")).write_bytes(b"not a database")
    engine.reload()  # the index fails its manifest: rebuilt
    assert engine.ask("2018年检察机关批准逮捕了多少人？").short_answer == "5627人"
    (engine.library.report_dir(rid) / "text.txt").write_text("改过的文字", encoding="utf-8")
    engine.reload()  # the text no longer matches the catalogue: left out, marked, the others answer
    assert [s.id for s in engine.shelf.shelved] == ["tianjin-ip-2020"]
    assert engine.library.get(rid).status == "error"
    assert engine.ask("公安机关抓获了多少名犯罪嫌疑人？").short_answer == "564名"


def test_the_library_folder_is_checked(tmp_path):
    with pytest.raises(ValueError, match="folder='../x' must be a plain folder name"):
        ReportLibrary(tmp_path, default_corpus=CORPUS, default_meta=default_report_meta(CORPUS), folder="../x")
