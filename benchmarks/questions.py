"""The questions the benchmarks ask about the bundled article (run.py and http_load.py share them)."""
from __future__ import annotations

# Questions about the bundled article, in four phrasings each: 100 distinct questions at size 1.
REAL_QUESTIONS = [
    "What is Anthropic accusing Alibaba of?", "Which companies are involved in this dispute?",
    "How much does it cost to develop a leading large language model?", "Why does IP protection matter for AI startups?",
    "What is Alibaba's cloud division building?", "What is Anthropic known for?", "Who are Anthropic's main rivals?",
    "What could a prolonged legal battle do to Anthropic?", "How could the dispute hurt Alibaba's reputation?",
    "What should investors watch next?", "What is AI nationalism?", "How might venture capitalists react?",
    "What are the specific claims Anthropic made?", "Why is the Chinese AI market so competitive?",
    "What is Tongyi Qianwen?", "How could this affect collaboration between startups?",
    "What precedents could the outcome set?", "Why is proving illicit access difficult?",
    "What models does Anthropic make?", "What does the dispute center on?",
    "How are AI startups valued by venture capital?", "What policy discussions could the dispute prompt?",
    "Could the dispute slow down innovation?", "What is at stake for founders?",
    "How could startups change their licensing?",
]
PHRASINGS = [lambda q: q, lambda q: f"In short: {q}", lambda q: f"Briefly, {q[0].lower()}{q[1:]}",
             lambda q: f"Please explain: {q}"]


def real_questions() -> list[str]:
    return [p(q) for p in PHRASINGS for q in REAL_QUESTIONS]
