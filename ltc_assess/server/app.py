"""The office server's HTTP API (FastAPI over a psycopg connection pool); ``create_app`` builds it.

Every request runs in one PostgreSQL transaction: it commits when the handler returns and rolls back on any
error, so a dropped connection leaves nothing behind. A push is answered once queued; ``verifiers`` threads per
process verify and apply queued pushes, each in a transaction of its own (``server.queue``).
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from typing import Annotated, Any

import anyio
from fastapi import Depends, FastAPI, Header, Path, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from psycopg_pool import ConnectionPool, PoolTimeout
from starlette.exceptions import HTTPException as StarletteHTTPException

from ltc_assess import __version__
from ltc_assess.bundles import BundleRefused
from ltc_assess.errors import AppError, ErrorCode, LtcError
from ltc_assess.i18n import _
from ltc_assess.server import api_models as m
from ltc_assess.server import auth, checks, crl, dispatch, queue, uploads
from ltc_assess.server.language import RequestLanguage
from ltc_assess.server.limits import DEFAULT_LIMITS, BodyLimit, InFlight, Limits, TooLarge, size
from ltc_assess.server.push_wait import MAX_WAIT, PushWaiters
from ltc_assess.server.source import ServerSource
from ltc_assess.storage.pg import lifecycle as lifecycle_rows
from ltc_assess.storage.pg.repository import PgStore

PAGE = Query(default=100, ge=1, le=500)
ERRORS: dict[int | str, dict[str, Any]] = {code: {"model": m.Problem} for code in (401, 403, 404, 409, 413, 422, 503)}
Account = dict[str, str]


def store(request: Request) -> Iterator[PgStore]:
    with request.app.state.pool.connection() as con, con.transaction():
        yield PgStore(con)


# committed before the response is sent: a client never hears "done" of a change that is not yet durable
Store = Annotated[PgStore, Depends(store, scope="function")]
bearer = HTTPBearer(auto_error=False)


def account(store: Store, cred: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)]) -> Account:
    if cred is None:
        raise AppError(ErrorCode.AUTH, _("请先登录（POST /api/v1/auth/challenge，然后 /api/v1/auth/token）"))
    return auth.session_user(store, cred.credentials)


def check_role(who: Account, roles: tuple[str, ...]) -> Account:
    if who["role"] not in roles:
        raise AppError(ErrorCode.PERMISSION, _("{role} 不能执行此操作").format(role=who["role"]))
    return who


def role(*roles: str) -> Any:
    def check(who: Annotated[Account, Depends(account)]) -> Account:
        return check_role(who, roles)

    return check


WORKERS = ("assessor", "supervisor")
Worker = Annotated[Account, Depends(role(*WORKERS))]
Office = Annotated[Account, Depends(role("supervisor", "admin"))]
Insurer = Annotated[Account, Depends(role("insurer"))]


def warm_up() -> None:
    """What the first push of every worker process would otherwise wait for (seconds): the signature and PDF
    libraries, and the installed forms parsed and validated."""
    import ltc_assess.signing.cms
    import ltc_assess.signing.pades  # noqa: F401
    from ltc_assess.schema.registry import installed_forms

    installed_forms()


def create_app(conninfo: str, pool_size: int = 8, limits: Limits = DEFAULT_LIMITS, verifiers: int = 2) -> FastAPI:
    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        pool = ConnectionPool(conninfo, min_size=1, max_size=pool_size, open=False)
        pool.open(wait=True)
        app.state.pool = pool
        if conninfo:
            await anyio.to_thread.run_sync(warm_up)
        anyio.to_thread.current_default_thread_limiter().total_tokens = limits.in_flight + 10  # see InFlight
        app.state.verifiers = queue.Verifiers(
            pool, verifiers if conninfo else 0, limits.records_per_push, limits.lifecycle_per_push
        )
        app.state.verifiers.start()
        app.state.waiters = PushWaiters(conninfo)
        app.state.waiters.start()
        yield
        app.state.waiters.stop()
        app.state.verifiers.stop()
        pool.close()

    app = FastAPI(
        title="ltc-assess office server",
        version=__version__,
        summary="Sync for laptops and office desktops, visit dispatch, and the insurers' read-only decisions API.",
        lifespan=lifespan,
        responses=ERRORS,
    )
    app.add_middleware(BodyLimit, limits=limits)
    app.add_middleware(InFlight, limit=limits.in_flight)
    app.add_middleware(RequestLanguage)  # outermost: the 413s and 503s speak the request's language too

    @app.exception_handler(PoolTimeout)
    async def _busy(_request: Request, _exc: PoolTimeout) -> JSONResponse:
        headers = {"Retry-After": "5"}
        return JSONResponse({"error": "the server is busy; try again shortly", "refusals": []}, 503, headers)

    @app.exception_handler(TooLarge)
    async def _too_large(_request: Request, exc: TooLarge) -> JSONResponse:
        return JSONResponse({"error": exc.message, "refusals": []}, status_code=413)

    @app.exception_handler(RequestValidationError)
    async def _invalid(_request: Request, exc: RequestValidationError) -> JSONResponse:
        first = exc.errors()[0]
        place = ".".join(str(p) for p in first["loc"])
        return JSONResponse({"error": f"{place}: {first['msg']}", "refusals": []}, status_code=422)

    @app.exception_handler(StarletteHTTPException)
    async def _http(_request: Request, exc: StarletteHTTPException) -> JSONResponse:
        return JSONResponse({"error": str(exc.detail), "refusals": []}, status_code=exc.status_code)

    @app.exception_handler(BundleRefused)
    async def _refused(_request: Request, exc: BundleRefused) -> JSONResponse:
        return JSONResponse({"error": exc.message, "refusals": exc.refusals}, status_code=422)

    @app.exception_handler(LtcError)
    async def _error(_request: Request, exc: LtcError) -> JSONResponse:
        return JSONResponse({"error": exc.message, "refusals": []}, status_code=queue.status_of(exc))

    @app.post("/api/v1/auth/challenge", tags=["auth"])
    def challenge(body: m.ChallengeIn, store: Store) -> m.Challenge:
        """A one-time nonce to sign with the user's agency key (valid two minutes)."""
        return m.Challenge(**auth.challenge(store, body.username))

    @app.post("/api/v1/auth/token", tags=["auth"])
    def token(body: m.TokenIn, store: Store) -> m.Token:
        """A session token for a signed login statement (``{"audience","kind":"login","nonce","username"}``)."""
        try:
            signature = base64.b64decode(body.signature, validate=True)
        except (binascii.Error, ValueError):
            raise AppError(ErrorCode.AUTH, _("登录被拒绝")) from None
        return m.Token(**auth.exchange(store, ServerSource(store).root_certificate(), body.statement, signature))

    @app.post("/api/v1/uploads", tags=["sync"])
    def start_upload(body: m.UploadIn, store: Store, who: Worker) -> m.Upload:
        """Start (or find again) the upload of a bundle file, named by its SHA-256: resuming is asking again."""
        if body.size > limits.upload_bytes:
            raise TooLarge(
                _("{size} 的数据包超过本服务器接收的上限（{limit}）").format(
                    size=size(body.size), limit=size(limits.upload_bytes)
                )
            )
        found = uploads.start(store, body.sha256, body.size, who["username"])
        return m.Upload(**queue.with_push(store, found, who["username"]))

    @app.get("/api/v1/uploads/{sha256}", tags=["sync"])
    def upload_state(sha256: m.Sha, store: Store, who: Worker) -> m.Upload:
        return m.Upload(**queue.with_push(store, uploads.state(store, sha256), who["username"]))

    @app.patch(
        "/api/v1/uploads/{sha256}",
        tags=["sync"],
        openapi_extra={
            "requestBody": {
                "required": True,
                "content": {"application/octet-stream": {"schema": {"type": "string", "format": "binary"}}},
            }
        },
    )
    async def upload_chunk(
        sha256: m.Sha,
        request: Request,
        cred: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)],
        upload_offset: Annotated[int, Header(ge=0)],
    ) -> m.Upload:
        """Append bytes at ``Upload-Offset`` (which must equal what the server holds; else 409 with its count)."""
        data = bytearray()
        async for part in request.stream():  # at most limits.chunk_bytes (BodyLimit)
            data += part

        def append() -> dict[str, Any]:
            # a connection only once the bytes are here: a slow upload holds none of the pool
            with request.app.state.pool.connection() as con, con.transaction():
                store = PgStore(con)
                check_role(account(store, cred), WORKERS)
                return uploads.append(store, sha256, upload_offset, bytes(data))

        return m.Upload(**await run_in_threadpool(append))

    @app.post("/api/v1/uploads/{sha256}/apply", tags=["sync"], status_code=202)
    def apply_upload(
        sha256: m.Sha, request: Request, cred: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)]
    ) -> m.Upload:
        """Queue the complete bundle for verification and replay (the rules of ``bundle import``) and answer at
        once with its push (idempotent: the same bundle, the same push); ``GET /api/v1/pushes/{id}`` tells the
        outcome. A bundle whose bytes do not match its SHA-256 is dropped (``received`` 0: send it again)."""
        with request.app.state.pool.connection() as con, con.transaction():
            store = PgStore(con)
            found = queue.enqueue(store, sha256, check_role(account(store, cred), WORKERS)["username"])
        request.app.state.verifiers.wake()  # committed: a verifier of this process takes it now
        return m.Upload(**found)

    @app.get("/api/v1/pushes/{push_id}", tags=["sync"])
    async def push_state(
        push_id: Annotated[int, Path(ge=1, le=2**62)],
        request: Request,
        cred: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)],
        wait: Annotated[float, Query(ge=0, le=MAX_WAIT)] = 0,
    ) -> m.Push:
        """A push's state: queued, applied (with what changed) or refused (with the reasons); the pusher's only.
        With ``wait``, a queued push is answered once it is done or after that many seconds (long polling)."""

        def look() -> dict[str, Any]:
            with request.app.state.pool.connection() as con, con.transaction():
                store = PgStore(con)
                return queue.push_state(store, push_id, check_role(account(store, cred), WORKERS)["username"])

        return m.Push(**await request.app.state.waiters.until_done(push_id, wait, look))

    @app.get("/api/v1/sync/changes", tags=["sync"])
    def changes(store: Store, who: Worker, since: Annotated[int, Query(ge=0)] = 0, limit: int = PAGE) -> m.Changes:
        """Records changed after ``since`` that concern the caller, in the bundle format, oldest first."""
        rows = store.changes_for(who["username"], who["role"], since, limit + 1)
        page = rows[:limit]
        store.audit(who["username"], "sync.pull", "records", None, {"uids": [r["record"]["uid"] for r in page]})
        cursor = page[-1]["cursor"] if page else since
        return m.Changes(changes=[m.Change(**r) for r in page], cursor=cursor, more=len(rows) > limit)

    @app.get("/api/v1/sync/lifecycle", tags=["sync"])
    def lifecycle_changes(
        store: Store, who: Worker, since: Annotated[int, Query(ge=0)] = 0, limit: int = PAGE
    ) -> m.LifecycleChanges:
        """Signed after-the-decision records (conclusion, 公示, objection, care setting, letter) after ``since``
        that concern the caller, oldest first; the laptop judges each by the rules of ``bundle import``."""
        rows = lifecycle_rows.since(store, who["username"], who["role"], since, limit + 1)
        page = [
            m.LifecycleRecord(
                cursor=r["seq"],
                kind=r["kind"],
                payload=r["payload"],
                signature=base64.b64encode(bytes(r["signature"])).decode(),
                attachment=base64.b64encode(bytes(r["attachment"])).decode() if r["attachment"] is not None else None,
            )
            for r in rows[:limit]
        ]
        cursor = page[-1].cursor if page else since
        return m.LifecycleChanges(records=page, cursor=cursor, more=len(rows) > limit)

    @app.get(
        "/api/v1/sync/crl",
        tags=["sync"],
        response_class=Response,
        responses={
            200: {"content": {"application/x-pem-file": {"schema": {"type": "string"}}}},
            204: {"description": "the server holds no CRL yet"},
        },
    )
    def newest_crl(store: Store, who: Worker) -> Response:
        """The agency's newest revocation list the server holds (signed by the agency root; the laptop checks)."""
        pem = crl.current(store)
        if pem is None:
            return Response(status_code=204)
        return Response(pem, media_type="application/x-pem-file")

    @app.post("/api/v1/sync/crl", tags=["sync"])
    async def offer_crl(request: Request, store: Store, who: Worker) -> m.CrlTaken:
        """A desktop hands on the agency's CRL it holds: kept only if the agency root signed it and it is newer
        than the server's (as ``bundle import`` takes one)."""
        data = await request.body()
        number = crl.take(store, ServerSource(store).root_certificate(), data, who["username"])
        return m.CrlTaken(taken=number is not None, number=number)

    @app.get("/api/v1/audit/head", tags=["sync"])
    def audit_head(store: Store, who: Worker) -> m.AuditHead:
        """The last row of the agency's audit chain: what the client signs as a checkpoint after a sync."""
        return m.AuditHead(**checks.head(store))

    @app.post("/api/v1/audit/checkpoints", tags=["sync"], status_code=201)
    def checkpoint(body: m.CheckpointIn, store: Store, who: Worker) -> m.Checkpoint:
        """The caller's signature over the chain up to a row (checked: their certificate, the row's hash)."""
        return m.Checkpoint(**checks.accept(store, who["username"], body.payload, body.signature))

    @app.get("/api/v1/sync/tasks", tags=["dispatch"])
    def my_tasks(store: Store, who: Worker) -> list[m.Task]:
        """The visit tasks assigned to the caller (assessor A or B)."""
        return [m.Task(**t) for t in dispatch.tasks(store, assessor=who["username"])]

    @app.post("/api/v1/tasks/{uid}/link", tags=["dispatch"])
    def link(uid: m.Uid, body: m.LinkIn, store: Store, who: Worker) -> m.Task:
        """Link the assessment started from a task (after its record reached the server)."""
        return m.Task(**dispatch.link(store, uid, body.assessment_uid, who["username"]))

    @app.post("/api/v1/tasks", tags=["dispatch"], status_code=201)
    def create_task(body: m.TaskIn, store: Store, who: Office) -> m.Task:
        """Dispatch a visit (派单): person, form, assessors A and B, due date."""
        return m.Task(**dispatch.create(store, body.model_dump(mode="json"), who["username"]))

    @app.get("/api/v1/tasks", tags=["dispatch"])
    def all_tasks(store: Store, who: Office) -> list[m.Task]:
        """Every task with its state (assigned, started, submitted, returned, approved, overdue)."""
        return [m.Task(**t) for t in dispatch.tasks(store)]

    @app.get("/api/v1/decisions", tags=["insurer"])
    def decisions(store: Store, who: Insurer, since: Annotated[int, Query(ge=0)] = 0, limit: int = PAGE) -> m.Decisions:
        """Approved decisions (and their later supersession) changed after cursor ``since``, oldest first."""
        rows = dispatch.decisions(store, since, limit + 1)
        page = rows[:limit]
        store.audit(who["username"], "insurer.read", "decisions", None, {"uids": [r["uid"] for r in page]})
        cursor = page[-1]["cursor"] if page else since
        return m.Decisions(decisions=[m.Decision(**r) for r in page], cursor=cursor, more=len(rows) > limit)

    @app.get(
        "/api/v1/decisions/{uid}/report.pdf",
        tags=["insurer"],
        response_class=Response,
        responses={200: {"content": {"application/pdf": {"schema": {"type": "string", "format": "binary"}}}}},
    )
    def report(uid: m.Uid, store: Store, who: Insurer) -> Response:
        """The report PDF the supervisor signed for this decision (verify it with the agency root)."""
        pdf = dispatch.approved_report(store, uid)
        store.audit(who["username"], "insurer.report", "assessment", uid, {})
        return Response(pdf, media_type="application/pdf")

    @app.get(
        "/api/v1/decisions/{uid}/letter.pdf",
        tags=["insurer"],
        response_class=Response,
        responses={200: {"content": {"application/pdf": {"schema": {"type": "string", "format": "binary"}}}}},
    )
    def letter(uid: m.Uid, store: Store, who: Insurer) -> Response:
        """The newest 告知书 a supervisor signed for this decision (verify it with the agency root)."""
        pdf = dispatch.letter(store, uid)
        store.audit(who["username"], "insurer.letter", "assessment", uid, {})
        return Response(pdf, media_type="application/pdf")

    @app.get("/api/v1/publicity", tags=["insurer"])
    def publicity(
        store: Store,
        who: Insurer,
        date_from: Annotated[dt.date, Query(alias="from")],
        date_to: Annotated[dt.date, Query(alias="to")],
    ) -> m.Publicity:
        """The 公示名单: standing decisions whose 公示 began in the range, names and ID numbers masked."""
        entries = dispatch.publicity(store, date_from, date_to)
        span = {"from": date_from.isoformat(), "to": date_to.isoformat()}
        store.audit(who["username"], "insurer.publicity", "publicity", None, span)
        return m.Publicity(entries=[m.PublicityEntry(**e) for e in entries])

    return app


def openapi_text() -> str:
    """The OpenAPI document as committed in docs/openapi.json (the app needs no database to describe itself)."""
    import json

    return json.dumps(create_app("").openapi(), ensure_ascii=False, indent=2, sort_keys=True) + "\n"


def app_from_env() -> FastAPI:
    """The app for uvicorn's worker processes (``ltc-assess server --workers N``): PostgreSQL from $LTC_ASSESS_PG."""
    import os

    from ltc_assess.server.memory import tune_malloc

    tune_malloc()  # before the worker's threads exist (see memory)
    return create_app(os.environ["LTC_ASSESS_PG"])
