from __future__ import annotations

import json
from pathlib import Path

import pytest


def _run(argv: list[str]) -> int:
    from cli.app import main

    with pytest.raises(SystemExit) as exc:
        main(argv)
    return exc.value.code


def test_index_add_search_and_suggest(data_dir: Path, corpus: list[dict], capsys, tmp_path: Path) -> None:
    from rag.store import close_clients

    assert _run(["index", "status"]) == 0
    assert "no search index yet" in capsys.readouterr().out
    path = tmp_path / "docs.jsonl"
    path.write_text("\n".join(json.dumps(d) for d in corpus))
    assert _run(["index", "add", str(path)]) == 0
    assert "indexed 4 documents" in capsys.readouterr().out

    assert _run(["search", "run coroutines concurrently", "-k", "1", "--json"]) == 0
    hits = json.loads(capsys.readouterr().out)
    assert [h["title"] for h in hits] == ["Coroutines and Tasks"]
    assert _run(["search", "python", "--course-id", "py101", "--json"]) == 0
    assert {h["course_id"] for h in json.loads(capsys.readouterr().out)} == {"py101"}
    assert _run(["search", "--suggest", "grad"]) == 0
    assert capsys.readouterr().out.strip() == "Gradient descent"
    assert _run(["index", "status", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["points"] == 5
    close_clients()


def _err(capsys) -> str:
    return " ".join(capsys.readouterr().err.split())  # rich wraps long messages


def test_cli_errors_are_messages(data_dir: Path, capsys, tmp_path: Path) -> None:
    assert _run(["search", "x", "--mode", "magic"]) == 2
    assert "--mode must be one of" in _err(capsys)
    assert _run(["search", "   "]) == 2
    assert "non-empty" in _err(capsys)
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"url": "http://x", "title": "t", "bogus": 1}\n')
    assert _run(["index", "add", str(bad)]) == 2
    assert "bad.jsonl:1: not a valid document" in _err(capsys)
    assert _run(["index", "rebuild", "--source", "never"]) == 2
