"""The reader chat: a Gradio Blocks page over `Explainer.stream`.

The conversation lives in server-side session state (`gr.State`), so what the
chat shows, the history sent to `ask` and what a like/dislike stores all come
from the server, never from HTML a client sends back. Messages are HTML built
by `rag.render` with every piece of outside text escaped; markdown rendering is
off, so corpus text like `![](http://...)` stays text.
"""
from __future__ import annotations

import logging
from importlib import resources
from dataclasses import dataclass, field

import gradio as gr

from .errors import BadQuestion, RagError
from .explainer import Explainer
from .analytics import QuestionLog
from .feedback import FeedbackLog
from .limits import RateLimiter, client_key
from .question import validate
from .render import answer_html, esc, notice_html, pending_html, sources_html, sources_panel, user_html
from .types import Answer, Turn

log = logging.getLogger("rag")

# What a reader can say about a disliked answer (Gradio lists them under a flag icon): fixed
# choices, so no free text with personal data reaches the editors' log.
DISLIKE_REASONS = ("Wrong or not in the sources", "Does not answer my question", "Out of date", "Hard to understand")
MAX_TURNS_KEPT = 50  # per session; older turns leave the page and can no longer be rated
SESSION_TTL_S = 6 * 3600

# Styles and the page script are data files beside the code: rag/assets/chat.css (colours as Gradio
# theme variables, set for the light and the dark scheme) and rag/assets/chat.js (focus, announcements
# and states Gradio's own markup does not give; see the Accessibility section of the README).
_ASSETS = resources.files("rag") / "assets"
CSS = (_ASSETS / "chat.css").read_text(encoding="utf-8")
HEAD = "<script>" + (_ASSETS / "chat.js").read_text(encoding="utf-8") + "</script>"


@dataclass
class Record:
    """One answered question, as shown and as a like/dislike stores it."""

    question: str
    answer: Answer
    turn: int = 0
    sources: str = ""  # its part of the Sources panel, rendered once when the answer is final
    answer_id: str = ""  # joins a rating to the question log


@dataclass
class Session:
    """A reader's conversation: the chat messages and the answer behind each assistant message."""

    messages: list[dict] = field(default_factory=list)
    records: dict[int, Record] = field(default_factory=dict)  # chat message index -> record
    turns: int = 0

    def history(self) -> list[Turn]:
        return [Turn(r.question, "" if r.answer.refused else r.answer.answer)
                for _, r in sorted(self.records.items())][-20:]

    def panel(self, drafting: str = "") -> str:
        """The Sources panel: the answer being drafted, then every kept answer's sources, newest first."""
        return sources_panel([drafting] + [r.sources for _, r in sorted(self.records.items(), reverse=True)])

    def trim(self) -> None:
        """Keep the last MAX_TURNS_KEPT exchanges: state and the chat sent on every update stay bounded."""
        drop = len(self.messages) - 2 * MAX_TURNS_KEPT
        if drop > 0:
            self.messages = self.messages[drop:]
            self.records = {i - drop: r for i, r in self.records.items() if i >= drop}


def _user(question: str) -> dict:
    return {"role": "user", "content": user_html(question)}


def _bot(html: str) -> dict:
    return {"role": "assistant", "content": html}


def _html(value: str, **kw) -> gr.Markdown:
    """A block for our own escaped HTML. Not gr.HTML: Gradio 6 evaluates its templates with
    Function(), which a Content-Security-Policy without 'unsafe-eval' rightly blocks."""
    return gr.Markdown(value, sanitize_html=True, latex_delimiters=[], header_links=False, **kw)


