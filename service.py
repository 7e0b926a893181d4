"""The HTTP service: the documented API contract over FastAPI, thin over ``assist``.

Routes parse, call ``assist`` (auth, store, tokens, brief programs, render) and map its errors to statuses;
no business rule lives here. Start it with ``assist serve`` (or ``uvicorn --factory service:create_app``).

The handoff page ``/agent-assist/{phone_number}`` is a static shell that asks for a key (kept in the tab's
sessionStorage, never in a URL) and fetches ``/core/agent-assist/{phone_number}`` as ``text/html``, which is
``assist.render.portal_html`` of a fresh brief: one renderer, and the secret travels only in the
``Authorization`` header.

A brief is made on every request and kept nowhere: a model program is built without the LM response cache
(so without its disk files and its history), nothing writes a brief to disk, and responses say ``no-store``.
The model's deadline is the program's own (``ASSIST_BRIEF_TIMEOUT_SECONDS``); a circuit breaker
(``assist.breaker``) answers with rules at once while the model keeps failing.
"""

from __future__ import annotations

import asyncio
import dataclasses
import hashlib
import logging
import threading
import time
from collections.abc import AsyncIterator, Callable, Coroutine, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import AbstractContextManager, asynccontextmanager, nullcontext
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Annotated, Any, Self

from fastapi import Depends, FastAPI, Header, HTTPException, Query, Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, JSONResponse
from fastapi.routing import APIRoute
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from pydantic import BaseModel, ConfigDict, Field, ValidationError
from starlette.concurrency import run_in_threadpool
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from assist import __version__
from assist.auth import (
    BRIEF_SCOPES,
    INGEST_SCOPES,
    LISTEN_SCOPES,
    READ_SCOPES,
    AuthStore,
    Caller,
    Forbidden,
    OrgHeaderRequired,
    Unauthenticated,
)
from assist.breaker import CircuitBreaker, Outcome
from assist.errors import (
    AssistError,
    ConversationExists,
    ConversationNotActive,
    DuplicateHeader,
    InvalidJson,
    InvalidPhoneNumber,
    NotFound,
    NoTranscript,
    NoTranscriptYet,
    field_path,
)
from assist.feedback import Feedback, NewFeedback
from assist.programs import BriefProgram, BriefResult, load_program
from assist.render import HANDOFF_PAGE, HANDOFF_PAGE_CSP, portal_html
from assist.schema import (
    ACTIVE_STATUSES,
    MAX_JSON_DEPTH,
    AgentAssistPortal,
    Conversation,
    NewConversation,
    NonEmpty,
    Seconds,
    Status,
    Timestamp,
    Turn,
    load_json,
)
from assist.settings import Settings
from assist.store import CallRecord, ConversationStore, Store, StoreUnavailable, open_store
from assist.tokens import ListenerToken, LiveKitCredentials, mint_listener_token

__all__ = ["create_app"]

log = logging.getLogger("assist.service")

#: Threads for model programs. A model that hangs holds one until the program's deadline; the breaker keeps a
#: failing model from holding them all.
_MODEL_THREADS = 8
#: How long past a program's own deadline the service still waits for its brief (its rules fallback included)
#: before the backstop answers with rules; the backstop only fires for a program that ignores its deadline.
_BACKSTOP_GRACE_S = 1.0
#: Above the largest conversation the schema admits (MAX_TRANSCRIPT_CHARS) with JSON overhead.
MAX_BODY_BYTES = 4 * 1024 * 1024
_TOO_LARGE = f"request body larger than {MAX_BODY_BYTES:,} bytes"
#: What a 503 tells a client while the store cannot be reached: its pool gives up on a connection within
#: ASSIST_DB_POOL_TIMEOUT_SECONDS, and a server restart is usually over within a few seconds.
_RETRY_AFTER_S = 5
_STORE_DOWN = "the conversation store is unavailable; try again in a few seconds"
_UNAVAILABLE = (
    "The conversation store cannot be reached (its database is down or restarting); sent with "
    f"`Retry-After: {_RETRY_AFTER_S}`"
)


# --- API shapes ----------------------------------------------------------------------------------


