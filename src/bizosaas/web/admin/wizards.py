"""The wizards' pages: the list of wizards and of my drafts, one step at a time with a
progress indicator, a review of every answer, and the outcome. Plain forms that post and
redirect, so they work without JavaScript; each page is drawn from the wizard API's
answer (its steps' JSON Schemas), so a new wizard needs no page of its own."""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Path, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.datastructures import UploadFile

from bizosaas.web.admin.forms import refused
from bizosaas.web.admin.frame import Admin, admin_page, api
from bizosaas.web.admin.wizard_forms import (
    FormField,
    answer_of,
    defaults_of,
    fields_of_schema,
    readable,
    shown_values,
    with_choices,
)
from bizosaas.web.api import ApiError, VisitorApi
from bizosaas.web.shell import FormState, genuine_form

router = APIRouter(prefix="/admin/wizards", tags=["admin"])
W = "/api/v1/wizards"
RESULTS = "/api/v1/gamification/analytics/results"
MAX_UPLOAD = 900_000  # bytes of a file a step takes: under every service's body limit
HOME = "/admin/wizards"
StepKey = Annotated[str, Path(pattern=r"^[a-z][a-z0-9_-]{0,39}$")]
WizardKey = Annotated[str, Path(pattern=r"^[a-z][a-z0-9-]{0,39}$")]


def _here(draft_id: uuid.UUID, step: str | None = None) -> str:
    return f"{HOME}/drafts/{draft_id}" + (f"?step={step}" if step else "")


@router.get("", response_class=HTMLResponse)
async def wizards(request: Request, principal: Admin) -> HTMLResponse:
    calls = api(request)
    return admin_page(
        request,
        principal,
        "admin/wizards.html",
        title="Wizards",
        section="wizards",
        wizards=await calls.get(W),
        drafts=(await calls.get(f"{W}/drafts"))["drafts"],
    )


@router.post("/{wizard}/start")
async def start(request: Request, principal: Admin, wizard: WizardKey) -> Response:
    await genuine_form(request, principal)
    draft = await api(request).post(f"{W}/{wizard}/drafts")
    return RedirectResponse(_here(draft["id"], draft["next_step"]), status_code=303)


@router.get("/drafts/{draft_id}", response_class=HTMLResponse)
async def draft_page(
    request: Request, principal: Admin, draft_id: uuid.UUID, step: str | None = None
) -> HTMLResponse:
    calls = api(request)
    draft = await calls.get(f"{W}/drafts/{draft_id}")
    goal = (draft["outcome"] or {}).get("goal")
    result = None
    if goal:  # a campaign: how far it has got, against its goal
        path = f"{RESULTS}/{goal['kind']}/{goal['id']}"
        result = await calls.optional(calls.get(path))
    return await _draft_page(request, principal, draft, step, result=result)


@router.post("/drafts/{draft_id}/steps/{step}", response_class=HTMLResponse)
async def save_step(
    request: Request, principal: Admin, draft_id: uuid.UUID, step: StepKey
) -> Response:
    form = await genuine_form(request, principal)
    posted: dict[str, list[str]] = {}
    too_large: dict[str, str] = {}
    for name, value in form.multi_items():
        if name == "csrf_token":
            continue
        text = value if isinstance(value, str) else await _uploaded(value)
        if text is None:
            too_large[name] = f"The file is larger than {MAX_UPLOAD // 1000} kB."
            continue
        posted.setdefault(name, []).append(text)
    calls = api(request)
    draft = await calls.get(f"{W}/drafts/{draft_id}")
    fields = _fields(draft, step)  # the choices are read only if the form comes back
    typed = {k: "\x1f".join(v) if len(v) > 1 else v[0] for k, v in posted.items()}
    typed = {k: v for k, v in typed.items() if _shown_again(fields, k)}
    if too_large:  # refused here: the API never sees a file it would refuse anyway
        form_state = FormState(
            typed, {**too_large, "form": "Please correct the fields marked below."}
        )
        return await _draft_page(request, principal, draft, step, form_state, 400)
    answer = answer_of(fields, posted, draft["answers"].get(step))
    try:
        saved = await calls.put(f"{W}/drafts/{draft_id}/steps/{step}", answer)
    except ApiError as exc:
        if exc.status not in (400, 409, 413, 422):
            raise
        return await _draft_page(
            request, principal, draft, step, refused(typed, exc, _form_field), 400
        )
    return RedirectResponse(_here(draft_id, saved["next_step"] or "review"), status_code=303)


