"""The `rag` command line: ingest, ask (one question, JSON, or a batch).

Configuration is read here, once: flags win over RAG_* environment variables.
"""
from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

from . import _offline  # noqa: F401
from .config import ENV_VARS, Settings
from .errors import ExtraMissing, RagError, StoreCorrupt
from .sanitize import for_log


def _settings(args) -> Settings:
    return Settings.from_env(
        store_dir=Path(args.store) if getattr(args, "store", None) else None,
        backend=getattr(args, "backend", None),
        top_k=getattr(args, "top_k", None),
        exclude_faq=True if getattr(args, "exclude_faq", False) else None,
    )


def cmd_ingest(args) -> int:
    from .ingest import check_sources, is_url

    s = _settings(args)
    urls = [p for p in args.paths if is_url(p)]
    paths = [Path(p) for p in args.paths if not is_url(p)] or ([] if urls else [s.corpus_dir])
    check_sources(paths)  # before the model loads and the store is opened (or created)
    from .embedding import Embedder

    embedder = Embedder.from_settings(s)
    if args.watch:
        return _watch(args, s, paths, urls, embedder)
    report = _ingest_once(args, s, paths, urls, embedder, args.rebuild)
    if args.json:
        print(json.dumps(report.to_dict(), ensure_ascii=False))
        return 1 if report.failed else 0
    if report.rebuilt:
        print(f"rebuilt the store: {report.rebuilt}", file=sys.stderr)
    if report.recovered:
        print(f"finished {len(report.recovered)} interrupted write(s) from an earlier ingest", file=sys.stderr)
    for sk in report.skipped:  # file names can hold newlines and terminal escapes
        print(f"skipped {for_log(sk.path, 0)}: {for_log(sk.reason, 0)}", file=sys.stderr)
    print(report.summary())
    for f in report.failed:
        print(f"error: cannot ingest {for_log(f.path, 0)}: {for_log(f.reason, 0)}", file=sys.stderr)
    return 1 if report.failed else 0


def _watch(args, s, paths, urls, embedder) -> int:
    """Ingest again every interval, one line per cycle; a cycle that fails is logged and the next one tried."""
    import time

    interval = args.interval if args.interval is not None else s.watch_interval
    rebuild = args.rebuild  # the first cycle only
    while True:
        try:
            report = _ingest_once(args, s, paths, urls, embedder, rebuild)
            rebuild = False
            line = report.summary() + "".join(f"; cannot ingest {f.path}: {f.reason}" for f in report.failed)
        except RagError as e:  # a busy store, a server down: the next cycle tries again
            line = f"error: {e}"
        print(f"{time.strftime('%Y-%m-%dT%H:%M:%S%z')} {for_log(line, 0)}", flush=True)
        time.sleep(interval)


def _ingest_once(args, s, paths, urls, embedder, rebuild: bool):
    from .ingest import ingest
    from .store import Store, lock_path, set_aside, write_lock

    where = s.chroma_url or str(s.store_dir)
    # The lock comes first: two clients opening one Chroma folder for writing can block each other for minutes.
    with write_lock(lock_path(s.store_dir, s.chroma_url), where):
        try:
            store = Store.open(s.store_dir, url=s.chroma_url, create=True)
        except StoreCorrupt:
            if not rebuild or s.chroma_url:
                raise
            moved = set_aside(s.store_dir)
            print(f"moved the unreadable store to {for_log(str(moved))}", file=sys.stderr)
            store = Store.open(s.store_dir, create=True)
        return ingest(paths, store, embedder, chunk_tokens=s.chunk_tokens, chunk_overlap=s.chunk_overlap,
                      exclude_faq=s.exclude_faq, max_file_bytes=int(s.max_file_mb * 1_000_000),
                      rebuild=rebuild, progress=None, urls=urls, fetch=s.fetch)


def _print_answer(ans, out=sys.stdout) -> None:
    print(f"{ans.lead} {ans.answer}" if ans.lead else ans.answer, file=out)
    if ans.notice:
        print(f"({ans.notice})", file=out)
    if ans.citations:
        print("\nSources:", file=out)
        for c in ans.citations:
            where = " - ".join(x for x in (c.title, c.published, c.url) if x)
            print(f"[{c.n}] \"{c.quote}\"\n    {where} (chars {c.start}-{c.end})", file=out)