class ErrorBody(BaseModel):
    detail: str = Field(description="One line saying what went wrong")
    code: str | None = Field(
        None,
        description="A stable name for an error a client acts on, sent only with such errors: "
        "`no_transcript_yet` (the newest call has no turns yet; ask again once something has been said), "
        "`no_transcript` (the newest call failed before anything was said; it will never have a brief)",
    )


class Health(BaseModel):
    status: str = "ok"


class ConversationInfo(BaseModel):
    """A conversation without its transcript: what ingest returns and ``conversations:read`` may see."""

    id: str
    user_id: str = Field(description="Caller id, E.164")
    status: Status
    active: bool = Field(description="True for triggered, ringing and in_progress")
    room_name: str | None
    created_at: datetime
    ended_at: datetime | None
    duration_seconds: int | None
    turns: int = Field(description="Number of turns recorded")

    @classmethod
    def of(cls, conversation: Conversation) -> ConversationInfo:
        return cls(
            id=conversation.id,
            user_id=conversation.user_id,
            status=conversation.status,
            active=conversation.is_active,
            room_name=conversation.room_name,
            created_at=conversation.created_at,
            ended_at=conversation.ended_at,
            duration_seconds=conversation.duration_seconds,
            turns=len(conversation.turns),
        )

    @classmethod
    def of_call(cls, record: CallRecord) -> Self:
        """From the store's record of a call, read without its transcript (:meth:`assist.store.Store.call`)."""
        return cls(active=record.status in ACTIVE_STATUSES, **dataclasses.asdict(record))


class CallerCall(ConversationInfo):
    """One call of a caller's history: what it was, never what was said."""

    transfer_reason: str | None = Field(
        description="The conversation's `metadata.transfer_reason` when the platform recorded one; "
        "briefs are never stored, so none is made up here"
    )


class CallerHistory(BaseModel):
    conversations: list[CallerCall] = Field(description="Newest first (`created_at`, then id)")
    next_cursor: str | None = Field(
        description="Pass it as `cursor` for the next page; null on the last page"
    )


class FeedbackList(BaseModel):
    feedback: list[Feedback] = Field(description="Oldest first")


class ConversationPatch(BaseModel):
    """Platform-side changes to a conversation; fields left out stay as they are, turns are appended."""

    model_config = ConfigDict(extra="forbid")

    status: Status | None = None
    room_name: NonEmpty | None = None
    ended_at: Timestamp | None = None
    duration_seconds: Seconds | None = None
    append_turns: list[Turn] = Field(default_factory=list)


def _errors(*statuses: int) -> dict[int | str, dict[str, Any]]:
    descriptions = {
        400: "Bad request: a pat_ without X-Anyreach-Org, Authorization or X-Anyreach-Org sent twice, "
        "or a path value that is not a phone number",
        401: "Missing, unknown or revoked secret",
        403: "X-Anyreach-Org not allowed for this secret, or a scope is missing",
        404: "Not found in the caller's organization",
        409: "Conflict with the conversation's state",
        413: f"The request body is larger than {MAX_BODY_BYTES:,} bytes",
        422: f"The request body or parameters do not validate (JSON nested deeper than {MAX_JSON_DEPTH} levels "
        "included)",
        503: _UNAVAILABLE,
    }
    # Every route asks the store (for a key, a conversation), so any of them may find it down.
    return {status: {"model": ErrorBody, "description": descriptions[status]} for status in (*statuses, 503)}


# --- the service ---------------------------------------------------------------------------------


