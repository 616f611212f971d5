"""Security: loopback by default, auth really locks page and API, no code/shell/SQL built from user text, capped uploads.

The app is started through `app.main` (so its own argparse defaults, env handling and launch call are
what is tested) with the engine swapped for the real QAEngine on a FakeEmbedder, on a free port of
127.0.0.1. Requests are few and go to loopback only.
"""

from __future__ import annotations

from dataclasses import replace

import ast
import http.cookiejar
import urllib.error
import urllib.parse
import urllib.request
import uuid
from pathlib import Path

import gradio as gr
import pytest
from gradio_client import Client

import app
from qa.library_tab import MAX_REPORT_BYTES
from conftest import FakeEmbedder, free_port
from eval.dataset import DatasetError, load_dataset

REPO = Path(__file__).resolve().parent.parent
SOURCES = sorted([*REPO.glob("index/*.py"), *REPO.glob("qa/*.py"), *REPO.glob("eval/*.py"), REPO / "app.py"])
USER, PASSWORD = "reviewer", "s3cret-长密码"
TITLE = "天津市2020年知识产权工作报告"


# -- starting the app through app.main ----------------------------------------------------------------

@pytest.fixture(scope="module")
def cache(tmp_path_factory):
    return tmp_path_factory.mktemp("security-cache")


def run_main(monkeypatch, cache: Path, argv=(), *, serve: bool = False) -> tuple[int, dict]:
    """app.main with a fake-embedder engine; records the launch kwargs (and really serves if `serve`)."""
    from qa import engine as qa_engine

    real_engine, real_create = qa_engine.QAEngine, app.create_app
    monkeypatch.setattr(qa_engine, "QAEngine", lambda config, embedder=None, **kwargs: real_engine(
        replace(config, retrieval="bm25"), embedder=FakeEmbedder(), **kwargs))
    seen: dict = {}

    def create_app(engine, **kwargs):
        demo = real_create(engine, **kwargs)
        seen["demo"] = demo

        def launch(**launch_kwargs):
            seen.update(launch_kwargs)
            if serve:
                gr.Blocks.launch(demo, **launch_kwargs)

        demo.launch = launch
        return demo

    monkeypatch.setattr(app, "create_app", create_app)
    monkeypatch.setattr(app, "serve_forever", lambda demo: None)  # main returns once the app is up
    code = app.main(["--cache-dir", str(cache), "--port", str(free_port()), *argv])
    return code, seen


def test_default_bind_address_is_loopback(monkeypatch, cache):
    monkeypatch.delenv("IPQA_AUTH_USER", raising=False)
    monkeypatch.delenv("IPQA_AUTH_PASSWORD", raising=False)
    code, seen = run_main(monkeypatch, cache)
    assert code == 0
    assert seen["server_name"] == "127.0.0.1"
    assert seen["auth"] is None and seen["show_error"] is False
    assert seen["max_file_size"] == MAX_REPORT_BYTES  # the app serves the report library: reports are the largest
    assert not seen.get("share")


def test_other_address_only_when_asked(monkeypatch, cache):
    code, seen = run_main(monkeypatch, cache, ["--host", "127.0.0.2"])
    assert code == 0 and seen["server_name"] == "127.0.0.2"


def test_public_address_without_login_is_refused_with_the_reason(monkeypatch, cache, capsys):
    monkeypatch.delenv("IPQA_AUTH_USER", raising=False)
    monkeypatch.delenv("IPQA_AUTH_PASSWORD", raising=False)
    code, seen = run_main(monkeypatch, cache, ["--host", "0.0.0.0"])
    err = [line for line in capsys.readouterr().err.splitlines() if line.startswith("error:")]
    assert code == 2 and "server_name" not in seen  # nothing was launched
    assert len(err) == 1 and "没有设置登录" in err[0] and "--insecure-public" in err[0]
    code, seen = run_main(monkeypatch, cache, ["--host", "0.0.0.0", "--insecure-public"])
    assert code == 0 and seen["server_name"] == "0.0.0.0" and seen["auth"] is None


