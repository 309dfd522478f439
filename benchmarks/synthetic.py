"""A SYNTHETIC scale corpus for benchmarks: made-up news articles, never real coverage.

Deterministic (seeded): `generate(folder, n)` writes n Markdown articles in the
house format, each labelled synthetic in its front matter and URL, plus
`questions.jsonl` with one answerable question per article (from the facts the
generator put in it). Articles are ~250-300 words (3 chunks at the default
settings), with varied sentences so retrieval and answer scoring do real work.

It writes only where it is told (a temp or data folder), never into corpus/:

    python benchmarks/synthetic.py /tmp/synth 1000
"""
from __future__ import annotations

import json
import random
import sys
from pathlib import Path

LABEL = "SYNTHETIC benchmark article made by benchmarks/synthetic.py; not real coverage."

_SYL = ["nor", "va", "quin", "tar", "bel", "mo", "ra", "zen", "ka", "lio", "pra", "dex", "sol", "mi", "tor",
        "vel", "an", "cor", "ith", "lum", "ox", "ber", "gal", "fen", "ro", "sta", "vin", "ul", "dra", "kes"]
_SUFFIX = ["Systems", "Labs", "Energy", "Holdings", "Networks", "Robotics", "Foods", "Logistics", "Health",
           "Capital", "Materials", "Motors", "Analytics", "Telecom", "Pharma", "Biotech", "Airlines", "Mining"]
_FIRST = ["Amara", "Bruno", "Chen", "Dalia", "Elena", "Farid", "Grace", "Hiro", "Ines", "Jonas", "Kofi", "Lena",
          "Mateo", "Nadia", "Omar", "Priya", "Quinn", "Rosa", "Sven", "Tariq", "Uma", "Victor", "Wen", "Yara", "Zoe"]
_LAST = ["Okafor", "Lindqvist", "Moreau", "Haddad", "Tanaka", "Brennan", "Castillo", "Novak", "Adeyemi",
         "Fischer", "Kowalski", "Reyes", "Sato", "Varga", "Whitfield", "Osei", "Petrov", "Lambert", "Kaur", "Silva"]
_CITIES = ["Port Avelin", "Marrowgate", "Tesslow", "Kirren Bay", "Old Hallam", "Vesmere", "Drayford", "Luncaster",
           "Brightwater", "Sorrel Point", "Quenby", "Ashkirk", "Feldmoor", "Corvin Falls", "Halden"]
_ASSETS = ["battery plant", "data center", "chip foundry", "wind farm", "logistics hub", "research campus",
           "satellite network", "vaccine facility", "rail depot", "desalination plant", "software unit",
           "cloud division", "robotics line", "hydrogen terminal", "trading desk"]
_REGULATORS = ["the Competition Board", "the Securities Authority", "the Energy Commission", "the Transport Office",
               "the Health Inspectorate", "the Data Protection Agency", "the Trade Tribunal"]
_MONTHS = ["January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
           "November", "December"]
_TOPICS = ["pricing", "safety reviews", "supply contracts", "export licences", "hiring plans", "patent claims",
           "customer data", "emissions targets", "shipping routes", "chip shortages", "union talks", "tax credits"]
_ADJ = ["cautious", "sharp", "unexpected", "modest", "steady", "contested", "long-awaited", "costly", "rapid"]
_VERBS = ["expand", "restructure", "modernise", "relocate", "automate", "consolidate", "upgrade", "audit"]

_FILLER = [
    "Analysts said the {adj} move reflects wider pressure on {topic} across the sector.",
    "{company} shares moved {pct} percent in early trading after the announcement.",
    "Officials in {city} said they had not been consulted about {topic} before the decision.",
    "The company has spent the past {n} years trying to {verb} its operations in {city}.",
    "Critics argue that {topic} remain the weakest part of the plan.",
    "A spokesperson for {regulator} declined to comment on the timing.",
    "Local suppliers expect the project to create about {jobs} jobs over {n} years.",
    "Several investors questioned whether the {asset} could be finished on schedule.",
    "{person2}, an industry analyst based in {city2}, called the deal a {adj} bet on {topic}.",
    "Earlier this year {company} warned that {topic} could weigh on its results.",
    "The agreement still needs approval from {regulator}, which opened a review in {month2}.",
    "Rivals including {rival} have announced similar plans to {verb} their networks.",
    "Residents of {city} raised concerns about noise, traffic and {topic} at a public meeting.",
    "The board is expected to vote on a further {amount2} in spending before the end of the year.",
    "{rival} said it would study the terms before deciding whether to respond.",
    "Union representatives said workers at the {asset} were told about the change on {month} {day}.",
]