@dataclass
class Service:
    store: Store
    auth: AuthStore
    credentials: LiveKitCredentials
    token_ttl: timedelta
    program: BriefProgram
    rules: BriefProgram
    #: The program's own deadline for one brief (``timeout_s``), when it keeps one.
    model_deadline_s: float | None
    #: The service's wait for a model brief: a backstop for programs that ignore their deadline, not a second
    #: deadline (the model's deadline is the program's, which falls back to rules by itself when it passes).
    backstop_s: float
    breaker: CircuitBreaker
    owns_store: bool
    models: ThreadPoolExecutor = field(
        default_factory=lambda: ThreadPoolExecutor(_MODEL_THREADS, thread_name_prefix="assist-brief")
    )
    #: Held around every write. DuckDB takes one writing thread at a time; PostgreSQL keeps writers apart itself
    #: (ON CONFLICT, FOR UPDATE), and a lock there would queue each write behind the others' wait for a connection.
    ingest_lock: AbstractContextManager[object] = field(default_factory=threading.Lock)

    async def brief_for_phone(
        self, org_id: str, phone_number: str, *, media: str, if_none_match: str | None = None
    ) -> PortalAnswer:
        """A fresh brief of the caller's newest conversation, unless ``if_none_match`` names the brief it would get.

        rules runs in the same worker thread as the lookup (one hop per request), with no deadline: it reads at
        most ``READ_CHARS`` of any call (``assist.programs.rules.reading``), so it answers in a fraction of a
        second whatever the conversation. A model program gets its own pool, and rules answers when it fails,
        raises, outlives the backstop, or the breaker is open.
        """
        if self.program is self.rules:
            return await run_in_threadpool(self._rules_for_phone, org_id, phone_number, media, if_none_match)
        conversation, etag = await run_in_threadpool(self._newest, org_id, phone_number, media)
        if _matches(if_none_match, etag):
            return PortalAnswer(conversation, etag, None)
        result = await self._model_brief(conversation)
        return PortalAnswer(conversation, _tag_of(org_id, conversation, result, media), result)

    def _newest(self, org_id: str, phone_number: str, media: str) -> tuple[Conversation, str]:
        """The caller's newest conversation and the ETag of the brief the configured program would make of it."""
        conversation = self.store.newest_for_phone(org_id, phone_number).require_transcript()
        version = getattr(self.program, "prompt_version", None)
        return conversation, _brief_tag(
            org_id, conversation, program=self.program.name, prompt_version=version, media=media
        )

    async def _model_brief(self, conversation: Conversation) -> BriefResult:
        permit = self.breaker.admit()
        if permit is None:  # the breaker logged when it opened; one line per request would drown that
            return await self._rules_instead(
                conversation,
                f"{self.program.name} not asked: its breaker is open after failures "
                f"(probed again {self.breaker.cooldown_s:g}s after the last one)",
            )
        outcome = Outcome.ABANDONED  # what the breaker hears if this request is cancelled while it waits
        try:
            answer, outcome = await self._ask_model(conversation)
        finally:
            self.breaker.record(permit, outcome)
        if isinstance(answer, BriefResult):
            return answer
        log.warning("brief program %s answered with rules: %s", self.program.name, answer)
        return await self._rules_instead(conversation, answer)

    async def _ask_model(self, conversation: Conversation) -> tuple[BriefResult | str, Outcome]:
        """The model program's brief (possibly its own rules fallback), or why there is none; and the outcome."""
        future = asyncio.wrap_future(self.models.submit(self._timed_brief, conversation))
        try:
            result, seconds = await asyncio.wait_for(future, self.backstop_s)
        except TimeoutError:
            return f"{self.program.name} gave no brief within {self.backstop_s:g}s", Outcome.TIMEOUT
        except Exception as exc:  # noqa: BLE001 - any model failure is answered by rules, never a 5xx
            return f"{self.program.name} failed: {type(exc).__name__}", Outcome.FAILURE
        if not result.fallback:  # a brief with some sections salvaged from rules is still the model's
            return result, Outcome.SUCCESS
        # The program fell back by itself; operators should still hear why.
        log.warning("brief program %s answered with rules: %s", self.program.name, result.fallback_reason)
        # A fallback that took the program's whole deadline is a hang, the failure that costs every caller the
        # most, so it opens the breaker at once; a quick one (an error, an unreadable answer) counts towards it.
        hung = self.model_deadline_s is not None and seconds >= self.model_deadline_s
        return result, Outcome.TIMEOUT if hung else Outcome.FAILURE

    def _timed_brief(self, conversation: Conversation) -> tuple[BriefResult, float]:
        """The model program's brief and its duration, measured in the worker so time queued is not counted."""
        started = time.monotonic()
        result = self.program.brief(conversation)
        return result, time.monotonic() - started

    async def _rules_instead(self, conversation: Conversation, reason: str) -> BriefResult:
        result = await run_in_threadpool(self.rules.brief, conversation)
        return result.model_copy(update={"fallback": True, "fallback_reason": reason})

    def _rules_for_phone(
        self, org_id: str, phone_number: str, media: str, if_none_match: str | None
    ) -> PortalAnswer:
        conversation, etag = self._newest(org_id, phone_number, media)
        if _matches(if_none_match, etag):
            return PortalAnswer(conversation, etag, None)
        return PortalAnswer(conversation, etag, self.rules.brief(conversation))