def test_public_address_with_login_is_allowed(monkeypatch, cache):
    monkeypatch.setenv("IPQA_AUTH_USER", USER)
    monkeypatch.setenv("IPQA_AUTH_PASSWORD", PASSWORD)
    code, seen = run_main(monkeypatch, cache, ["--host", "0.0.0.0"])
    assert code == 0 and seen["server_name"] == "0.0.0.0" and seen["auth"] == (USER, PASSWORD)


@pytest.mark.parametrize("argv, needle", [(["--port", "99999"], "不是有效端口"), (["--port", "http"], "不是有效端口"),
                                          (["--host", "256.1.1.1"], "不是本机的有效地址"),
                                          (["--host", "192.0.2.1"], "不是本机的地址")])
def test_bad_host_or_port_is_one_clear_line(argv, needle):
    import subprocess
    import sys

    env = {k: v for k, v in __import__("os").environ.items() if not k.startswith("IPQA_AUTH")}
    done = subprocess.run([sys.executable, str(REPO / "app.py"), *argv, "--insecure-public"], capture_output=True,
                          text=True, timeout=120, cwd=REPO, env=env)
    assert done.returncode == 2 and needle in done.stderr, done.stderr
    assert "Traceback" not in done.stderr and "已被占用" not in done.stderr


def test_gradio_env_cannot_widen_the_bind_address(monkeypatch, cache):
    monkeypatch.setenv("GRADIO_SERVER_NAME", "0.0.0.0")
    code, seen = run_main(monkeypatch, cache, serve=True)
    try:
        assert code == 0 and seen["server_name"] == "127.0.0.1"
        assert seen["demo"].server_name == "127.0.0.1" and "127.0.0.1" in seen["demo"].local_url
    finally:
        seen["demo"].close()


# -- auth ----------------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def authed(cache):
    mp = pytest.MonkeyPatch()
    mp.setenv("IPQA_AUTH_USER", USER)
    mp.setenv("IPQA_AUTH_PASSWORD", PASSWORD)
    try:
        code, seen = run_main(mp, cache, serve=True)
        assert code == 0 and seen["auth"] == (USER, PASSWORD)
        yield seen["demo"].local_url.rstrip("/"), seen["demo"]
        seen["demo"].close()
    finally:
        mp.undo()


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


def fetch(url: str, *, data: bytes | None = None, method: str = "GET", opener=None, headers=None):
    """(status, location, body) without following redirects."""
    opener = opener or urllib.request.build_opener(_NoRedirect)
    request = urllib.request.Request(url, data=data, method=method, headers=headers or {})
    try:
        with opener.open(request, timeout=30) as response:
            return response.status, response.headers.get("location"), response.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.headers.get("location"), exc.read()


def login(base: str, password: str):
    jar = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar), _NoRedirect)
    form = urllib.parse.urlencode({"username": USER, "password": password}).encode()
    status, _, _ = fetch(f"{base}/login", data=form, method="POST", opener=opener,
                        headers={"Content-Type": "application/x-www-form-urlencoded"})
    return status, opener


PROTECTED = [("GET", "/config", None), ("GET", "/gradio_api/info", None), ("GET", "/gradio_api/openapi.json", None),
             ("POST", "/gradio_api/call/ask", b'{"data": ["\\u6d77\\u5173", "[]"]}'),
             ("POST", "/gradio_api/queue/join", b"{}"), ("POST", "/gradio_api/upload", b"x")]


def test_page_without_credentials_shows_no_app(authed):
    base, _ = authed
    status, location, body = fetch(f"{base}/")
    if status == 200:  # Gradio serves its login shell here; the app itself (title, tabs, config) is withheld
        assert TITLE.encode() not in body and "事实表".encode() not in body
    else:
        assert status in (401, 403) or (status in (302, 303, 307) and "login" in (location or ""))