class Chat:
    """The handlers behind the page; `blocks()` lays it out."""

    def __init__(self, explainer: Explainer, settings, feedback: FeedbackLog, limiter: RateLimiter,
                 questions: QuestionLog | None = None):
        self.explainer, self.settings, self.feedback, self.limiter = explainer, settings, feedback, limiter
        self.questions = questions
        self.examples = explainer.examples()

    # ------------------------------------------------------------------ handlers

    def respond(self, question: str, session: Session, request: gr.Request):
        """Stream one answer into the chat; yields (chat, sources, question box, session)."""
        session = session if isinstance(session, Session) else Session()
        question = question if isinstance(question, str) else ""
        # Not gr.Error: Gradio would paint every output red and hide the conversation behind it.
        try:
            q = validate(question, self.settings.max_question_chars)
        except BadQuestion as e:
            gr.Warning(str(e))
            yield gr.skip(), gr.skip(), gr.skip(), session
            return
        session.turns += 1  # numbers every bot message: its ids, and the page script announces each turn once
        turn = session.turns
        wait = self.limiter.hit(client_key(request.client.host if request and request.client else None))
        if wait:
            note = (f"You are asking questions too quickly. Please wait {self.limiter.retry_after(wait)} seconds, "
                    "then ask again.")
            yield self._settle(session, session.messages + [_user(q), _bot(notice_html(note, turn))]), gr.skip(), gr.skip(), session
            return
        msgs = session.messages + [_user(q), _bot(pending_html(turn=turn))]
        yield msgs, gr.skip(), "", session
        story = self._story(request)
        try:
            answer = None
            for ev in self.explainer.stream(q, history=session.history(), prefer_doc=story):
                if ev.kind == "final":
                    answer = ev.answer
                else:  # only verified sentences (ev.answer) and a count: the model's draft never reaches the page
                    msgs[-1] = _bot(pending_html(ev.checked, ev.answer, turn))
                    sources = (session.panel(sources_html(ev.answer, turn, self._article_text, q))
                               if ev.kind == "partial" else gr.skip())
                    yield msgs, sources, gr.skip(), session
        except BadQuestion as e:
            yield self._settle(session, msgs[:-1] + [_bot(notice_html(str(e), turn))]), session.panel(), gr.skip(), session
            return
        except Exception as e:  # noqa: BLE001 - the reader gets a plain sentence; the log gets the details
            log.error("chat: %s", e, exc_info=not isinstance(e, RagError))
            note = "Sorry, answers are unavailable right now. Please try again later."
            yield self._settle(session, msgs[:-1] + [_bot(notice_html(note, turn))]), session.panel(), gr.skip(), session
            return
        msgs[-1] = _bot(answer_html(answer, turn))
        answer_id = self.questions.record(q, answer, article=story) if self.questions else ""
        session.records[len(msgs) - 1] = Record(q, answer, turn, sources_html(answer, turn, self._article_text, q),
                                                answer_id)
        msgs = self._settle(session, msgs)
        yield msgs, session.panel(), gr.skip(), session

    def _story(self, request: gr.Request | None) -> str:
        """The stored article the page's ?article= names (the embed's story), or "" (not scoped)."""
        try:
            ref = request.query_params.get("article", "") if request else ""
        except AttributeError:  # a call without the page's request (gradio_client, tests)
            ref = ""
        return self.explainer.article_id(ref) if isinstance(ref, str) else ""

    def story_examples(self, request: gr.Request):
        """On page load: with ?article=, that story's example questions instead of the corpus's."""
        story = self._story(request)
        mine = self.explainer.examples(article=story) if story else []
        if not mine or mine == self.examples:
            return gr.skip()
        return gr.Dataset(samples=[[q] for q in mine], visible=True)

    @staticmethod
    def _settle(session: Session, msgs: list[dict]) -> list[dict]:
        session.messages = msgs
        session.trim()
        return session.messages

    def _article_text(self, doc_id: str) -> str | None:
        return self.explainer._article_text(doc_id)  # the explainer's cache, reloaded when the store changes

    def rate(self, session: Session, data: gr.LikeData, request: gr.Request) -> None:
        """Store a like/dislike with the question, answer and citations the server produced."""
        index = data.index[0] if isinstance(data.index, (list, tuple)) else data.index
        record = session.records.get(index) if isinstance(session, Session) and isinstance(index, int) else None
        if record is None:
            return
        host = request.client.host if request and request.client else None
        if self.limiter.hit("feedback:" + client_key(host)):
            return
        liked = data.liked
        # A reason (the options under the flag icon) is a dislike that says why.
        reason = liked if liked in DISLIKE_REASONS else ""
        rating = "like" if liked is True else "dislike" if liked is False or reason else str(liked or "cleared").lower()
        a = record.answer
        self.feedback.add(rating, record.question, a.answer, a.citations, a.refused, record.answer_id, reason)

    @staticmethod
    def clear():
        return Session(), sources_panel([])

    # ------------------------------------------------------------------ layout

    def blocks(self, embed: bool = False) -> gr.Blocks:
        """The page; `embed` hides the title for an iframe (the host page shows its own), keeping it as a heading."""
        s = self.settings
        with gr.Blocks(title=s.title, analytics_enabled=False, fill_width=embed) as demo:
            _html(f"<h1>{esc(s.title)}</h1>", elem_classes=["rag-embed-title" if embed else "rag-title"])
            session = gr.State(Session(), time_to_live=SESSION_TTL_S)
            with gr.Row(equal_height=False):
                with gr.Column(scale=3, min_width=300):
                    chat = gr.Chatbot(
                        elem_id="chat", show_label=False, height=360 if embed else 460,
                        render_markdown=False, sanitize_html=True, allow_tags=False, latex_delimiters=[],
                        buttons=["copy"], feedback_options=("Like", "Dislike", *DISLIKE_REASONS), layout="bubble",
                        allow_file_downloads=False)
                    with gr.Row():
                        # Not autofocus=True: Gradio re-runs it on every re-render (a resize, a zoom), pulling
                        # focus back from wherever the reader is; chat.js focuses the box once on load.
                        box = gr.Textbox(elem_id="question", label="Your question", show_label=False, scale=5, lines=1,
                                         max_length=s.max_question_chars, elem_classes=[] if embed else ["rag-autofocus"],
                                         placeholder="Ask a question about this story")
                        ask = gr.Button("Ask", elem_id="ask", variant="primary", scale=1, min_width=80)
                    examples = gr.Dataset(elem_id="examples", label="Example questions", components=["textbox"],
                                          samples=[[q] for q in self.examples], visible=bool(self.examples),
                                          samples_per_page=12)
                    _html(f"<p>{esc(s.disclaimer)}</p>", elem_classes=["rag-disclaimer"])
                with gr.Column(scale=2, min_width=260):
                    sources = _html(sources_panel([]), elem_id="sources")
            outputs = [chat, sources, box, session]
            gr.on([box.submit, ask.click], self.respond, [box, session], outputs, api_name="ask",
                  concurrency_limit=s.workers)
            examples.click(lambda sample: sample[0], [examples], [box], api_visibility="private").then(
                self.respond, [box, session], outputs, api_visibility="private", concurrency_limit=s.workers)
            chat.like(self.rate, [session], None, api_visibility="private")
            demo.load(self.story_examples, None, [examples], api_visibility="private", show_progress="hidden")
            chat.clear(self.clear, None, [session, sources], api_visibility="private")
        demo.queue(max_size=s.queue_size, default_concurrency_limit=s.workers, api_open=False)
        return demo