@dataclass(frozen=True)
class PortalAnswer:
    """A caller's newest conversation and the ETag of its brief, with the brief unless the client has it."""

    conversation: Conversation
    etag: str
    #: None when the request's ``If-None-Match`` named ``etag``: no program ran.
    result: BriefResult | None


def _brief_tag(
    org_id: str, conversation: Conversation, *, program: str, prompt_version: str | None, media: str
) -> str:
    """A weak ETag of a brief, from what it is made of (the stored conversation, the program and its prompt, the
    kit that renders it, the media type) rather than from the brief, so a request can be answered 304 before any
    program runs. Weak: two briefs of one conversation by a model may differ in wording, not in meaning."""
    digest = hashlib.sha256()
    for part in (__version__, org_id, media, program, prompt_version or "", conversation.model_dump_json()):
        digest.update(part.encode("utf-8"))
        digest.update(b"\x1f")
    return f'W/"{digest.hexdigest()[:32]}"'


def _tag_of(org_id: str, conversation: Conversation, result: BriefResult, media: str) -> str:
    """The ETag of the brief made: a rules fallback's differs from the model's, so the next poll asks again."""
    return _brief_tag(
        org_id, conversation, program=result.program, prompt_version=result.prompt_version, media=media
    )


def _matches(if_none_match: str | None, etag: str) -> bool:
    """``If-None-Match`` (a list of tags, or ``*``) against ``etag``, by weak comparison as RFC 9110 says."""
    if not if_none_match:
        return False
    wanted = etag.removeprefix("W/")
    return any(
        tag == "*" or tag.removeprefix("W/") == wanted
        for tag in (t.strip() for t in if_none_match.split(","))
    )


def _deadline_of(program: BriefProgram) -> float | None:
    """The program's own deadline for one brief, when it keeps one (``timeout_s``, as the dspy program does)."""
    timeout_s = getattr(program, "timeout_s", None)
    if isinstance(timeout_s, int | float) and timeout_s > 0:
        return float(timeout_s)
    return None


# Dependencies that do no I/O are async so FastAPI does not hop to a worker thread for them.
async def _service(request: Request) -> Service:
    service: Service = request.app.state.service
    return service


ServiceDep = Annotated[Service, Depends(_service)]


async def _store(service: ServiceDep) -> Store:
    return service.store


StoreDep = Annotated[Store, Depends(_store)]

_bearer = HTTPBearer(
    auto_error=False,
    bearerFormat="ak_… or pat_…",
    description="Organization API key or personal access token",
)


async def _caller(
    service: ServiceDep,
    request: Request,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
    org: Annotated[
        str | None,
        Header(
            alias="X-Anyreach-Org", description="Organization id; required with pat_, must match with ak_"
        ),
    ] = None,
) -> Caller:
    for name in ("Authorization", "X-Anyreach-Org"):  # before authenticating: either copy could be the one
        if len(request.headers.getlist(name)) > 1:
            raise DuplicateHeader(f"{name} header sent more than once; send it once")
    authorization = f"{credentials.scheme} {credentials.credentials}" if credentials else None
    # A key seen in the last seconds is checked here; only asking the store is worth a worker thread.
    caller = service.auth.remembered(authorization, org)
    if caller is None:
        caller = await run_in_threadpool(service.auth.authenticate, authorization, org)
    return caller


CallerDep = Annotated[Caller, Depends(_caller)]


def _error(status: int, exc: AssistError, headers: dict[str, str] | None = None) -> JSONResponse:
    body = {"detail": str(exc).splitlines()[0] if str(exc) else type(exc).__name__}
    if exc.code is not None:
        body["code"] = exc.code
    return JSONResponse(body, status, headers)


def _status_of(exc: AssistError) -> int:
    if isinstance(exc, Unauthenticated):
        return 401
    if isinstance(exc, OrgHeaderRequired | InvalidPhoneNumber | DuplicateHeader):
        return 400
    if isinstance(exc, Forbidden):
        return 403
    if isinstance(exc, NotFound):
        return 404
    if isinstance(exc, ConversationNotActive | ConversationExists | NoTranscriptYet | NoTranscript):
        return 409
    if isinstance(exc, StoreUnavailable):
        return 503
    return 422


