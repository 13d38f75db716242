"""What ``ltc-assess server`` becomes once the schema is migrated: uvicorn serving the app factory, nothing more.

Why a process of its own: with several workers the supervisor only starts and watches them, yet the CLI that
migrated kept the command-line tools, psycopg and the migrations in its memory (about 50 MB). The CLI replaces
itself with this module (``os.execv``, the same process id), which imports uvicorn and names the app by its
path, so the supervisor stays at about half that. Arguments: HOST PORT WORKERS [CERT KEY]; PostgreSQL from
$LTC_ASSESS_PG, as the workers read it.
"""

from __future__ import annotations

import sys


def serve(host: str, port: int, workers: int, cert: str | None, key: str | None) -> None:
    import uvicorn

    uvicorn.run(
        "ltc_assess.server.app:app_from_env",
        factory=True,
        workers=workers,
        host=host,
        port=port,
        ssl_certfile=cert,
        ssl_keyfile=key,
        log_level="warning",
        timeout_keep_alive=30,  # laptops pause between the requests of a sync; fewer dropped kept-alive connections
        timeout_graceful_shutdown=10,  # a stop waits this long for requests in flight (a push is durable anyway)
    )


def main(argv: list[str]) -> None:
    host, port, workers, *tls = argv
    cert, key = tls if tls else (None, None)
    serve(host, int(port), int(workers), cert, key)


if __name__ == "__main__":
    main(sys.argv[1:])