def cmd_ask(args) -> int:
    from .explainer import Explainer

    from .question import validate_top_k

    validate_top_k(args.top_k)
    if not args.question and not args.batch:  # before loading anything
        raise RagError('Give a question, e.g. rag ask "What is Anthropic accusing Alibaba of?"')
    bot = Explainer.open(_settings(args))
    if args.batch:
        return _batch(bot, Path(args.batch), args.trace)
    ans = bot.ask(args.question)
    if args.json:
        print(json.dumps(ans.to_dict(trace=args.trace), ensure_ascii=False))
    else:
        _print_answer(ans)
    return 0


def _batch(bot, path: Path, trace: bool = False) -> int:
    """One answer object per input line; a failing line yields {"id", "error"} and the batch goes on.

    Exit 1 when any line failed, so a script running the batch notices.
    """
    src = sys.stdin if str(path) == "-" else open(path, encoding="utf-8")
    failures = asked = 0
    with src:
        for lineno, line in enumerate(src, 1):
            if not line.strip():
                continue
            asked += 1
            item_id = None
            try:
                item = json.loads(line)
                if not isinstance(item, dict):
                    raise RagError('each line must be a JSON object like {"id": "1", "q": "..."}')
                item_id = item.get("id", lineno)
                ans = bot.ask(item.get("q", item.get("question")), history=item.get("history"))
                out = {"id": item_id, **ans.to_dict(trace=trace)}
            except json.JSONDecodeError as e:
                out = {"id": lineno, "error": f"line {lineno} is not valid JSON ({e.msg})"}
            except RagError as e:
                out = {"id": item_id if item_id is not None else lineno, "error": str(e)}
            except Exception as e:  # noqa: BLE001 - one bad question must not stop the batch
                out = {"id": item_id if item_id is not None else lineno, "error": f"internal error ({type(e).__name__})"}
            failures += "error" in out
            print(json.dumps(out, ensure_ascii=False), flush=True)
    if failures:
        print(f'error: {failures} of {asked} questions failed; their lines carry an "error" instead of an answer',
              file=sys.stderr)
        return 1
    return 0


def cmd_verify(args) -> int:
    """One verdict per {"id", "sentence", "passage"} line; a malformed line yields {"id", "error"}, the run goes on."""
    from .citations import support
    from .embedding import Embedder

    path = Path(args.file)
    if str(path) != "-" and not path.is_file():
        raise RagError(f"{args.file} does not exist: give a JSON-lines file of {{\"id\", \"sentence\", \"passage\"}} objects")
    embed = Embedder.from_settings(Settings.from_env()).cached  # loaded once, before the first line
    src = sys.stdin if str(path) == "-" else open(path, encoding="utf-8")
    failures = 0
    with src:
        for lineno, line in enumerate(src, 1):
            if not line.strip():
                continue
            item_id = lineno
            try:
                item = json.loads(line)
                if not isinstance(item, dict):
                    raise ValueError('each line must be a JSON object like {"id": "1", "sentence": "...", "passage": "..."}')
                item_id = item.get("id", lineno)
                sentence, passage = item.get("sentence"), item.get("passage")
                if not isinstance(sentence, str) or not sentence.strip() or not isinstance(passage, str) or not passage.strip():
                    raise ValueError('needs non-empty "sentence" and "passage" strings')
                sup = support(sentence, passage, embed=embed)
                out = {"id": item_id, "supported": sup.supported(), "reason": _verdict_reason(sup)}
            except json.JSONDecodeError as e:
                out = {"id": lineno, "error": f"line {lineno} is not valid JSON ({e.msg})"}
            except ValueError as e:
                out = {"id": item_id, "error": f"line {lineno}: {e}"}
            except Exception as e:  # noqa: BLE001 - one bad pair must not stop the run
                out = {"id": item_id, "error": f"line {lineno}: internal error ({type(e).__name__})"}
            failures += "error" in out
            print(json.dumps(out, ensure_ascii=False), flush=True)
    return 1 if failures else 0


def _verdict_reason(sup) -> str:
    from .citations import MIN_SUPPORT, _reason

    return _reason(sup, MIN_SUPPORT) if not sup.supported() else (sup.reason or f"{sup.recall:.0%} of its words are in the passage")


