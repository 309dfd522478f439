"""An optional LLM judge (`rag eval --judge`): off by default, reported apart, never part of the gate.

It asks an OpenAI-compatible endpoint (the `openai` backend's client and settings)
to grade each shown answer from 1 to 5 for groundedness in its cited passages and
for answering the question. A model's opinion is useful colour next to the
deterministic scores; it is not evidence, so it can never pass or fail a run.
"""
from __future__ import annotations

import json
import re
import statistics

from ..backends.chat import load_prompt
from ..errors import RagError

_TAGS = re.compile(r"</?\s*(question|answer|passages?|reference)\b[^>]*>", re.I)


class Judge:
    """A chat model behind an OpenAI-compatible endpoint, asked for two grades per answer."""

    def __init__(self, settings, max_tokens: int = 120):
        from ..backends.openai import OpenAI

        if not (settings.llm_base_url or "").startswith(("http://", "https://")):
            raise RagError("The LLM judge needs an endpoint: set RAG_LLM_BASE_URL or pass --judge-url, "
                           "e.g. http://127.0.0.1:8080/v1.")
        self.client = OpenAI(settings.llm, None)
        self.model = settings.llm_model or "(server default)"
        self.max_tokens = max_tokens
        self.prompt = load_prompt("judge")

    def grade(self, run) -> dict:
        """Grade every answered item of `run`; put the results on `run.judge` and return them."""
        grades: dict[str, dict] = {}
        for r in run.items:
            if not r.answer or r.answer.refused:
                continue
            passages = "\n".join(f"[{c.n}] {_TAGS.sub(' ', c.quote)}" for c in r.answer.citations)
            reference = (f"\nThe editor's own answer, for comparison:\n<reference>\n{_TAGS.sub(' ', r.item.reference)}"
                         "\n</reference>") if r.item.reference else ""
            messages = self.prompt.messages(question=_TAGS.sub(" ", r.item.question), passages=passages,
                                            answer=_TAGS.sub(" ", r.answer.answer), reference=reference)
            try:
                grades[r.item.id] = parse_grade("".join(self.client.chat(messages, self.max_tokens)))
            except RagError as e:  # BackendError included: an unreachable judge is reported, never fatal
                grades[r.item.id] = {"error": str(e)}
        ok = [g for g in grades.values() if "error" not in g]
        run.judge = {
            "endpoint": self.client.where, "model": self.model, "items": grades,
            "graded": len(ok), "errors": len(grades) - len(ok),
            "mean_grounded": statistics.fmean(g["grounded"] for g in ok) if ok else None,
            "mean_answers": statistics.fmean(g["answers"] for g in ok) if ok else None,
        }
        return run.judge


def parse_grade(reply: str) -> dict:
    """The first JSON object in a reply, with both grades whole numbers from 1 to 5."""
    m = re.search(r"\{.*?\}", reply, re.S)
    try:
        obj = json.loads(m.group()) if m else None
    except ValueError:
        obj = None
    if not isinstance(obj, dict):
        raise RagError(f"the judge's reply is not JSON: {reply[:120]!r}")
    out = {}
    for key in ("grounded", "answers"):
        v = obj.get(key)
        if isinstance(v, bool) or not isinstance(v, (int, float)) or not 1 <= v <= 5 or v != int(v):
            raise RagError(f"the judge's {key!r} is not a whole number from 1 to 5: {v!r}")
        out[key] = int(v)
    out["reason"] = str(obj.get("reason", ""))[:300]
    return out
