"""``suuupra streaming ...``: transcode a file locally, make test clips, run/retry jobs, sign URLs."""

from __future__ import annotations

from pathlib import Path

import typer

app = typer.Typer(help="Video streaming: HLS transcoding, transcode jobs, signed media URLs.",
                  no_args_is_help=True)


@app.command("test-clip")
def test_clip(out: Path = typer.Argument(..., help="Output .mp4 path."),
              seconds: float = typer.Option(6.0, min=1, max=600), size: str = typer.Option("640x360"),
              audio: bool = typer.Option(True)) -> None:
    """Synthesize a testsrc2 + sine clip (demos, benchmarks)."""
    from apps_api.streaming.ffmpeg import make_test_clip

    typer.echo(str(make_test_clip(out, seconds=seconds, size=size, audio=audio)))


@app.command("transcode")
def transcode(src: Path = typer.Argument(..., help="Source video file."),
              out: Path = typer.Option(..., "--out", help="Output folder for the HLS package."),
              preset: str = typer.Option("veryfast", help="x264 preset."),
              segment_s: int = typer.Option(2, min=1, max=10)) -> None:
    """Transcode one file to an HLS ABR ladder + poster + sprite (no database, no storage)."""
    from rich.console import Console
    from rich.table import Table

    from apps_api.streaming import hls
    from apps_api.streaming.ffmpeg import FfmpegError, ProbeError, probe
    from apps_api.streaming.ladder import plan_ladder
    from suuupra.errors import CLIError

    if not src.is_file():
        raise CLIError(f"{src} does not exist; pass a video file (make one with `suuupra streaming test-clip`)")
    try:
        info = probe(src)
    except ProbeError as exc:
        raise CLIError(f"{src}: {exc}") from None
    console = Console()
    ladder = plan_ladder(info)
    results = []
    try:
        for r in ladder:
            with console.status(f"encoding {r.name} ({r.width}x{r.height})"):
                results.append(hls.transcode_rendition(src, out / r.name, r, has_audio=info.has_audio,
                                                       segment_s=segment_s, preset=preset))
        hls.make_poster(src, out / "poster.jpg", info)
        hls.make_sprite(src, out / "sprite.jpg", out / "thumbnails.vtt", info)
    except FfmpegError as exc:
        raise CLIError(str(exc)) from None
    (out / hls.MASTER).write_text(hls.master_playlist(results))
    t = Table("rendition", "resolution", "segments", "peak kbps", "encode s", "x realtime")
    for r in results:
        t.add_row(r.name, f"{r.width}x{r.height}", str(r.segments), f"{r.bandwidth / 1000:.0f}",
                  f"{r.encode_s:.2f}", f"{info.duration_s / r.encode_s:.1f}")
    console.print(t)
    console.print(f"master playlist: {out / hls.MASTER}")


def _db_and_ctx():
    from apps_api.db import Database
    from apps_api.streaming.config import get_streaming_config
    from apps_api.streaming.jobs import JobContext
    from suuupra.settings import get_settings

    settings, config = get_settings(), get_streaming_config()
    return Database(settings.database_url or ""), JobContext.from_settings(settings, config), config


@app.command("run-job")
def run_job(job_id: str = typer.Argument(...)) -> None:
    """Run a queued (or crashed) transcode job in this process."""
    from apps_api.streaming.jobs import JobStateError, execute_job
    from suuupra.errors import CLIError

    db, ctx, _ = _db_and_ctx()
    try:
        typer.echo(execute_job(ctx, job_id))
    except JobStateError as exc:
        raise CLIError(f"{exc}; list jobs with the API (GET /api/v1/videos/<asset>)") from None
    finally:
        db.dispose()


@app.command("retry")
def retry(job_id: str = typer.Argument(...)) -> None:
    """Re-queue a failed or crashed job and run it here."""
    from apps_api.streaming.jobs import JobStateError, execute_job, retry_job
    from suuupra.errors import CLIError

    db, ctx, config = _db_and_ctx()
    try:
        retry_job(db, job_id, max_attempts=config.max_attempts, stale_running_s=config.stale_running_s)
        typer.echo(execute_job(ctx, job_id))
    except JobStateError as exc:
        raise CLIError(str(exc)) from None
    finally:
        db.dispose()


@app.command("sign")
def sign(path: str = typer.Argument(..., help="Media path, e.g. videos/<asset>/master.m3u8"),
         user: str = typer.Option(..., help="User id the URL is for."),
         ttl: int = typer.Option(3600, min=10, help="Seconds until it expires.")) -> None:
    """Print a signed media URL path (support / debugging)."""
    from apps_api.streaming.signing import SignatureError, scope_of, sign_url
    from apps_api.streaming.storage import UnsafeKeyError
    from suuupra.errors import CLIError
    from suuupra.settings import get_settings

    try:
        scope = scope_of(path)
        url, _ = sign_url(get_settings().media_signing_secret.get_secret_value(), scope,
                          path[len(scope) + 1:], user, ttl, prefix="/api/v1/media/s")
    except (SignatureError, UnsafeKeyError, ValueError) as exc:
        raise CLIError(f"{exc}; paths look like videos/<asset_id>/master.m3u8") from None
    typer.echo(url)