def _add_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(AssistError)
    async def assist_error(request: Request, exc: AssistError) -> JSONResponse:
        status = _status_of(exc)
        if status == 503:
            # The operator needs the reason (which server, what failed); the client only that it will pass.
            log.warning("store unavailable in %s %s: %s", request.method, _route_of(request.scope), exc)
            return JSONResponse({"detail": _STORE_DOWN}, 503, {"Retry-After": str(_RETRY_AFTER_S)})
        return _error(status, exc, {"WWW-Authenticate": "Bearer"} if status == 401 else None)

    @app.exception_handler(RequestValidationError)
    async def invalid_request(_: Request, exc: RequestValidationError) -> JSONResponse:
        return _invalid(exc.errors())

    # A change that breaks the stored shape (e.g. PATCH appending past the turn limit) fails model validation
    # inside the store: the caller's input was invalid, not the server. Its fields are named as the body's are.
    @app.exception_handler(ValidationError)
    async def invalid_change(_: Request, exc: ValidationError) -> JSONResponse:
        return _invalid([{**error, "loc": ("body", *error["loc"])} for error in exc.errors()])


class _BodyRefused(HTTPException):
    """A request body refused while it streams in or as it is parsed. Raised from ``receive`` or
    ``Request.json``: FastAPI passes an HTTPException met while reading a body on to its handler, which answers
    ``{"detail": ...}`` with this status."""


class _StrictJsonRequest(Request):
    """A request whose JSON body is read by the kit's one JSON reader (``assist.schema.load_json``): NaN, numbers
    out of range, a key given twice or nesting past ``MAX_JSON_DEPTH`` are a 422 naming the field, where FastAPI's
    ``json.loads`` would accept them (and PostgreSQL then fail) or answer 400 without saying why."""

    async def json(self) -> Any:
        if not hasattr(self, "_json"):
            try:
                self._json = load_json(await self.body())
            except InvalidJson as exc:
                where = field_path(("body", *exc.path), default="body")
                raise _BodyRefused(422, f"{where}: {exc.problem}") from None
        return self._json


class _StrictJsonRoute(APIRoute):
    """A route that reads its JSON body with :class:`_StrictJsonRequest` (FastAPI's documented way to change how a
    body is read); routes without a body are left as they are."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()
        if self.body_field is None:
            return handler

        async def strict(request: Request) -> Response:
            return await handler(_StrictJsonRequest(request.scope, request.receive))

        return strict


def _route_of(scope: Scope) -> str:
    """The route template a request matched (``/core/agent-assist/{phone_number}``), never its path: a path holds
    a caller's phone number or a conversation id, which logs must not keep."""
    route = scope.get("route")
    return route.path if isinstance(route, APIRoute) else "(no route)"


