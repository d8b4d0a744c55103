"""Local Qdrant admits one process; readers in other processes (API, tutor replicas) still search,
and see a re-index on their next query."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

READER = """
import json, sys
from pathlib import Path
from rag import StoreLocation, search
store = StoreLocation(path=Path(sys.argv[1]))
for q in sys.argv[2:]:
    print(json.dumps([h.url for h in search(q, k=3, store=store)]))
"""


def _search_in_other_process(store_path: Path, *queries: str) -> list[list[str]]:
    env = {**os.environ, "HF_HUB_OFFLINE": "1"}
    out = subprocess.run([sys.executable, "-c", READER, str(store_path), *queries], env=env,
                         capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr[-3000:]
    return [json.loads(line) for line in out.stdout.splitlines() if line.startswith("[")]


def test_other_process_reads_while_writer_holds_the_store(indexed, store):
    from rag.index import index_documents

    # This process holds the primary (writer) client open.
    (first,) = _search_in_other_process(store.path, "how do I read a file line by line")
    assert first and first[0].startswith("http://docs.test/tutorial/files.html")
    index_documents([{
        "url": "http://lessons.test/math/eigen", "title": "Eigenvalues",
        "text": "An eigenvector of a matrix keeps its direction; the eigenvalue scales it.",
        "source": "lessons", "course_id": "la101",
    }], store=store)
    (second,) = _search_in_other_process(store.path, "eigenvector eigenvalue of a matrix")
    assert second[0] == "http://lessons.test/math/eigen"
