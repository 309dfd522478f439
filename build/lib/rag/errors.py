"""The few errors a user can meet, each saying what to do about it.

The CLI, the UI and the HTTP API turn these into friendly text; nothing below
them prints or exits.
"""


class RagError(Exception):
    """Base class: the message is meant for the person running the tool."""


class StoreNotFound(RagError):
    def __init__(self, path: str, build: str = ""):
        super().__init__(
            f"No store at {path}. Build it with: {build or f'rag ingest corpus/ --store {path}'}"
        )


class StoreMismatch(RagError):
    def __init__(self, path: str, built: dict, wanted: dict):
        diff = ", ".join(
            f"{k}: {built.get(k)!r} -> {wanted.get(k)!r}"
            for k in sorted(set(built) | set(wanted))
            if built.get(k) != wanted.get(k)
        )
        super().__init__(
            f"The store at {path} was built with other settings ({diff}). "
            f"Rebuild it with: rag ingest corpus/ --store {path} --rebuild"
        )


class StoreCorrupt(RagError):
    def __init__(self, path: str, detail: str):
        super().__init__(
            f"The store at {path} cannot be read ({detail}). "
            f"Rebuild it with: rag ingest corpus/ --store {path} --rebuild"
        )


class StoreReadOnly(RagError):
    def __init__(self, path: str):
        super().__init__(
            f"The store at {path} is read-only; Chroma writes to its folder even to answer. "
            f"Make the folder writable, or copy it somewhere writable and point RAG_STORE there."
        )


class DiskFull(RagError):
    def __init__(self, path: str):
        super().__init__(
            f"No space left for the store at {path}. Free some disk space, then run the command again; "
            f"the store keeps every article written so far and finishes the interrupted one."
        )


class StoreUnavailable(RagError):
    def __init__(self, url: str, detail: str = ""):
        super().__init__(
            f"Cannot reach the Chroma server at {url}{f' ({detail})' if detail else ''}. "
            f"Check that it is running (chroma run --path data/chroma --port PORT); the next request reconnects."
        )


class StoreBusy(RagError):
    def __init__(self, path: str):
        super().__init__(
            f"Another ingest is writing to {path}. Wait for it to finish, then run this again."
        )


class ModelMissing(RagError):
    def __init__(self, what: str, hint: str):
        super().__init__(f"{what} is not available. {hint}")


class ExtraMissing(RagError):
    def __init__(self, what: str, packages: list[str], extra: str):
        super().__init__(
            f"{what} needs {', '.join(packages)}, which {'is' if len(packages) == 1 else 'are'} not installed. "
            f"Install the {extra} extra with: pip install -e '.[{extra}]'"
        )


class BadQuestion(RagError):
    """A question the service will not process (empty, too long, malformed)."""


class BackendError(RagError):
    """An answer backend failed (endpoint down, timeout, malformed output)."""


class EmbedServiceError(RagError):
    """The embeddings service at RAG_EMBED_URL failed after its retries."""

    def __init__(self, url: str, detail: str):
        super().__init__(
            f"The embeddings service at {url} did not answer ({detail}). Check that it is running and serves "
            f"the model in RAG_EMBED_REMOTE_MODEL, or unset RAG_EMBED_URL to embed locally."
        )