class _ContainFailures:
    """Outermost ASGI layer: guards request bodies, and turns any unexpected error into a bare 500.

    A body over ``MAX_BODY_BYTES`` gets 413 as soon as that is known: from its Content-Length before any of it
    is read, or, sent chunked, once the bytes received pass the limit, so no more than that is ever held.

    Messages of unexpected errors can quote stored transcripts, so only their kind and route template are logged;
    catching here, outside Starlette's error middleware, also keeps the server from logging the traceback.
    Pure ASGI rather than ``@app.middleware``: that wrapper costs every request a fifth of its throughput.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        length = dict(scope["headers"]).get(b"content-length", b"")
        if length.isdigit() and int(length) > MAX_BODY_BYTES:
            await JSONResponse({"detail": _TOO_LARGE}, 413)(scope, receive, send)
            return
        size = 0

        async def guarded_receive() -> Message:
            nonlocal size
            message = await receive()
            if message["type"] != "http.request":
                return message
            chunk: bytes = message.get("body", b"")
            size += len(chunk)
            if size > MAX_BODY_BYTES:
                raise _BodyRefused(413, _TOO_LARGE)
            return message

        started = False

        async def tracking_send(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, guarded_receive, tracking_send)
        except Exception as exc:  # noqa: BLE001 - the last line of defence: a 500 without details
            log.error("unhandled %s in %s %s", type(exc).__name__, scope["method"], _route_of(scope))
            if not started:
                await JSONResponse({"detail": "internal error"}, 500)(scope, receive, send)


def _invalid(errors: Sequence[Any]) -> JSONResponse:
    first = errors[0] if errors else {"loc": (), "msg": "invalid request"}
    where = field_path(first["loc"], default="request")
    return JSONResponse({"detail": f"{where}: {first['msg']}"}, 422)


def _wants_html(request: Request) -> bool:
    accept = request.headers.get("accept", "")
    return "text/html" in accept and "application/json" not in accept


_NO_STORE = {"Cache-Control": "no-store"}


def create_app(
    settings: Settings | None = None,
    *,
    credentials: LiveKitCredentials | None = None,
    store: Store | None = None,
    program: BriefProgram | None = None,
) -> FastAPI:
    """The service app. Refuses to build without LiveKit credentials (``assist serve --dev`` makes some).

    ``store`` (default: ``settings.assist_db``) is shared, not closed, when given; ``program`` defaults to
    ``settings.brief_program`` with the brief deadline and no LM response cache.
    """
    settings = settings or Settings()
    credentials = credentials or settings.livekit()
    rules = load_program("rules")
    if program is None:
        program = (
            rules
            if settings.brief_program == "rules"
            # No response cache: it would keep every brief's text on disk, and an identical request must reach
            # the model again anyway (the conversation may be the same, the brief is made fresh).
            else load_program(
                settings.brief_program, timeout_s=settings.assist_brief_timeout_seconds, cache=False
            )
        )
    deadline = _deadline_of(program)
    backstop = settings.assist_brief_timeout_seconds if deadline is None else deadline + _BACKSTOP_GRACE_S
    owns_store = store is None
    store = store or open_store(
        settings.assist_db,
        pool_size=settings.assist_db_pool_size,
        pool_timeout_s=settings.assist_db_pool_timeout_seconds,
    )
    service = Service(
        store=store,
        auth=AuthStore(store, cache_seconds=settings.assist_auth_cache_seconds),
        credentials=credentials,
        token_ttl=settings.token_ttl,
        program=program,
        rules=rules,
        model_deadline_s=deadline,
        backstop_s=backstop,
        breaker=CircuitBreaker(name=program.name, cooldown_s=settings.assist_breaker_cooldown_seconds),
        owns_store=owns_store,
        ingest_lock=threading.Lock() if isinstance(store, ConversationStore) else nullcontext(),
    )

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        yield
        service.models.shutdown(wait=False, cancel_futures=True)
        if service.owns_store:
            service.store.close()

    app = FastAPI(
        title="agent-assist-kit",
        version="0.1.0",
        summary="Listen-only LiveKit tokens and AI handoff briefs",
        lifespan=lifespan,
    )
    app.state.service = service
    app.router.route_class = _StrictJsonRoute
    _add_error_handlers(app)
    app.add_middleware(_ContainFailures)
    _add_routes(app)
    return app


def _add_routes(app: FastAPI) -> None:
    @app.get(
        "/healthz",
        response_model=Health,
        responses={503: {"model": ErrorBody, "description": _UNAVAILABLE}},
        tags=["ops"],
    )
    def healthz(store: StoreDep) -> Health:
        """Up, and the store answers."""
        store.ping()
        return Health()

    @app.post(
        "/core/conversations/{conversation_id}/listener-token",
        response_model=ListenerToken,
        responses=_errors(400, 401, 403, 404, 409, 422),
        tags=["listen"],
    )
    def listener_token(conversation_id: str, caller: CallerDep, service: ServiceDep) -> Response:
        """A short-lived, listen-only LiveKit token for an active conversation of the caller's organization.

        Scope `conversations:read_sensitive` or `conversations:manage`.
        """
        caller.require(LISTEN_SCOPES)
        # The call without its transcript: decoding and validating every turn was a quarter of a token's CPU.
        call = service.store.call(caller.org_id, conversation_id)
        token = mint_listener_token(call, credentials=service.credentials, ttl=service.token_ttl)
        # Dumped as the brief is: FastAPI would validate the model it was just built as again (~8% of a request).
        return Response(token.model_dump_json(), media_type="application/json", headers=_NO_STORE)

    @app.get(
        "/core/agent-assist/{phone_number}",
        response_model=AgentAssistPortal,
        responses={
            200: {
                "description": "A fresh brief; `text/html` (its rendering) when the request asks for it",
                "content": {"text/html": {"schema": {"type": "string"}}},
                "headers": {
                    "ETag": {
                        "description": "Weak tag of what the brief is made of; send it as `If-None-Match`",
                        "schema": {"type": "string"},
                    },
                    "X-Assist-Program": {
                        "description": "The program that produced this brief: rules when the model failed, "
                        "was too slow or is resting after failures (circuit breaker open)",
                        "schema": {"type": "string"},
                    },
                    "X-Assist-Rules-Sections": {
                        "description": "Sections of a model's brief that rules filled because the model's "
                        "answer for them could not be used, comma-separated (e.g. `markers,call_summary`). "
                        "Absent when the model wrote every section, and when rules wrote the whole brief.",
                        "schema": {"type": "string"},
                    },
                    "X-Assist-Conversation-Id": {
                        "description": "The conversation briefed (the caller's newest): where feedback on "
                        "this brief goes",
                        "schema": {"type": "string"},
                    },
                    "X-Assist-Prompt-Version": {
                        "description": "The model prompt's version, with `X-Assist-Program` the brief's name "
                        "in feedback and eval runs; absent for a brief made without a model prompt",
                        "schema": {"type": "string"},
                    },
                },
            },
            304: {"description": "The brief named by `If-None-Match` is current; no brief was made"},
            **_errors(400, 401, 403, 404, 409, 422),
        },
        tags=["brief"],
    )
    async def agent_assist(
        phone_number: str,
        caller: CallerDep,
        service: ServiceDep,
        request: Request,
        if_none_match: Annotated[
            str | None,
            Header(description="The `ETag` of a brief you hold: 304, and no brief made, while it is current"),
        ] = None,
    ) -> Response:
        """A fresh brief of the newest conversation whose caller is `phone_number`; never stored or cached.

        Scope `conversations:read_sensitive`. The `+` may arrive percent-encoded; formatting is ignored.
        The `ETag` names what the brief is made of (the conversation as stored, the program and its prompt);
        with `If-None-Match` naming it, the answer is 304 and no program runs, so polling a live call costs
        a brief only when the conversation changed.
        """
        caller.require(BRIEF_SCOPES)
        media = "text/html" if _wants_html(request) else "application/json"
        answer = await service.brief_for_phone(
            caller.org_id, phone_number, media=media, if_none_match=if_none_match
        )
        headers = {"ETag": answer.etag, "Vary": "Accept", **_NO_STORE}
        result = answer.result
        if result is None:
            return Response(status_code=304, headers=headers)
        headers["X-Assist-Program"] = result.program
        headers["X-Assist-Conversation-Id"] = answer.conversation.id
        if result.prompt_version is not None:
            headers["X-Assist-Prompt-Version"] = result.prompt_version
        if result.sections_from_rules and not result.fallback:
            headers["X-Assist-Rules-Sections"] = ",".join(result.sections_from_rules)
        if media == "text/html":
            conversation = answer.conversation
            live_since = conversation.created_at if conversation.is_active else None
            return HTMLResponse(portal_html(result.portal, live_since=live_since), headers=headers)
        return Response(result.portal.model_dump_json(), media_type="application/json", headers=headers)

    @app.get(
        "/core/conversations/{conversation_id}",
        response_model=ConversationInfo,
        responses=_errors(400, 401, 403, 404, 422),
        tags=["conversations"],
    )
    def get_conversation(conversation_id: str, caller: CallerDep, store: StoreDep) -> ConversationInfo:
        """Status and room of a conversation, without its transcript. Any `conversations:*` scope."""
        caller.require(READ_SCOPES)
        return ConversationInfo.of_call(store.call(caller.org_id, conversation_id))

    @app.post(
        "/core/conversations",
        status_code=201,
        response_model=ConversationInfo,
        responses=_errors(400, 401, 403, 409, 413, 422),
        tags=["conversations"],
    )
    def create_conversation(
        conversation: NewConversation, caller: CallerDep, service: ServiceDep
    ) -> ConversationInfo:
        """Platform-side ingest of a new conversation. Scope `conversations:manage`.

        Ids are per organization: the same id in another organization is a different conversation.
        """
        caller.require(INGEST_SCOPES)
        # the store refuses an id the organization has (409) atomically, across service workers too
        with service.ingest_lock:  # DuckDB: one writing thread at a time
            return ConversationInfo.of(service.store.insert(caller.org_id, conversation))

    @app.patch(
        "/core/conversations/{conversation_id}",
        response_model=ConversationInfo,
        responses=_errors(400, 401, 403, 404, 413, 422),
        tags=["conversations"],
    )
    def update_conversation(
        conversation_id: str, patch: ConversationPatch, caller: CallerDep, service: ServiceDep
    ) -> ConversationInfo:
        """Change status, room, end time or duration; append turns. Scope `conversations:manage`."""
        caller.require(INGEST_SCOPES)
        with service.ingest_lock:
            updated = service.store.update(
                caller.org_id,
                conversation_id,
                status=patch.status,
                room_name=patch.room_name,
                ended_at=patch.ended_at,
                duration_seconds=patch.duration_seconds,
                append_turns=patch.append_turns,
            )
        return ConversationInfo.of(updated)

    @app.get(
        "/core/callers/{phone_number}/conversations",
        response_model=CallerHistory,
        responses=_errors(400, 401, 403, 404, 422),
        tags=["conversations"],
    )
    def caller_conversations(
        phone_number: str,
        caller: CallerDep,
        store: StoreDep,
        response: Response,
        limit: Annotated[int, Query(ge=1, le=100, description="Calls in one page")] = 20,
        cursor: Annotated[
            str | None, Query(max_length=512, description="The `next_cursor` of the page before")
        ] = None,
    ) -> CallerHistory:
        """The calls of the caller `phone_number` in the key's organization, newest first, without transcripts.

        Any `conversations:*` scope. 404 when the organization has no call from the number (as for its brief),
        400 when it is not a phone number, 422 for a cursor this API did not give.
        """
        caller.require(READ_SCOPES)
        records, next_cursor = store.calls_for_phone(caller.org_id, phone_number, limit=limit, cursor=cursor)
        response.headers.update(_NO_STORE)
        return CallerHistory(conversations=[CallerCall.of_call(r) for r in records], next_cursor=next_cursor)

    @app.post(
        "/core/conversations/{conversation_id}/feedback",
        status_code=201,
        response_model=Feedback,
        responses=_errors(400, 401, 403, 404, 413, 422),
        tags=["feedback"],
    )
    def post_feedback(
        conversation_id: str, feedback: NewFeedback, caller: CallerDep, service: ServiceDep
    ) -> Feedback:
        """A person's verdict on one section of a brief of this conversation: helpful or wrong, and an optional
        comment. Scope `conversations:read_sensitive`, as for reading the brief.

        The brief is named by the headers it came with (`X-Assist-Program`, `X-Assist-Prompt-Version`), never
        by its text, which is neither sent nor kept.
        """
        caller.require(BRIEF_SCOPES)
        received = Feedback.received(feedback, conversation_id=conversation_id)
        with service.ingest_lock:  # DuckDB: one writing thread at a time
            service.store.add_feedback(caller.org_id, received)
        return received

    @app.get(
        "/core/conversations/{conversation_id}/feedback",
        response_model=FeedbackList,
        responses=_errors(400, 401, 403, 404, 422),
        tags=["feedback"],
    )
    def list_feedback(
        conversation_id: str, caller: CallerDep, store: StoreDep, response: Response
    ) -> FeedbackList:
        """The feedback on briefs of this conversation. Scope `conversations:read_sensitive`."""
        caller.require(BRIEF_SCOPES)
        found = store.list_feedback(caller.org_id, conversation_id=conversation_id)
        if not found:
            store.get(caller.org_id, conversation_id)  # no feedback yet, or no such conversation (404)
        response.headers.update(_NO_STORE)
        return FeedbackList(feedback=found)

    @app.get("/agent-assist/{phone_number}", response_class=HTMLResponse, include_in_schema=False)
    async def handoff_page(phone_number: str) -> HTMLResponse:
        """The deep-link handoff page; the same shell for every number (it holds no data)."""
        return HTMLResponse(
            HANDOFF_PAGE,
            headers={
                "Content-Security-Policy": HANDOFF_PAGE_CSP,
                "Referrer-Policy": "no-referrer",
                "X-Content-Type-Options": "nosniff",
                **_NO_STORE,
            },
        )