def cmd_eval(args) -> int:
    from .evaluation import report, runner

    s = Settings.from_env(backend=args.backend)
    corpus = Path(args.corpus) if args.corpus else s.corpus_dir
    evals = Path(args.evals) if args.evals else runner.EVALS
    judge = None
    if args.judge:  # optional colour, never part of the gate; checked before the run
        from .evaluation.judge import Judge

        judge = Judge(Settings.from_env(llm_base_url=args.judge_url, llm_model=args.judge_model))
    run = runner.run_eval(corpus, s, evals, strict=not args.include_faq, split=args.split,
                          progress=lambda msg: print(f"  {msg}", file=sys.stderr))
    if judge:
        judge.grade(run)
    paths = report.write_all(run, Path(args.report_dir))
    print(report.console(run))
    print(f"\nreports: {', '.join(str(p) for p in paths.values())}")
    if args.update_baseline:
        runner.update_baseline(run, evals / "baseline.json")
        print(f"baseline for {run.backend}{f' ({run.split} split)' if run.split else ''} written to {evals / 'baseline.json'}")
    return 0 if run.passed else 1


# What `rag serve` needs beyond the core: the `ui` extra in pyproject.toml.
UI_PACKAGES = ("fastapi", "gradio", "uvicorn", "swagger_ui_bundle")


def cmd_serve(args) -> int:
    import importlib.util

    missing = [m for m in UI_PACKAGES if importlib.util.find_spec(m) is None]
    if missing:  # before the models load, and instead of an ImportError from deep inside
        raise ExtraMissing("rag serve", missing, "ui")
    from .server import serve

    serve(Settings.from_env(store_dir=Path(args.store) if args.store else None, host=args.host, port=args.port))
    return 0


def cmd_feedback(args) -> int:
    from .analytics import database_url
    from .feedback import FeedbackLog

    s = Settings.from_env(feedback_path=Path(args.file) if args.file else None)
    rows = FeedbackLog(s.feedback_path if args.file else database_url(s)).entries(limit=args.limit)
    if args.json:
        for r in rows:
            print(json.dumps(r, ensure_ascii=False))
        return 0
    if not rows:
        print(f"No feedback yet in {s.feedback_path}.")
        return 0
    for r in rows:
        print(f"{r['time']}  {r['rating']:<8} Q: {r['question']}")
        if r["reason"]:
            print(f"    Reason: {r['reason']}")
        print(f"    A: {r['answer']}")
        for c in r["citations"]:
            print(f"    [{c.get('n')}] \"{c.get('quote', '')}\" - {c.get('title', '')}")
    return 0


def cmd_gaps(args) -> int:
    from .analytics import QuestionLog
    from .analytics.groups import QuestionVectors
    from .analytics.report import build, gaps_json, gaps_text, parse_since
    from .embedding import Embedder

    s = Settings.from_env()
    since = parse_since(args.since)  # a typo fails before anything loads
    embedder = None

    def documents(texts):  # the model loads only when there are refusals to group
        nonlocal embedder
        embedder = embedder or Embedder.from_settings(s)
        return embedder.documents(texts)

    report = build(QuestionLog.open(s), None, QuestionVectors(documents), since=since, article=args.article or "",
                   only_gaps=True)
    print(json.dumps(gaps_json(report), ensure_ascii=False) if args.json else gaps_text(report))
    return 0


def cmd_embed_serve(args) -> int:
    from .embedding.service import serve

    return serve(Settings.from_env(), args.host, args.port)


