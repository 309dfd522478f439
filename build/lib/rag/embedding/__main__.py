"""`python -m rag.embedding`: export the configured model to ONNX now (./dev setup runs it)."""
import sys

from .export import main

sys.exit(main())