@pytest.mark.parametrize("method,path,data", PROTECTED)
def test_api_without_credentials_is_refused(authed, method, path, data):
    base, _ = authed
    status, location, body = fetch(base + path, data=data, method=method, headers={"Content-Type": "application/json"})
    assert status in (401, 403) or (status in (302, 303, 307) and "login" in (location or "")), (status, body[:200])
    assert "答" not in body.decode("utf-8", "replace")


def test_wrong_password_is_refused_and_right_one_opens_page_and_api(authed):
    base, _ = authed
    status, opener = login(base, "wrong")
    assert status in (400, 401, 403)
    assert fetch(f"{base}/config", opener=opener)[0] in (401, 403)
    status, opener = login(base, PASSWORD)
    assert status == 200
    status, _, body = fetch(f"{base}/", opener=opener)
    assert status == 200 and TITLE.encode() in body  # the contrast: with the cookie the app is there
    assert fetch(f"{base}/config", opener=opener)[0] == 200


def test_gradio_client_needs_credentials(authed):
    base, _ = authed
    with pytest.raises(Exception, match="(?i)login|credential|auth"):
        Client(base, verbose=False).predict("海关扣了多少货？", "[]", api_name="/ask")
    with pytest.raises(Exception, match="(?i)login|credential|auth"):
        Client(base, verbose=False, auth=(USER, "wrong"))
    result = Client(base, verbose=False, auth=(USER, PASSWORD)).predict("海关扣了多少货？", "[]", api_name="/ask")
    assert result["found"] is True and result["figures"]


def multipart(name: str, payload: bytes) -> tuple[bytes, str]:
    boundary = uuid.uuid4().hex
    head = (f'--{boundary}\r\nContent-Disposition: form-data; name="files"; filename="{name}"\r\n'
            "Content-Type: application/octet-stream\r\n\r\n").encode()
    return head + payload + f"\r\n--{boundary}--\r\n".encode(), f"multipart/form-data; boundary={boundary}"


def test_upload_size_is_capped_by_the_server(authed):
    base, _ = authed
    _, opener = login(base, PASSWORD)
    body, content_type = multipart("big.pdf", b" " * (MAX_REPORT_BYTES + 1))
    status, _, text = fetch(f"{base}/gradio_api/upload", data=body, method="POST", opener=opener,
                           headers={"Content-Type": content_type})
    assert status == 413 and b"maximum allowed size" in text
    body, content_type = multipart("small.jsonl", b'{"id": "a"}\n')
    assert fetch(f"{base}/gradio_api/upload", data=body, method="POST", opener=opener,
                headers={"Content-Type": content_type})[0] == 200


def test_malformed_upload_gets_a_line_numbered_error_from_the_app(authed, tmp_path):
    _, demo = authed
    handler = next(f.fn for f in demo.fns.values() if f.name == "run_evaluation")
    good = '{"id": "a", "question": "几名？", "answers": ["564名"], "evidence": "564名", "kind": "figure"}\n'
    cases = {"bad-json.jsonl": (good + "\n" + '{"id": "b", "question": ', "第 3 行：不是有效的 JSON"),
             "not-utf8.jsonl": (good.encode() + b'{"id": "\xff\xfe"}\n', "第 2 行"),
             "bad-kind.jsonl": (good + good.replace('"a"', '"b"').replace("figure", "poem"), "第 2 行：kind 字段")}
    for name, (content, needle) in cases.items():
        path = tmp_path / name
        path.write_bytes(content if isinstance(content, bytes) else content.encode("utf-8"))
        status, *rest = handler(str(path), progress=lambda *a, **k: None)
        assert needle in status and "评测集无法使用" in status, (name, status)
        assert rest[0] is None  # nothing was run
        assert not path.exists()  # the upload was deleted after reading


