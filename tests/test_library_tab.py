"""The 报告库 tab's checks on an upload, and the page built around a library engine (no model)."""

from __future__ import annotations

import pytest

import app
from qa.engine import EngineConfig
from qa.library_engine import open_library
from qa.library_tab import MAX_REPORT_BYTES, parse_year, read_upload, removable, report_rows, user_message
from tests.conftest import CORPUS, FakeEmbedder


def test_an_upload_is_read_once_and_its_temporary_file_deleted(tmp_path):
    upload = tmp_path / "北京.pdf"
    upload.write_bytes(b"%PDF-1.4 ...")
    assert read_upload(str(upload)) == (b"%PDF-1.4 ...", "北京.pdf")
    assert not upload.exists()
    big = tmp_path / "big.pdf"
    big.write_bytes(b"0" * 2048)
    with pytest.raises(ValueError, match="超过网页上传的上限 0 MB"):
        read_upload(str(big), limit=1024)
    assert not big.exists()  # refused files are deleted too
    assert MAX_REPORT_BYTES == 10_000_000


def test_form_values_and_messages_are_checked_and_chinese():
    assert parse_year("2021") == 2021 and parse_year(" ") is None
    with pytest.raises(ValueError, match="请填四位数字"):
        parse_year("21年")
    assert user_message(ValueError("文件已在报告库中")) == "文件已在报告库中"
    assert "PDF、DOCX" in user_message(ValueError("unexpected internal text"))


def test_the_page_has_a_library_tab_only_with_a_library_engine(tmp_path, model_free_engine):
    engine = open_library(EngineConfig(corpus=CORPUS, cache_dir=tmp_path, retrieval="bm25"), embedder=FakeEmbedder())
    engine.warm_up()
    labels = {c.get("props", {}).get("label") for c in app.create_app(engine).config["components"]}
    assert "报告库" in labels and "选择报告文件" in labels
    plain = {c.get("props", {}).get("label") for c in app.create_app(model_free_engine).config["components"]}
    assert "报告库" not in plain
    records = engine.records()
    assert report_rows(records)[0][:5] == ["天津市2020年知识产权工作报告（默认）", 2020, "天津市", "", "TXT"]
    assert removable(records) == []  # the default report cannot be removed