@router.post("/drafts/{draft_id}/steps/{step}/suggest", response_class=HTMLResponse)
async def suggest(
    request: Request, principal: Admin, draft_id: uuid.UUID, step: StepKey
) -> HTMLResponse:
    """The step's form filled in with what the platform suggests (nothing is kept yet)."""
    await genuine_form(request, principal)
    calls = api(request)
    draft = await calls.get(f"{W}/drafts/{draft_id}")
    try:
        answer = await calls.post(f"{W}/drafts/{draft_id}/steps/{step}/suggestion")
    except ApiError as exc:
        if exc.status not in (409, 503):
            raise
        form = FormState(errors={"form": exc.detail})
        return await _draft_page(request, principal, draft, step, form, exc.status)
    suggested = FormState(shown_values(_fields(draft, step), answer))
    return await _draft_page(request, principal, draft, step, suggested)


@router.post("/drafts/{draft_id}/finish", response_class=HTMLResponse)
async def finish(request: Request, principal: Admin, draft_id: uuid.UUID) -> Response:
    await genuine_form(request, principal)
    calls = api(request)
    try:
        await calls.post(f"{W}/drafts/{draft_id}/finish")
    except ApiError as exc:
        if exc.status not in (409, 503):
            raise
        draft = await calls.get(f"{W}/drafts/{draft_id}")
        form = FormState(errors={"form": exc.detail})
        return await _draft_page(request, principal, draft, "review", form, exc.status)
    return RedirectResponse(_here(draft_id), status_code=303)


@router.post("/drafts/{draft_id}/discard")
async def discard(request: Request, principal: Admin, draft_id: uuid.UUID) -> Response:
    await genuine_form(request, principal)
    await api(request).delete(f"{W}/drafts/{draft_id}")
    return RedirectResponse(f"{HOME}?done=discarded", status_code=303)


def _fields(draft: dict[str, Any], step: str) -> list[FormField]:
    for planned in draft["steps"]:
        if planned["key"] == step and planned["json_schema"] is not None:
            return fields_of_schema(planned["json_schema"])
    return []


async def _fields_with_choices(
    calls: VisitorApi, draft: dict[str, Any], step: str
) -> list[FormField]:
    """A step's fields, each select with its choices read through the gateway."""
    fields = []
    for f in _fields(draft, step):
        if f.sources:
            listed = [await calls.optional(calls.get(src["path"])) for src in f.sources]
            f = with_choices(f, listed)
        fields.append(f)
    return fields


def _form_field(path: str) -> str:
    """The form field an API refusal names (a whole-step problem is the form's)."""
    return "form" if path in ("__all__", "") else path


def _shown_again(fields: list[FormField], name: str) -> bool:
    """Whether a refused form shows what was typed in this field (never a secret or a file)."""
    return not any(f.name == name and f.kind in ("password", "file") for f in fields)


async def _uploaded(upload: UploadFile) -> str | None:
    """An uploaded file's text (a supplier's feed); None when it is over MAX_UPLOAD bytes."""
    data = await upload.read(MAX_UPLOAD + 1)
    if len(data) > MAX_UPLOAD:
        return None
    return data.decode("utf-8", errors="replace")


async def _draft_page(
    request: Request,
    principal: Admin,
    draft: dict[str, Any],
    step: str | None,
    form: FormState | None = None,
    status_code: int = 200,
    result: dict[str, Any] | None = None,
) -> HTMLResponse:
    """The step asked for (or where to resume), the review, or the outcome once finished."""
    steps = draft["steps"]
    keys = [s["key"] for s in steps]
    if draft["status"] != "open":
        step = "outcome"
    elif step not in keys and step != "review":
        step = draft["next_step"] or "review"
    elif step == "review" and draft["next_step"]:
        step = draft["next_step"]  # nothing to review before every step is answered
    current = next((s for s in steps if s["key"] == step), None)
    calls = api(request)
    fields = await _fields_with_choices(calls, draft, current["key"]) if current else []
    if form is None:
        proposed = defaults_of(current["json_schema"] or {}) if current else {}
        form = FormState(shown_values(fields, draft["answers"].get(step or "", proposed)))
    review = []
    if step == "review":
        for s in steps:
            shown = await _fields_with_choices(calls, draft, s["key"])
            review.append((s, readable(shown, draft["answers"].get(s["key"], {}))))
    position = keys.index(step) + 1 if step in keys else len(keys)
    return admin_page(
        request,
        principal,
        "admin/wizard.html",
        title=draft["title"],
        section="wizards",
        status_code=status_code,
        draft=draft,
        step=step,
        current=current,
        fields=fields,
        form=form,
        review=review,
        result=result,
        position=position,
        previous=keys[keys.index(step) - 1] if step in keys and keys.index(step) > 0 else None,
    )
