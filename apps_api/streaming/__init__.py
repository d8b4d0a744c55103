"""Video streaming for the API: upload, HLS ABR transcoding, signed playback, live classes.

Pieces are small modules with one job each (see ``docs/streaming.md``):
``ffmpeg`` (probe/encode), ``ladder`` (which renditions), ``hls`` (packaging),
``storage`` (local dir or S3), ``signing`` (HMAC URLs), ``jobs`` (persisted
transcode jobs run as Ray tasks), ``serving`` (Range/caching), ``live``
(ingest listener + chat) and ``router`` (the FastAPI routes).
"""