def _company(rng: random.Random) -> str:
    return (rng.choice(_SYL) + rng.choice(_SYL) + rng.choice(_SYL)[:2]).capitalize() + " " + rng.choice(_SUFFIX)


def _person(rng: random.Random) -> str:
    return f"{rng.choice(_FIRST)} {rng.choice(_LAST)}"


def _amount(rng: random.Random) -> str:
    return f"${rng.randint(12, 980)} million" if rng.random() < 0.7 else f"${rng.randint(1, 9)}.{rng.randint(1, 9)} billion"


def article(i: int) -> tuple[str, dict]:
    """The Markdown text of synthetic article i, and the question it answers."""
    rng = random.Random(1000003 * (i + 1))
    company, rival = _company(rng), _company(rng)
    ceo, person2 = _person(rng), _person(rng)
    city, city2 = rng.sample(_CITIES, 2)
    asset, regulator = rng.choice(_ASSETS), rng.choice(_REGULATORS)
    month, day, year = rng.choice(_MONTHS), rng.randint(1, 28), rng.choice([2024, 2025, 2026])
    amount = _amount(rng)
    slots = dict(company=company, rival=rival, person2=person2, city=city, city2=city2, asset=asset,
                 regulator=regulator, month=month, day=day, adj=rng.choice(_ADJ), topic=rng.choice(_TOPICS),
                 verb=rng.choice(_VERBS), pct=rng.randint(2, 19), n=rng.randint(2, 9), jobs=rng.randint(80, 2400),
                 month2=rng.choice(_MONTHS), amount2=_amount(rng))
    title = f"{company} to spend {amount} on a {asset} in {city}"
    dek = f"The {slots['adj']} plan puts {slots['topic']} at the centre of {company}'s strategy."
    lead = (f"{company} said on {month} {day}, {year} that it will spend {amount} building a new {asset} in {city}, "
            f"its largest investment in the region so far. Chief executive {ceo} said the {asset} is needed "
            f"because demand for its services has outgrown the existing sites.")
    why = (f"{ceo} told reporters the decision was driven by {slots['topic']} and by the need to "
           f"{slots['verb']} before rivals such as {rival} do the same.")
    paras = [lead, why]
    fillers = rng.sample(_FILLER, 10)
    for k in range(0, 10, 3):
        paras.append(" ".join(f.format(**slots) for f in fillers[k:k + 3]))
    body = "\n\n".join(paras[:3]) + "\n\n## What happens next\n\n" + "\n\n".join(paras[3:])
    kind = i % 3
    if kind == 0:
        q = {"q": f"How much will {company} spend on the {asset}?", "expect": amount}
    elif kind == 1:
        q = {"q": f"Who is the chief executive of {company}?", "expect": ceo}
    else:
        q = {"q": f"Why is {company} building a {asset} in {city}?", "expect": slots["topic"]}
    url = f"https://synthetic.example/bench/{i:06d}"
    text = (f"---\n# {LABEL}\ntitle: {json.dumps(title)}\ndek: {json.dumps(dek)}\nurl: {url}\n"
            f"byline: Synthetic Desk\npublished: {year}-{_MONTHS.index(month) + 1:02d}-{day:02d}\n---\n\n{body}\n")
    return text, {"id": url, **q}


def generate(folder: Path | str, n: int) -> Path:
    """Make folder/articles hold exactly articles 0..n-1 (existing files are kept), and write questions.jsonl."""
    folder = Path(folder)
    arts = folder / "articles"
    arts.mkdir(parents=True, exist_ok=True)
    (folder / "README.txt").write_text(LABEL + "\nMade for benchmarks; delete freely.\n", encoding="utf-8")
    with open(folder / "questions.jsonl", "w", encoding="utf-8") as qf:
        for i in range(n):
            text, q = article(i)
            # 1,000 files per folder keeps directory listings quick at 10,000 articles
            path = arts / f"{i // 1000:03d}" / f"synthetic-{i:06d}.md"
            if not path.exists():
                path.parent.mkdir(exist_ok=True)
                path.write_text(text, encoding="utf-8")
            qf.write(json.dumps(q) + "\n")
    for extra in arts.glob("*/synthetic-*.md"):  # a folder reused for a smaller size
        if int(extra.stem.split("-")[1]) >= n:
            extra.unlink()
    return arts


def questions(folder: Path | str, n: int | None = None) -> list[dict]:
    lines = (Path(folder) / "questions.jsonl").read_text(encoding="utf-8").splitlines()
    return [json.loads(x) for x in lines[:n]]


if __name__ == "__main__":
    if len(sys.argv) != 3:
        sys.exit("usage: python benchmarks/synthetic.py FOLDER N")
    print(generate(sys.argv[1], int(sys.argv[2])))
