"""A small OpenAI-compatible chat-completions server for the test suite, on 127.0.0.1.

By default it does what a well-behaved model asked for a case study does: it answers with
a call to the output tool it was offered, carrying the draft it was given (so every
showcase the suite generates goes through the language-model path). A test scripts other
answers for a prompt that names a given word (a member's unique name): words of its own,
plain text where a tool call is due (garbage), a stall longer than the client's timeout,
or an HTTP error. Every request is kept, for tests to read what the model was told.
"""

from __future__ import annotations

import asyncio
import json
import re
import time
import uuid
from collections import defaultdict, deque
from dataclasses import dataclass, field
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

MODEL = "test-writer"


@dataclass(frozen=True)
class Words:
    """Answer with these arguments to the output tool."""

    arguments: dict[str, Any]


@dataclass(frozen=True)
class Garbage:
    """Answer with plain text instead of the tool call."""

    text: str = "Sure! Here is a great case study, trust me."


@dataclass(frozen=True)
class Stall:
    seconds: float


@dataclass(frozen=True)
class Failure:
    status: int = 500


Answer = Words | Garbage | Stall | Failure


@dataclass
class FakeLanguageModel:
    scripts: dict[str, deque[Answer]] = field(default_factory=lambda: defaultdict(deque))
    requests: list[dict[str, Any]] = field(default_factory=list)

    def script(self, word: str, *answers: Answer) -> None:
        """The next answers to a prompt that names ``word``, in turn."""
        self.scripts[word].extend(answers)

    def told(self, word: str) -> list[str]:
        """Every message sent in the requests whose prompt named ``word``."""
        return [
            str(m.get("content"))
            for r in self.requests
            if word in json.dumps(r["messages"])
            for m in r["messages"]
        ]

    def asked(self, word: str) -> int:
        """How many requests named ``word``."""
        return sum(word in json.dumps(r["messages"]) for r in self.requests)

    def app(self) -> FastAPI:
        app = FastAPI()

        @app.post("/v1/chat/completions")
        async def complete(request: Request) -> JSONResponse:
            body = await request.json()
            self.requests.append(body)
            prompt = json.dumps(body["messages"])
            answer = next(
                (q.popleft() for word, q in self.scripts.items() if q and word in prompt), None
            )
            if isinstance(answer, Stall):
                await asyncio.sleep(answer.seconds)
            if isinstance(answer, Failure):
                return JSONResponse({"error": {"message": "overloaded"}}, answer.status)
            if isinstance(answer, Garbage):
                return JSONResponse(_completion({"role": "assistant", "content": answer.text}))
            arguments = answer.arguments if isinstance(answer, Words) else _draft(body)
            tool = body["tools"][0]["function"]["name"]
            call = {
                "id": f"call_{uuid.uuid4().hex[:8]}",
                "type": "function",
                "function": {"name": tool, "arguments": json.dumps(arguments)},
            }
            message = {"role": "assistant", "content": None, "tool_calls": [call]}
            return JSONResponse(_completion(message, "tool_calls"))

        return app


def _draft(body: dict[str, Any]) -> dict[str, Any]:
    """The draft the prompt carries (the user message's last line of JSON)."""
    user = next(m for m in body["messages"] if m["role"] == "user")
    content = user["content"] if isinstance(user["content"], str) else user["content"][0]["text"]
    found = re.findall(r"^\{.*\}$", content, flags=re.MULTILINE)
    draft: dict[str, Any] = json.loads(found[-1])
    return draft


def _completion(message: dict[str, Any], finish: str = "stop") -> dict[str, Any]:
    return {
        "id": f"chatcmpl-{uuid.uuid4().hex[:12]}",
        "object": "chat.completion",
        "created": int(time.time()),
        "model": MODEL,
        "choices": [{"index": 0, "message": message, "finish_reason": finish}],
        "usage": {"prompt_tokens": 10, "completion_tokens": 10, "total_tokens": 20},
    }