def test_dataset_loader_caps_size_and_names_lines(tmp_path):
    with pytest.raises(DatasetError, match="over the limit"):
        load_dataset(b"x" * 101, max_bytes=100)
    big = tmp_path / "big.jsonl"
    big.write_bytes(b"\n" * 101)
    with pytest.raises(DatasetError, match="over the limit"):
        load_dataset(big, max_bytes=100)
    with pytest.raises(DatasetError, match=r"line 2: not valid JSON"):
        load_dataset(b'{"id": "a", "question": "q", "answers": ["1"], "evidence": "", "kind": "text"}\n{oops\n')


# -- no eval/exec/shell/pickle, and SQL from constants only (AST over the sources) ---------------------

def _parse(path: Path) -> ast.Module:
    return ast.parse(path.read_text(encoding="utf-8"), filename=str(path))


def _calls(tree):
    return [node for node in ast.walk(tree) if isinstance(node, ast.Call)]


def _dotted(node) -> str:
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        return f"{_dotted(node.value)}.{node.attr}"
    return "?"


def test_sources_are_found():
    names = {p.relative_to(REPO).as_posix() for p in SOURCES}
    assert {"app.py", "qa/engine.py", "qa/factstore.py", "index/store.py", "eval/dataset.py"} <= names


def test_no_eval_exec_shell_or_pickle():
    problems = []
    for path in SOURCES:
        tree = _parse(path)
        where = path.relative_to(REPO).as_posix()
        for node in ast.walk(tree):
            if isinstance(node, (ast.Import, ast.ImportFrom)):
                modules = [a.name for a in node.names] if isinstance(node, ast.Import) else [node.module or ""]
                for module in modules:
                    if module.split(".")[0] in {"pickle", "cPickle", "marshal", "shelve", "dill", "cloudpickle"}:
                        problems.append(f"{where}:{node.lineno} imports {module}")
        for call in _calls(tree):
            name = _dotted(call.func)
            line = f"{where}:{call.lineno}"
            if name in {"eval", "exec", "__import__", "builtins.eval", "builtins.exec"}:
                problems.append(f"{line} calls {name}()")
            if name in {"os.system", "os.popen"} or name.startswith(("os.exec", "os.spawn", "commands.")):
                problems.append(f"{line} calls {name}()")
            for kw in call.keywords:
                if kw.arg == "shell" and not (isinstance(kw.value, ast.Constant) and kw.value.value is False):
                    problems.append(f"{line} calls {name}(shell=...)")
                if kw.arg == "allow_pickle" and not (isinstance(kw.value, ast.Constant) and kw.value.value is False):
                    problems.append(f"{line} calls {name}(allow_pickle=...)")
            if name in {"yaml.load", "torch.load"} and not any(kw.arg in ("Loader", "weights_only") for kw in call.keywords):
                problems.append(f"{line} calls {name}() unsafely")
            if name in {"importlib.import_module", "import_module"} and not (
                    call.args and isinstance(call.args[0], ast.Constant)):
                problems.append(f"{line} imports a module named at run time")
    assert problems == []


SQL_METHODS = {"execute", "executemany", "executescript"}


def _names(node) -> set[str]:
    return {n.id for n in ast.walk(node) if isinstance(n, ast.Name)}


def _module_constants(tree: ast.Module) -> set[str]:
    """Names bound at module level (constants, imports, functions, classes): not user input."""
    names = set()
    for node in tree.body:
        if isinstance(node, (ast.Assign, ast.AnnAssign)):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            names |= {n.id for t in targets for n in ast.walk(t) if isinstance(n, ast.Name)}
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            names |= {(a.asname or a.name).split(".")[0] for a in node.names}
        elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            names.add(node.name)
    return names


