"""Start the reader chat and the JSON API: python ui.py [--host HOST] [--port PORT] [--store DIR].

The same as `rag serve`: settings come from the flags and RAG_* variables,
the server itself lives in rag/server.py.
"""
import sys

import rag  # noqa: F401  (sets the offline environment before gradio loads)
from rag.cli import main

if __name__ == "__main__":
    sys.exit(main(["serve", *sys.argv[1:]]))
