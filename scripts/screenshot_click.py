"""Screenshot a page after clicking an element by its text, with headless Chromium over CDP.

Dagster renders Markdown metadata (our plots) behind a "[Show Markdown]" toggle, so a
plain ``--screenshot`` cannot capture them. Usage:
    python scripts/screenshot_click.py URL OUT.png "[Show Markdown]" [WIDTH HEIGHT]
"""

from __future__ import annotations

import asyncio
import base64
import json
import subprocess
import sys
import tempfile
import time

import httpx
import websockets


async def _cdp(ws_url: str, url: str, out: str, click_text: str, width: int, height: int) -> None:
    async with websockets.connect(ws_url, max_size=64 * 2**20) as ws:
        seq = 0

        async def call(method: str, **params):
            nonlocal seq
            seq += 1
            await ws.send(json.dumps({"id": seq, "method": method, "params": params}))
            while True:
                msg = json.loads(await ws.recv())
                if msg.get("id") == seq:
                    return msg.get("result", {})

        await call("Emulation.setDeviceMetricsOverride", width=width, height=height, deviceScaleFactor=1, mobile=False)
        await call("Page.enable")
        await call("Page.navigate", url=url)
        await asyncio.sleep(8)
        js = (
            "(() => { const els = [...document.querySelectorAll('button, a, span, div')]"
            f".filter(e => e.textContent.trim() === {json.dumps(click_text)});"
            " els.forEach(e => e.click()); return els.length; })()"
        )
        res = await call("Runtime.evaluate", expression=js, returnByValue=True)
        print("clicked", res.get("result", {}).get("value"))
        await asyncio.sleep(3)
        shot = await call("Page.captureScreenshot", format="png")
        with open(out, "wb") as fh:
            fh.write(base64.b64decode(shot["data"]))


def main() -> None:
    url, out, click_text = sys.argv[1:4]
    width, height = (int(sys.argv[4]), int(sys.argv[5])) if len(sys.argv) > 5 else (1500, 1300)
    profile = tempfile.mkdtemp()
    proc = subprocess.Popen([
        "chromium", "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync",
        f"--user-data-dir={profile}", "--remote-debugging-port=9333", "about:blank",
    ], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        for _ in range(50):
            try:
                targets = httpx.get("http://127.0.0.1:9333/json", timeout=1).json()
                page = next(t for t in targets if t.get("type") == "page")
                break
            except (httpx.HTTPError, StopIteration):
                time.sleep(0.3)
        asyncio.run(_cdp(page["webSocketDebuggerUrl"], url, out, click_text, width, height))
        print("wrote", out)
    finally:
        proc.terminate()


if __name__ == "__main__":
    main()