def _tainted_locals(function) -> tuple[set[str], set[str]]:
    """(locals that may hold caller data, all locals): parameters, and whatever is computed from them."""
    args = function.args
    params = {a.arg for a in [*args.posonlyargs, *args.args, *args.kwonlyargs]}
    params |= {a.arg for a in (args.vararg, args.kwarg) if a}
    bindings: list[tuple[set[str], set[str]]] = []  # (bound names, names their value uses)
    for node in ast.walk(function):
        if isinstance(node, ast.Assign):
            bindings.append(({n for t in node.targets for n in _names(t)}, _names(node.value)))
        elif isinstance(node, (ast.AnnAssign, ast.AugAssign)) and node.value is not None:
            bindings.append((_names(node.target), _names(node.value) | _names(node.target)))
        elif isinstance(node, (ast.For, ast.AsyncFor, ast.comprehension)):
            bindings.append((_names(node.target), _names(node.iter)))
        elif isinstance(node, ast.withitem) and node.optional_vars is not None:
            bindings.append((_names(node.optional_vars), _names(node.context_expr)))
        elif isinstance(node, ast.NamedExpr):
            bindings.append((_names(node.target), _names(node.value)))
    local = params | {n for bound, _ in bindings for n in bound}
    tainted = set(params)
    changed = True
    while changed:
        changed = False
        for bound, uses in bindings:
            if uses & tainted and not bound <= tainted:
                tainted |= bound
                changed = True
    return tainted, local


def test_sql_text_is_built_from_constants_only():
    """Every execute*/executemany/executescript gets SQL made of literals and module-level constants.

    A str literal or a module constant passes; so does an f-string or expression whose names are all
    module-level or locals computed only from those (e.g. the column list from FACT_FIELDS). Anything
    that uses a parameter or a value derived from one fails: user text never becomes SQL.
    """
    checked, problems = 0, []
    for path in SOURCES:
        tree = _parse(path)
        constants = _module_constants(tree)
        functions = [n for n in ast.walk(tree) if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef))]
        owner = {}
        for function in functions:  # innermost function wins (walk order: outer before inner)
            for node in ast.walk(function):
                owner[id(node)] = function
        for call in _calls(tree):
            if not (isinstance(call.func, ast.Attribute) and call.func.attr in SQL_METHODS):
                continue
            checked += 1
            where = f"{path.relative_to(REPO).as_posix()}:{call.lineno}"
            if not call.args:
                problems.append(f"{where}: SQL passed by keyword")
                continue
            sql = call.args[0]
            if isinstance(sql, ast.Constant):
                if not isinstance(sql.value, str):
                    problems.append(f"{where}: SQL is not a string")
                continue
            function = owner.get(id(call))
            tainted, local = _tainted_locals(function) if function else (set(), set())
            for name in sorted(_names(sql)):
                if name in tainted:
                    problems.append(f"{where}: SQL uses {name!r}, which comes from the caller")
                elif name not in local and name not in constants and name not in dir(__builtins__):
                    problems.append(f"{where}: SQL uses {name!r}, which is not a module constant")
            if any(isinstance(n, (ast.Attribute, ast.Subscript)) for n in ast.walk(sql)) and not isinstance(
                    sql, ast.JoinedStr):
                problems.append(f"{where}: SQL comes from an attribute or item lookup")
    assert checked >= 4, "the sqlite calls in qa/factstore.py were not found"
    assert problems == []


def test_the_sql_check_catches_user_text():
    """The checker itself: SQL built from a parameter is flagged; the factstore pattern is not."""
    bad = ast.parse("def f(con, question):\n    q = question.strip()\n    con.execute(f\"SELECT * WHERE x = '{q}'\")\n")
    good = ast.parse("FIELDS = ('a',)\ndef f(con, rows):\n    cols = ', '.join(n for n in FIELDS)\n"
                     "    con.executemany(f'INSERT INTO t ({cols}) VALUES (?)', rows)\n")
    for tree, expect_tainted in ((bad, True), (good, False)):
        function = next(n for n in ast.walk(tree) if isinstance(n, ast.FunctionDef))
        call = next(c for c in _calls(tree) if isinstance(c.func, ast.Attribute) and c.func.attr in SQL_METHODS)
        tainted, _ = _tainted_locals(function)
        assert bool(_names(call.args[0]) & tainted) is expect_tainted
