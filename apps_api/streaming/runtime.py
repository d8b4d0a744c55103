"""What the streaming routes share within one API app: storage, live ingest, chat.

Built once by :func:`apps_api.main.create_app` from the app's settings and the
streaming config (never read back from process state), kept on the app state,
and closed by the app's lifespan: stopping the live ingest listeners when the
API stops instead of at interpreter exit.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Request

from apps_api.streaming import jobs as jobs_mod
from apps_api.streaming.config import StreamingConfig
from apps_api.streaming.live import ChatHub, LiveIngestManager
from apps_api.streaming.storage import LocalStorage, S3Storage, get_storage
from suuupra.settings import Settings


@dataclass
class Runtime:
    settings: Settings
    config: StreamingConfig
    storage: LocalStorage | S3Storage
    live_storage: LocalStorage
    ingest: LiveIngestManager
    chat: ChatHub
    chunk_limit: int

    @property
    def secret(self) -> str:
        return self.settings.media_signing_secret.get_secret_value()

    def job_context(self) -> jobs_mod.JobContext:
        return jobs_mod.JobContext.from_settings(self.settings, self.config)

    def close(self) -> None:
        self.ingest.stop_all()


def build_runtime(settings: Settings, config: StreamingConfig, max_body_bytes: int) -> Runtime:
    """The streaming runtime of one app; ``max_body_bytes`` is the API's request-body cap,
    which a resumable-upload chunk must also fit."""
    ingest = LiveIngestManager(settings.media_dir, config.live_host, (config.live_port_min, config.live_port_max),
                               config.live_list_size)
    return Runtime(settings=settings, config=config, storage=get_storage(settings, config),
                   live_storage=LocalStorage(settings.media_dir), ingest=ingest,
                   chat=ChatHub(config.chat_max_chars, config.chat_history),
                   chunk_limit=min(config.max_chunk_bytes, max_body_bytes))


def get_runtime(request: Request) -> Runtime:
    return request.app.state.suuupra.streaming


RuntimeDep = Annotated[Runtime, Depends(get_runtime)]
