"""``guildlike view``'s JSON endpoints, asked over HTTP of a real server on a free port.

Every endpoint, its bad input (4xx and a JSON error) and the ways a file
request might try to leave the run's folder.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import urllib.parse
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from view_support import fetch, get_json, make_home, serving

from guildlike.context import Context, NullUI


@pytest.fixture(scope="module")
def home(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, list[str]]]:
    root = tmp_path_factory.mktemp("view")
    return root / "home", make_home(root)


@pytest.fixture(scope="module")
def base(home: tuple[Path, dict[str, list[str]]]) -> Iterator[str]:
    with serving(home[0]) as url:
        yield url


@pytest.fixture
def ids(home: tuple[Path, dict[str, list[str]]]) -> dict[str, list[str]]:
    return home[1]


def q(**params: Any) -> str:
    return urllib.parse.urlencode(params)


# -- runs list


def test_info(base: str, home: tuple[Path, Any]) -> None:
    info = get_json(f"{base}/api/info")
    assert info["home"] == str(home[0])
    assert info["runs"] == 13


def test_runs_newest_first_with_paging(base: str, ids: dict[str, list[str]]) -> None:
    page = get_json(f"{base}/api/runs?limit=3")
    assert (page["total"], page["more"], len(page["runs"])) == (13, True, 3)
    assert page["runs"][0]["id"] == ids["train"][0]
    assert set(page["runs"][0]) >= {"id", "operation", "status", "label", "started", "tags", "marked", "step"}
    rest = get_json(f"{base}/api/runs?offset=3&limit=100")
    assert (rest["more"], len(rest["runs"])) == (False, 10)
    assert rest["runs"][-1]["id"] == ids["fit"][0]


def test_runs_filters(base: str, ids: dict[str, list[str]]) -> None:
    assert [r["id"] for r in get_json(f"{base}/api/runs?op=prep")["runs"]] == ids["prep"]
    errors = get_json(f"{base}/api/runs?status=error")["runs"]
    assert {r["operation"] for r in errors} == {"fail", "steps-restart"}
    both = get_json(f"{base}/api/runs?status=error,completed")["total"]
    assert both == 13
    assert [r["label"] for r in get_json(f"{base}/api/runs?label=wide")["runs"]] == ["wide"]
    assert get_json(f"{base}/api/runs?{q(started='last 1 hour')}")["total"] == 13
    assert get_json(f"{base}/api/runs?{q(started='before 2000-01-01')}")["total"] == 0


def test_runs_search(base: str, ids: dict[str, list[str]]) -> None:
    found = get_json(f"{base}/api/runs?{q(q='steps-re')}")
    assert [r["id"] for r in found["runs"]] == ids["steps-restart"]
    assert found["total"] == 1
    by_id = get_json(f"{base}/api/runs?{q(q=ids['train'][0][:10])}")
    assert [r["id"] for r in by_id["runs"]] == ids["train"]
    paged = get_json(f"{base}/api/runs?{q(q='fit', limit=2)}")
    assert (len(paged["runs"]), paged["more"], paged["total"]) == (2, True, None)


@pytest.mark.parametrize("query, message", [
    ("status=done", "unknown status 'done'"),
    ("limit=0", "limit must be from 1 to 1000"),
    ("limit=x", "limit must be a whole number"),
    ("offset=-1", "offset must be from 0"),
    ("started=" + urllib.parse.quote("not a time"), ""),
])
def test_runs_bad_query(base: str, query: str, message: str) -> None:
    err = get_json(f"{base}/api/runs?{query}", status=400)
    assert message in err["error"]


# -- a run


def test_run_page(base: str, ids: dict[str, list[str]]) -> None:
    rid = ids["fit"][1]
    run = get_json(f"{base}/api/runs/{rid}")
    assert (run["id"], run["operation"], run["status"], run["label"]) == (rid, "fit", "completed", "wide")
    assert run["flags"] == {"epochs": 3, "lr": 0.5}
    assert run["scalars"]["loss"]["last"] == 0.5 and run["scalars"]["loss"]["count"] == 3
    assert run["kind"] == "run" and run["exit_status"] == 0
    assert len(run["attempts"]) == 1 and run["attempts"][0]["status"] == "completed"
    assert "flags" not in run["attributes"] and run["attributes"]["exit_status"] == 0


def test_run_by_prefix(base: str, ids: dict[str, list[str]]) -> None:
    rid = ids["prep"][0]
    assert get_json(f"{base}/api/runs/{rid[:12]}")["id"] == rid


def test_run_deps_link_upstream(base: str, ids: dict[str, list[str]]) -> None:
    run = get_json(f"{base}/api/runs/{ids['train'][0]}")
    assert [(d["id"], d["operation"], d["exists"]) for d in run["deps"]] == [(ids["prep"][0], "prep", True)]


def test_run_json_has_no_nan(base: str, ids: dict[str, list[str]]) -> None:
    _, _, body = fetch(f"{base}/api/runs/{ids['odd'][0]}")
    assert b"NaN" not in body and b"Infinity" not in body
    run = get_json(f"{base}/api/runs/{ids['odd'][0]}")
    assert run["scalars"]["acc"]["last"] == "inf" and run["scalars"]["loss"]["last"] is None


@pytest.mark.parametrize("rid, status", [
    ("nosuchrun", 404), ("a" * 200, 404), ("-x", 404), ("..", 404), ("zzzz", 404),
])
def test_run_bad_ids(base: str, rid: str, status: int) -> None:
    assert "error" in get_json(f"{base}/api/runs/{rid}", status=status)


def test_ambiguous_prefix_is_404(base: str, ids: dict[str, list[str]]) -> None:
    every = [i for v in ids.values() for i in v]
    first = max("0123456789abcdef", key=lambda c: sum(i.startswith(c) for i in every))
    if sum(i.startswith(first) for i in every) < 2:
        pytest.skip("no two run ids share their first digit")
    assert "matches" in get_json(f"{base}/api/runs/{first}", status=404)["error"]


def test_run_series(base: str, ids: dict[str, list[str]]) -> None:
    found = get_json(f"{base}/api/runs/{ids['fit'][1]}/series")
    assert [p[:2] for p in found["loss"]] == [[0, 1.5], [1, 1.0], [2, 0.5]]
    pipe = get_json(f"{base}/api/runs/{ids['pipe'][0]}/series")
    assert "fit/.guild#loss" in pipe and "odd/.guild#val/loss" in pipe


# -- files and output


def test_files_and_download(base: str, ids: dict[str, list[str]]) -> None:
    rid = ids["prep"][0]
    files = get_json(f"{base}/api/runs/{rid}/files")["files"]
    names = {f["path"]: f for f in files}
    assert "data.txt" in names and names["data.txt"]["size"] > 0 and not names["data.txt"]["dir"]
    assert not any(p.startswith(".guild") for p in names)
    code, kind, body = fetch(f"{base}/api/runs/{rid}/file?{q(path='data.txt')}")
    assert code == 200 and kind.startswith("text/plain") and body
    code, _, _ = fetch(f"{base}/api/runs/{rid}/file?{q(path='data.txt', download=1)}")
    assert code == 200


def test_pipeline_files_name_step_runs(base: str, ids: dict[str, list[str]]) -> None:
    files = get_json(f"{base}/api/runs/{ids['pipe'][0]}/files")["files"]
    assert {f["path"]: f.get("run") for f in files} == {"fit": ids["fit"][-1], "odd": ids["odd"][0]}


@pytest.fixture
def escapes(home: tuple[Path, dict[str, list[str]]], tmp_path: Path) -> str:
    """A run holding links that lead out of it: to a file outside, to a sibling run, to its own .guild."""
    rid = home[1]["fit"][0]
    run_dir = home[0] / "runs" / rid
    secret = tmp_path / "secret.txt"
    secret.write_text("not yours")
    for name, target in [("out-link", str(secret)), ("sibling", f"../{home[1]['train'][0]}"),
                         ("guild-link", ".guild")]:
        if not os.path.lexists(run_dir / name):
            os.symlink(target, run_dir / name)
    return rid


@pytest.mark.parametrize("path, status", [
    ("../../etc/passwd", 400),
    ("a/../../x", 400),
    ("/etc/passwd", 400),
    ("", 400),
    ("out-link", 404),
    ("sibling/.guild/output", 404),
    ("guild-link/attrs/env", 404),
    (".guild/attrs/env", 404),
    (".guild/output", 404),
    ("no-such-file", 404),
    (".", 400),
    ("a\\..\\..\\x", 400),
])
def test_file_escapes(base: str, escapes: str, path: str, status: int) -> None:
    code, kind, body = fetch(f"{base}/api/runs/{escapes}/file?{q(path=path)}")
    assert (code, kind) == (status, "application/json"), body
    assert b"not yours" not in body


@pytest.mark.parametrize("raw", [
    "/api/runs/{rid}%2F..%2F..%2Fetc/file?path=x",
    "/api/runs/..%2F{rid}/files",
    "/api/runs/{rid}/file%2F?path=data.txt",
    "/api/runs/%2e%2e/files",
])
def test_encoded_slashes_in_the_path(base: str, ids: dict[str, list[str]], raw: str) -> None:
    code, kind, body = fetch(base + raw.format(rid=ids["prep"][0]))
    assert code == 400 and kind == "application/json" and b"error" in body


def test_output_with_offset(base: str, ids: dict[str, list[str]]) -> None:
    rid = ids["fit"][1]
    out = get_json(f"{base}/api/runs/{rid}/output")
    assert out["offset"] == 0 and out["next"] == out["size"] and "loss: 1.5" in out["text"]
    rest = get_json(f"{base}/api/runs/{rid}/output?offset=8")
    assert rest["text"] == out["text"][8:]
    end = get_json(f"{base}/api/runs/{rid}/output?offset=999999")
    assert (end["offset"], end["text"]) == (out["size"], "")
    assert "offset" in get_json(f"{base}/api/runs/{rid}/output?offset=-5", status=400)["error"]


# -- series, compare, pipeline, diff


def test_series_of_several_runs(base: str, ids: dict[str, list[str]]) -> None:
    two = ",".join(ids["fit"][:2])
    found = get_json(f"{base}/api/series?{q(key='loss', run=two)}")
    assert [s["run"] for s in found["series"]] == ids["fit"][:2]
    assert [len(s["points"]) for s in found["series"]] == [2, 3]
    thin = get_json(f"{base}/api/series?{q(key='loss', run=ids['fit'][1], points=2)}")
    assert [p[0] for p in thin["series"][0]["points"]] == [0, 2]
    bare = get_json(f"{base}/api/series?{q(key='loss', run=ids['fit'][1], time=0)}")
    assert bare["series"][0]["points"] == [[0, 1.5], [1, 1.0], [2, 0.5]]


def test_series_bad_input(base: str, ids: dict[str, list[str]]) -> None:
    assert "key" in get_json(f"{base}/api/series?run={ids['fit'][0]}", status=400)["error"]
    assert "run" in get_json(f"{base}/api/series?key=loss", status=400)["error"]
    get_json(f"{base}/api/series?key=loss&run=nosuch", status=404)


def test_compare_selection(base: str, ids: dict[str, list[str]]) -> None:
    two = ",".join(ids["fit"][:2])
    table = get_json(f"{base}/api/compare?run={two}")
    assert table["ids"] == ids["fit"][:2]
    col = {h: i for i, h in enumerate(table["headers"])}
    assert [r[col["lr"]] for r in table["rows"]] == [0.1, 0.5]
    assert table["kinds"][col["lr"]] == "flag" and table["kinds"][col["loss"]] == "scalar"
    skipped = get_json(f"{base}/api/compare?run={two}&skip_unchanged=1")
    assert "operation" not in skipped["headers"] and "lr" in skipped["headers"]


def test_compare_batch_trials_best_first(base: str, home: tuple[Path, Any]) -> None:
    batch = next(r for r in get_json(f"{base}/api/runs?limit=100")["runs"] if r["operation"] == "fit+")
    table = get_json(f"{base}/api/compare?batch={batch['id']}")
    col = table["headers"].index("lr")
    assert [r[col] for r in table["rows"]] == [0.2, 0.3]
    assert table["objective"] == {"scalar": "loss", "maximize": False}


def test_compare_bad_input(base: str, ids: dict[str, list[str]]) -> None:
    assert "give runs" in get_json(f"{base}/api/compare", status=400)["error"]
    assert "not a batch" in get_json(f"{base}/api/compare?batch={ids['prep'][0]}", status=400)["error"]
    get_json(f"{base}/api/compare?run=nosuch", status=404)
    get_json(f"{base}/api/compare?run={ids['prep'][0]}&skip_unchanged=maybe", status=400)


def test_pipeline_steps_and_plan(base: str, ids: dict[str, list[str]]) -> None:
    found = get_json(f"{base}/api/pipeline/{ids['steps-restart'][0]}")
    steps = [(s["name"], s["id"], s["status"], s["action"]) for s in found["steps"]]
    assert steps == [("fail", ids["fail"][0], "completed", "reuse"), ("fail_2", ids["fail"][1], "error", "rerun")]
    assert found["steps"][1]["reason"] == "failed (exit 1)"
    assert found["run"]["status"] == "error" and found["plan_error"] is None
    plain = get_json(f"{base}/api/pipeline/{ids['steps-restart'][0]}?needed=0")
    assert {s["action"] for s in plain["steps"]} == {"rerun"}


def test_plan_of_a_plain_run(base: str, ids: dict[str, list[str]]) -> None:
    found = get_json(f"{base}/api/pipeline/{ids['prep'][0]}")
    assert found["steps"] == [] and found["plan"]["action"] == "reuse"


def test_diff(base: str, ids: dict[str, list[str]]) -> None:
    a, b = ids["fit"][:2]
    found = get_json(f"{base}/api/diff?a={a}&b={b}")
    flags = next(s for s in found["sections"] if s["name"] == "flags")
    assert "lr: 0.1 -> 0.5" in flags["lines"]
    assert [s["name"] for s in found["sections"]] == ["flags", "code", "sourcecode", "deps", "data"]
    out = get_json(f"{base}/api/diff?a={a}&b={b}&section=output")
    assert [s["name"] for s in out["sections"]] == ["output"]


def test_diff_bad_input(base: str, ids: dict[str, list[str]]) -> None:
    assert "two runs" in get_json(f"{base}/api/diff?a={ids['fit'][0]}", status=400)["error"]
    assert "unknown section" in get_json(
        f"{base}/api/diff?a={ids['fit'][0]}&b={ids['fit'][1]}&section=nope", status=400)["error"]
    get_json(f"{base}/api/diff?a={ids['fit'][0]}&b=nosuch", status=404)


# -- pages, methods, the server


def test_pages_are_served(base: str) -> None:
    for path, kind in [("/", "text/html"), ("/static/app.js", "javascript"), ("/static/app.css", "text/css"),
                       ("/static/vendor/uPlot.iife.min.js", "javascript")]:
        code, got, body = fetch(base + path)
        assert code == 200 and kind in got and body, path
    for path in ["/static/../routes.py", "/static/nope.js", "/static/vendor/", "/nope", "/api/nope"]:
        code, kind, _ = fetch(base + path)
        assert (code, kind) == (404, "application/json"), path


def test_read_only(base: str) -> None:
    req = urllib.request.Request(f"{base}/api/runs", data=b"{}", method="POST")
    code = 0
    try:
        urllib.request.urlopen(req, timeout=30)
    except urllib.error.HTTPError as e:
        code = e.code
    assert code == 405


class Warnings(NullUI):
    def __init__(self) -> None:
        self.seen: list[str] = []

    def warning(self, msg: str) -> None:
        self.seen.append(msg)


def test_host_other_than_local_warns(home: tuple[Path, Any]) -> None:
    ui = Warnings()
    ctx = Context(home=home[0], cwd=home[0].parent, ui=ui, env={})
    with serving(home[0], host="0.0.0.0", ctx=ctx) as url:
        assert get_json(url.replace("0.0.0.0", "127.0.0.1") + "/api/info")["runs"] == 13
    assert len(ui.seen) == 1 and "0.0.0.0" in ui.seen[0]
    ui.seen.clear()
    with serving(home[0], ctx=ctx):
        pass
    assert ui.seen == []


def test_command_prints_the_address_and_stops_on_ctrl_c(home: tuple[Path, Any]) -> None:
    env = dict(os.environ, GUILDLIKE_HOME=str(home[0]))
    proc = subprocess.Popen([sys.executable, "-m", "guildlike", "view", "--no-open"], env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    assert proc.stdout is not None
    line = proc.stdout.readline()
    assert line.startswith("Serving http://127.0.0.1:") and "Ctrl-C" in line
    url = line.split()[1]
    assert get_json(url + "api/info")["runs"] == 13
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=30)
    assert proc.returncode == 0 and "Traceback" not in err


def test_command_bad_usage(home: tuple[Path, Any]) -> None:
    env = dict(os.environ, GUILDLIKE_HOME=str(home[0]))
    p = subprocess.run([sys.executable, "-m", "guildlike", "view", "1"], env=env, capture_output=True, text=True)
    assert p.returncode == 2 and "RUN is used with --export" in p.stderr
    with serving(home[0]) as url:
        port = url.rsplit(":", 1)[1]
        p = subprocess.run([sys.executable, "-m", "guildlike", "view", "--no-open", "--port", port],
                           env=env, capture_output=True, text=True, timeout=30)
    assert p.returncode == 1 and p.stderr.startswith(f"guildlike: cannot serve on 127.0.0.1:{port}")


# -- export


def test_export_is_one_file_with_the_data(home: tuple[Path, dict[str, list[str]]], tmp_path: Path) -> None:
    import json
    import re

    ids = home[1]
    env = dict(os.environ, GUILDLIKE_HOME=str(home[0]))
    target = tmp_path / "report.html"
    chosen = [ids["fit"][0], ids["fit"][1], ids["steps-restart"][0]]
    p = subprocess.run([sys.executable, "-m", "guildlike", "view", "--export", str(target), *chosen],
                       env=env, capture_output=True, text=True)
    assert (p.returncode, p.stdout) == (0, f"Wrote {target} (3 runs)\n"), p.stderr
    text = target.read_text()
    found = re.search(r"window\.GUILDLIKE_DATA = (.*?);</script>", text, re.S)
    assert found
    data = json.loads(found.group(1))
    assert [r["id"] for r in data["runs"]] == chosen
    assert data["run"][ids["fit"][1]]["flags"] == {"epochs": 3, "lr": 0.5}
    assert [p[1] for p in data["series"][ids["fit"][1]]["loss"]] == [1.5, 1.0, 0.5]
    plans = data["pipeline"][ids["steps-restart"][0]]
    assert [s["action"] for s in plans["1"]["steps"]] == ["reuse", "rerun"]
    assert [s["action"] for s in plans["0"]["steps"]] == ["rerun", "rerun"]
    assert data["compare"]["all"]["ids"] == chosen
    assert "uPlot" in text and "function route()" in text
    # Nothing is fetched from elsewhere: no src/href/url() but inline data, no http(s) but two names.
    assert not re.search(r"""(src|href)\s*=\s*["']?(https?:|//)""", text)
    assert "url(http" not in text and "@import" not in text
    assert set(re.findall(r"https?://[^\s\"'<>)]*", text)) <= {
        "http://www.w3.org/2000/svg", "https://github.com/leeoniya/uPlot"}
    assert not re.search(r'<(script|link)[^>]+(src|href)="(?!data:)', text)