def build_parser() -> argparse.ArgumentParser:
    env_help = "\n".join(f"  {k:<24} {v}" for k, v in ENV_VARS.items())
    p = argparse.ArgumentParser(
        prog="rag", formatter_class=argparse.RawDescriptionHelpFormatter,
        description="Cited answers from a newsroom's coverage.",
        epilog=f"examples:\n  rag ingest corpus/\n  rag ask \"What is Anthropic accusing Alibaba of?\"\n  rag serve\n\nenvironment:\n{env_help}",
    )
    sub = p.add_subparsers(dest="command", required=True)

    ing = sub.add_parser("ingest", help="load articles into the store (only what changed)",
                         description="Load articles into the store; unchanged ones cost nothing. Sources are\n"
                                     "files, folders, or URLs of RSS/Atom feeds, sitemaps and article pages.\n\n"
                                     "example: rag ingest corpus/ --exclude-faq\n"
                                     "         rag ingest https://news.example/feed.xml https://news.example/news-sitemap.xml\n"
                                     "         rag ingest --watch https://news.example/feed.xml --interval 600",
                         formatter_class=argparse.RawDescriptionHelpFormatter)
    ing.add_argument("paths", nargs="*", metavar="SOURCE",
                     help="files, folders, or feed, sitemap or page URLs (default: corpus/)")
    ing.add_argument("--store", help="store folder (default: data/store, or RAG_STORE)")
    ing.add_argument("--exclude-faq", action="store_true", help="leave FAQ blocks out of the index")
    ing.add_argument("--rebuild", action="store_true", help="drop the store and build it again")
    ing.add_argument("--json", action="store_true", help="print the report as JSON")
    ing.add_argument("--watch", action="store_true",
                     help="ingest again every --interval seconds (new or changed articles only), one line per cycle")
    ing.add_argument("--interval", type=float, metavar="SECONDS",
                     help="seconds between --watch cycles (default: 900, or RAG_WATCH_INTERVAL)")
    ing.set_defaults(func=cmd_ingest)

    ask = sub.add_parser("ask", help="answer a question with cited passages",
                         description='Answer a question from the store.\n\n'
                                     'example: rag ask "Which companies are involved?" --json\n'
                                     '         rag ask --json --batch questions.jsonl',
                         formatter_class=argparse.RawDescriptionHelpFormatter)
    ask.add_argument("question", nargs="?", help="the question")
    ask.add_argument("--store", help="store folder (default: data/store, or RAG_STORE)")
    ask.add_argument("--json", action="store_true", help="print one JSON object")
    ask.add_argument("--batch", metavar="FILE.jsonl", help='answer {"id","q","history"} lines; - for stdin')
    ask.add_argument("--trace", action="store_true",
                     help="with --json: add the answer's trace (retrieved passages, sentences the checker "
                          "removed and why, timings); it holds unverified text, so never pass it to readers")
    ask.add_argument("--backend", help="answer backend (default: extractive, or RAG_BACKEND)")
    ask.add_argument("--top-k", type=int, help="passages retrieved per question")
    ask.set_defaults(func=cmd_ask)

    ev = sub.add_parser("eval", help="score answers to the FAQ and eval sets; fail when grounding breaks",
                        description="Build a fresh store from the corpus (FAQ blocks left out), ask every eval\n"
                                    "item through the same code path as the chat, score without any LLM, write\n"
                                    "reports, and exit 1 when a hard rule breaks or a score is below its\n"
                                    "threshold (evals/thresholds.toml).\n\n"
                                    "example: rag eval --report-dir reports/eval\n"
                                    "         rag eval --backend openai --corpus corpus/\n"
                                    "         rag eval --corpus evals/news/corpus --evals evals/news --report-dir reports/eval-news",
                        formatter_class=argparse.RawDescriptionHelpFormatter)
    ev.add_argument("--corpus", help="folder of articles (default: corpus/, or RAG_CORPUS)")
    ev.add_argument("--backend", help="answer backend (default: extractive, or RAG_BACKEND)")
    ev.add_argument("--report-dir", default="reports/eval", help="where reports go (default: reports/eval)")
    ev.add_argument("--evals", help="folder of eval sets, thresholds and baseline (default: evals/)")
    ev.add_argument("--split", choices=("dev", "heldout", "all"),
                    help="news suite (a folder with questions.yaml): which items (default: dev; heldout is for "
                         "final reports only)")
    ev.add_argument("--include-faq", action="store_true", help="index the FAQ blocks too (not strict; not for CI)")
    ev.add_argument("--update-baseline", action="store_true", help="write this run's scores as the baseline")
    ev.add_argument("--judge", action="store_true",
                    help="also ask an OpenAI-compatible model to grade the answers (reported, never gated; "
                         "endpoint from RAG_LLM_BASE_URL, RAG_LLM_MODEL, RAG_LLM_API_KEY)")
    ev.add_argument("--judge-url", help="the judge's endpoint instead of RAG_LLM_BASE_URL, e.g. http://127.0.0.1:8080/v1")
    ev.add_argument("--judge-model", help="the judge's model instead of RAG_LLM_MODEL")
    ev.set_defaults(func=cmd_eval)

    ver = sub.add_parser("verify", help="judge sentence/passage pairs with the citation gate",
                         description='Judge each {"id", "sentence", "passage"} line with the citation gate (the\n'
                                     'lexical and the structural check) and print {"id", "supported", "reason"}.\n'
                                     'A malformed line prints {"id", "error"} and the run goes on; exit 1 if any did.\n\n'
                                     'example: rag verify --json pairs.jsonl',
                         formatter_class=argparse.RawDescriptionHelpFormatter)
    ver.add_argument("--json", dest="file", metavar="FILE.jsonl", required=True, help="the pairs; - for stdin")
    ver.set_defaults(func=cmd_verify)

    srv = sub.add_parser("serve", help="start the reader chat and the JSON API",
                         description="Start the chat at / (iframe variant at /embed/) and the JSON API at /api.\n\n"
                                     "example: rag serve --port 8080",
                         formatter_class=argparse.RawDescriptionHelpFormatter)
    srv.add_argument("--host", help="address to listen on (default: 127.0.0.1, or RAG_HOST)")
    srv.add_argument("--port", type=int, help="port (default: 7860, or RAG_PORT)")
    srv.add_argument("--store", help="store folder (default: data/store, or RAG_STORE)")
    srv.set_defaults(func=cmd_serve)

    emb = sub.add_parser("embed-serve", help="serve the embedding model at an OpenAI-compatible /v1/embeddings",
                         description="Serve the local embedding model (RAG_EMBED_RUNTIME) for other processes:\n"
                                     "app replicas point RAG_EMBED_URL at it (docs/scaling.md).\n\n"
                                     "example: rag embed-serve --port 8081   # then RAG_EMBED_URL=http://127.0.0.1:8081/v1",
                         formatter_class=argparse.RawDescriptionHelpFormatter)
    emb.add_argument("--host", default="127.0.0.1", help="address to listen on (default: 127.0.0.1)")
    emb.add_argument("--port", type=int, default=8081, help="port (default: 8081)")
    emb.set_defaults(func=cmd_embed_serve)

    fb = sub.add_parser("feedback", help="show readers' likes and dislikes, newest first",
                        description="Show the likes/dislikes readers gave in the chat, with question, answer and "
                                    "citations.\n\nexample: rag feedback --limit 20 --json",
                        formatter_class=argparse.RawDescriptionHelpFormatter)
    fb.add_argument("--limit", type=int, help="show only the newest N")
    fb.add_argument("--json", action="store_true", help="one JSON object per line")
    fb.add_argument("--file", help="feedback file (default: data/feedback.sqlite3, or RAG_FEEDBACK)")
    fb.set_defaults(func=cmd_feedback)

    gaps = sub.add_parser("gaps", help="questions readers asked that the coverage did not answer, grouped",
                          description="Refused questions from the question log (RAG_ANALYTICS), grouped by meaning,\n"
                                      "most frequent first: what the next article or FAQ entry should answer.\n\n"
                                      "example: rag gaps --since 7d\n"
                                      "         rag gaps --since 2026-11-01 --article ferry.md --json",
                          formatter_class=argparse.RawDescriptionHelpFormatter)
    gaps.add_argument("--since", default="7d", help="7d, 24h, 90m, 2w or a date (default: 7d)")
    gaps.add_argument("--article", help="only questions asked in the embed on this article (its id)")
    gaps.add_argument("--json", action="store_true", help="one JSON object, each group with a FAQ entry draft")
    gaps.set_defaults(func=cmd_gaps)
    return p


def main(argv=None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        from .logs import setup

        setup(Settings.from_env().log_level)
        return args.func(args)
    except RagError as e:
        print(f"error: {for_log(str(e), 0)}", file=sys.stderr)
        if isinstance(e, StoreCorrupt):
            # A damaged index can leave Chroma's native heap corrupt: leave without running its destructors.
            sys.stdout.flush()
            sys.stderr.flush()
            os._exit(2)
        return 2
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
