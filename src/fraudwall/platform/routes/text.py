"""Fraud texts for telcos and police: ``POST /v1/text/classify`` runs the shipped fraud-text
classifier (`fraudwall.intel.text`) on up to `MAX_TEXTS` texts.

The model is loaded once, on the first call. The texts may hold personal data, so they are
not stored; the audit entry records who classified how many texts.
"""

from __future__ import annotations

from typing import Any, Final

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from pydantic import BaseModel, Field, ValidationError

from fraudwall.errors import InputError
from fraudwall.platform.audit import AuditNote
from fraudwall.platform.auth import POLICE, ApiRole, Caller, allow
from fraudwall.platform.openapi_records import errors
from fraudwall.platform.routes.events import read_body
from fraudwall.platform.service import ServiceDep

router = APIRouter(tags=["text"])
MAX_TEXTS: Final = 1000
MAX_TEXT_CHARS: Final = 5000
BODY_LIMIT: Final = 1 << 20


class TextClassifyIn(BaseModel):
    texts: list[str] = Field(
        min_length=1,
        max_length=MAX_TEXTS,
        description=f"the texts (SMS, call transcripts, narratives), at most {MAX_TEXTS}, "
        f"each at most {MAX_TEXT_CHARS} characters",
    )
    explain: bool = Field(
        default=False, description="also return the n-grams that weighed most for each text"
    )


class NgramOut(BaseModel):
    ngram: str = Field(description="a character n-gram of the normalised text")
    weight: float = Field(description="how much it pushed towards the label (log-odds)")


class TextResultOut(BaseModel):
    label: str = Field(description="'normal' or a fraud type")
    probability: float = Field(description="the calibrated probability of the label")
    fraud_probability: float = Field(description="1 - P(normal)")
    top_ngrams: list[NgramOut] | None = None


class TextClassifyOut(BaseModel):
    model: str = Field(description="what the model was trained on")
    results: list[TextResultOut]


def _parse(body: bytes) -> TextClassifyIn:
    try:
        parsed = TextClassifyIn.model_validate_json(body)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"]) or "body"
        raise InputError(where, first["msg"]) from None
    for i, text in enumerate(parsed.texts):
        if len(text) > MAX_TEXT_CHARS:
            raise InputError(f"texts.{i}", f"{len(text)} characters: at most {MAX_TEXT_CHARS}")
    return parsed


def _classify(parsed: TextClassifyIn) -> TextClassifyOut:
    from fraudwall.intel.text import NORMAL, default_model

    model = default_model()
    results: list[dict[str, Any]] = []
    if parsed.explain:
        results = [model.explain(t) for t in parsed.texts]
        for r in results:
            r["top_ngrams"] = r.pop("top_ngrams")
    else:
        proba = model.predict_proba(parsed.texts)
        normal = model.labels.index(NORMAL) if NORMAL in model.labels else None
        for row in proba:
            k = int(row.argmax())
            fraud = 1.0 - float(row[normal]) if normal is not None else 1.0
            results.append(
                {
                    "label": model.labels[k],
                    "probability": round(float(row[k]), 4),
                    "fraud_probability": round(fraud, 4),
                }
            )
    trained_on = str(model.info.get("trained_on", "unknown"))
    return TextClassifyOut(
        model=trained_on, results=[TextResultOut.model_validate(r) for r in results]
    )


@router.post(
    "/text/classify",
    openapi_extra={
        **allow(ApiRole.TELCO, *POLICE, ApiRole.ADMIN),
        "requestBody": {
            "required": True,
            "content": {"application/json": {"schema": TextClassifyIn.model_json_schema()}},
        },
    },
    responses={**errors(401, 403, 413, 422)},
)
async def classify_texts(request: Request, caller: Caller, service: ServiceDep) -> TextClassifyOut:
    """Classify texts as normal or a fraud type, with calibrated probabilities (and, with
    ``explain``, the n-grams that weighed most)."""
    parsed = _parse(await read_body(request, min(BODY_LIMIT, service.settings.max_body_bytes)))
    out = await run_in_threadpool(_classify, parsed)
    with service.db.writing() as conn:
        service.audit(conn, caller, [AuditNote("text.classify", f"{len(parsed.texts)} texts")])
    return out