def test_export_bad_target(home: tuple[Path, dict[str, list[str]]], tmp_path: Path) -> None:
    env = dict(os.environ, GUILDLIKE_HOME=str(home[0]))
    p = subprocess.run([sys.executable, "-m", "guildlike", "view", "--export", str(tmp_path / "no" / "x.html"), "1"],
                       env=env, capture_output=True, text=True)
    assert p.returncode == 1 and p.stderr.startswith("guildlike: cannot write ") and not (tmp_path / "no").exists()
    p = subprocess.run([sys.executable, "-m", "guildlike", "view", "--export", str(tmp_path / "x.html"), "nosuch"],
                       env=env, capture_output=True, text=True)
    assert p.returncode == 1 and not (tmp_path / "x.html").exists()


@pytest.mark.parametrize("request_line, status", [
    (b"GARBAGE\r\n\r\n", 400),
    (b"GET /" + b"a" * 70000 + b" HTTP/1.1\r\n\r\n", 414),
    (b"BREW /api/runs HTTP/1.1\r\nHost: x\r\n\r\n", 501),
])
def test_malformed_requests_get_json_errors(base: str, request_line: bytes, status: int) -> None:
    import json
    import socket

    host, port = base.rsplit("/", 1)[1].split(":")
    with socket.create_connection((host, int(port)), timeout=30) as sock:
        sock.sendall(request_line)
        data = b""
        while chunk := sock.recv(65536):
            data += chunk
    if not data.startswith(b"HTTP/"):  # an HTTP/0.9 answer to a line that is no request: the body alone
        assert json.loads(data)["error"].startswith("Bad request syntax")
        return
    head, _, body = data.partition(b"\r\n\r\n")
    assert head.split()[1] == str(status).encode() and b"Content-Type: application/json" in head
    assert json.loads(body)["error"]


def test_run_files_never_come_as_html(base: str, home: tuple[Path, dict[str, list[str]]]) -> None:
    rid = home[1]["fit"][0]
    for name in ("page.html", "pic.svg", "blob.bin"):
        (home[0] / "runs" / rid / name).write_text("<script>alert(1)</script>")
    for name, kind in [("page.html", "text/plain; charset=utf-8"), ("pic.svg", "text/plain; charset=utf-8"),
                       ("blob.bin", "application/octet-stream")]:
        with urllib.request.urlopen(f"{base}/api/runs/{rid}/file?{q(path=name)}", timeout=30) as resp:
            assert resp.headers["Content-Type"] == kind
            assert resp.headers["X-Content-Type-Options"] == "nosniff"
